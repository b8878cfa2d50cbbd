-- kapstone schema 0011: when clinicians work. Working hours are per
-- weekday in the practice's time zone (minutes from local midnight); a
-- clinician without any takes bookings at any time. Time off is a span.

CREATE TABLE working_hours (
    user_id    TEXT NOT NULL REFERENCES users (id),
    weekday    BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_min  BIGINT NOT NULL CHECK (start_min BETWEEN 0 AND 1440),
    end_min    BIGINT NOT NULL CHECK (end_min BETWEEN 0 AND 1440),
    PRIMARY KEY (user_id, weekday)
);

CREATE TABLE time_off (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX time_off_user ON time_off (user_id, starts_at);
