-- kapstone schema 0019: the practice's public website and its inquiry form
-- (issue 8). Page text and staff bios are Markdown that administrators (and
-- each staff member, for their own bio) edit; every save of a page is kept
-- in site_page_versions. Inquiries from the public form wait in the staff
-- inbox; the sender's address is kept only as a keyed hash, for the rate
-- limit.

CREATE TABLE site_pages (
    slug       TEXT PRIMARY KEY CHECK (slug IN ('home', 'about', 'services', 'what-to-expect', 'is-kap-right', 'fees', 'contact')),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE site_page_versions (
    id       TEXT PRIMARY KEY,
    slug     TEXT NOT NULL,
    title    TEXT NOT NULL,
    body     TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    saved_by TEXT NOT NULL
);
CREATE INDEX site_page_versions_slug ON site_page_versions (slug, saved_at);

CREATE TABLE staff_profiles (
    user_id     TEXT PRIMARY KEY REFERENCES users (id),
    slug        TEXT NOT NULL UNIQUE,
    credentials TEXT NOT NULL DEFAULT '',
    bio         TEXT NOT NULL DEFAULT '',
    public      BOOLEAN NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE inquiries (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    preferred        TEXT NOT NULL CHECK (preferred IN ('email', 'phone', 'text')),
    psychosis_answer TEXT NOT NULL DEFAULT '' CHECK (psychosis_answer IN ('yes', 'no', 'unsure', '')),
    meds_answer      TEXT NOT NULL DEFAULT '' CHECK (meds_answer IN ('yes', 'no', 'unsure', '')),
    message          TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    client_addr_hash TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'converted', 'closed')),
    handled_by       TEXT NOT NULL DEFAULT '',
    handled_at       TIMESTAMP,
    patient_id       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inquiries_status ON inquiries (status, created_at);
CREATE INDEX inquiries_addr ON inquiries (client_addr_hash, created_at);

-- What staff did with an inquiry: each status change with its note.
CREATE TABLE inquiry_events (
    id         TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries (id),
    status     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    actor_id   TEXT NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX inquiry_events_inquiry ON inquiry_events (inquiry_id, at);
