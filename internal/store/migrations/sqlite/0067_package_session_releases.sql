-- kapstone schema 0067 (issue 21 review): a package session given up for
-- good. A session put right as missed gives its number back and a later
-- session may take it; when the first is then put right again as
-- attended, its package session no longer counts against the package (or
-- the package would be used beyond its sessions) and the session is
-- charged at the fee, if the schedule has one. This append-only row says
-- so, whatever charge the session then carries (a fee, or none when its
-- kind has no fee).
CREATE TABLE package_session_releases (
    charge_id   TEXT PRIMARY KEY REFERENCES charges (id), -- the package session's charge
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    released_by TEXT NOT NULL REFERENCES users (id),
    released_at TIMESTAMP NOT NULL
);
CREATE TRIGGER package_session_releases_no_update BEFORE UPDATE ON package_session_releases
BEGIN SELECT RAISE(ABORT, 'package_session_releases is append-only'); END;
CREATE TRIGGER package_session_releases_no_delete BEFORE DELETE ON package_session_releases
BEGIN SELECT RAISE(ABORT, 'package_session_releases is append-only'); END;
