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
    released_at TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER package_session_releases_no_change BEFORE UPDATE OR DELETE ON package_session_releases
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER package_session_releases_no_truncate BEFORE TRUNCATE ON package_session_releases
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON package_session_releases FROM PUBLIC;
