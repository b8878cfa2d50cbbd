-- The home page's texts besides its headline and intro (site_pages
-- 'home'): each section's heading and text, the calls to action. A text
-- not saved, or saved empty, shows kapstone's built-in text (issue 15).
CREATE TABLE site_texts (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
