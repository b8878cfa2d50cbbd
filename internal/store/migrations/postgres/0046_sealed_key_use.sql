-- kapstone schema 0046: which data keys sealed how many values, kept in a
-- small table so that start-up need not read every sealed value (issue 18:
-- `kapstone serve` read every psychotherapy note and TOTP secret to learn
-- which keys the key file must hold, which grew with the practice).
--
-- sealed_key_use holds, for each sealed column ("table.column", as in
-- store.sealedColumns) and each key id, how many values of that column are
-- sealed under that key; key_id '' counts values not sealed (plain text an
-- older release left, which store.sealPlain seals at start). Triggers keep
-- it current in the same transaction as every write of a sealed column
-- (insert, update, delete, a cascade, a re-seal or a rotation), so no code
-- path can forget it; a value re-written under the same key (a note saved
-- again) changes no count. The key id of a value "seal1:<id>:<body>" is read as
-- seal.KeyID does (a value without an id or a body is not sealed). A row
-- whose count fell to 0 stays; readers ask for n > 0.
--
-- When a new column is sealed (store.sealedColumns), its migration adds
-- the same three triggers for it and counts its values; the store test
-- TestKeyUseMatchesValues fails until it does.

-- No write to a sealed column may fall between the count below and the
-- triggers (an instance still running the older release): the tables are
-- locked against writes until this migration commits.
LOCK TABLE users, sessions, psychotherapy_notes IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE sealed_key_use (
    sealed_column TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (sealed_column, key_id)
);

-- The key id of a sealed value, '' for one that is not sealed (seal.KeyID).
CREATE FUNCTION kapstone_seal_key(v TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN substr(v, 1, 6) = 'seal1:' AND strpos(substr(v, 7), ':') > 1
            AND length(substr(v, 7)) > strpos(substr(v, 7), ':')
        THEN split_part(v, ':', 2) ELSE '' END
$$;

-- The trigger of every sealed column; its argument names the column.
CREATE FUNCTION kapstone_key_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col    TEXT := TG_TABLE_NAME || '.' || TG_ARGV[0];
    before TEXT := '';
    after  TEXT := '';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        before := coalesce(to_jsonb(OLD) ->> TG_ARGV[0], '');
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        after := coalesce(to_jsonb(NEW) ->> TG_ARGV[0], '');
    END IF;
    -- A value re-written under the same key (a note saved again) changes
    -- no count, and takes no lock on one.
    IF before = after OR (before <> '' AND after <> '' AND kapstone_seal_key(before) = kapstone_seal_key(after)) THEN
        RETURN NULL;
    END IF;
    -- The old value's count first, then the new one's: every transaction
    -- takes the rows' locks in the same order (an older key before a newer).
    IF before <> '' THEN
        UPDATE sealed_key_use SET n = sealed_key_use.n - 1
            WHERE sealed_column = col AND key_id = kapstone_seal_key(before);
    END IF;
    IF after <> '' THEN
        INSERT INTO sealed_key_use (sealed_column, key_id, n) VALUES (col, kapstone_seal_key(after), 1)
            ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = sealed_key_use.n + 1;
    END IF;
    RETURN NULL;
END
$$;

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'users.totp_secret', kapstone_seal_key(totp_secret), count(*) FROM users WHERE totp_secret <> '' GROUP BY kapstone_seal_key(totp_secret);

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'sessions.pending_totp', kapstone_seal_key(pending_totp), count(*) FROM sessions WHERE pending_totp <> '' GROUP BY kapstone_seal_key(pending_totp);

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'psychotherapy_notes.body_sealed', kapstone_seal_key(body_sealed), count(*) FROM psychotherapy_notes WHERE body_sealed <> '' GROUP BY kapstone_seal_key(body_sealed);

CREATE TRIGGER users_totp_secret_key_use_insert AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.totp_secret <> '') EXECUTE FUNCTION kapstone_key_use('totp_secret');
CREATE TRIGGER users_totp_secret_key_use_delete AFTER DELETE ON users
    FOR EACH ROW WHEN (OLD.totp_secret <> '') EXECUTE FUNCTION kapstone_key_use('totp_secret');
CREATE TRIGGER users_totp_secret_key_use_update AFTER UPDATE OF totp_secret ON users
    FOR EACH ROW WHEN (OLD.totp_secret IS DISTINCT FROM NEW.totp_secret) EXECUTE FUNCTION kapstone_key_use('totp_secret');

CREATE TRIGGER sessions_pending_totp_key_use_insert AFTER INSERT ON sessions
    FOR EACH ROW WHEN (NEW.pending_totp <> '') EXECUTE FUNCTION kapstone_key_use('pending_totp');
CREATE TRIGGER sessions_pending_totp_key_use_delete AFTER DELETE ON sessions
    FOR EACH ROW WHEN (OLD.pending_totp <> '') EXECUTE FUNCTION kapstone_key_use('pending_totp');
CREATE TRIGGER sessions_pending_totp_key_use_update AFTER UPDATE OF pending_totp ON sessions
    FOR EACH ROW WHEN (OLD.pending_totp IS DISTINCT FROM NEW.pending_totp) EXECUTE FUNCTION kapstone_key_use('pending_totp');

CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_insert AFTER INSERT ON psychotherapy_notes
    FOR EACH ROW WHEN (NEW.body_sealed <> '') EXECUTE FUNCTION kapstone_key_use('body_sealed');
CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_delete AFTER DELETE ON psychotherapy_notes
    FOR EACH ROW WHEN (OLD.body_sealed <> '') EXECUTE FUNCTION kapstone_key_use('body_sealed');
CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_update AFTER UPDATE OF body_sealed ON psychotherapy_notes
    FOR EACH ROW WHEN (OLD.body_sealed IS DISTINCT FROM NEW.body_sealed) EXECUTE FUNCTION kapstone_key_use('body_sealed');
