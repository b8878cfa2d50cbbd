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

CREATE TABLE sealed_key_use (
    sealed_column TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (sealed_column, key_id)
);

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'users.totp_secret', k, count(*) FROM (SELECT CASE WHEN substr(totp_secret, 1, 6) = 'seal1:' AND instr(substr(totp_secret, 7), ':') > 1 AND length(substr(totp_secret, 7)) > instr(substr(totp_secret, 7), ':')
        THEN substr(totp_secret, 7, instr(substr(totp_secret, 7), ':') - 1) ELSE '' END AS k FROM users WHERE totp_secret <> '') AS v GROUP BY k;

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'sessions.pending_totp', k, count(*) FROM (SELECT CASE WHEN substr(pending_totp, 1, 6) = 'seal1:' AND instr(substr(pending_totp, 7), ':') > 1 AND length(substr(pending_totp, 7)) > instr(substr(pending_totp, 7), ':')
        THEN substr(pending_totp, 7, instr(substr(pending_totp, 7), ':') - 1) ELSE '' END AS k FROM sessions WHERE pending_totp <> '') AS v GROUP BY k;

INSERT INTO sealed_key_use (sealed_column, key_id, n)
    SELECT 'psychotherapy_notes.body_sealed', k, count(*) FROM (SELECT CASE WHEN substr(body_sealed, 1, 6) = 'seal1:' AND instr(substr(body_sealed, 7), ':') > 1 AND length(substr(body_sealed, 7)) > instr(substr(body_sealed, 7), ':')
        THEN substr(body_sealed, 7, instr(substr(body_sealed, 7), ':') - 1) ELSE '' END AS k FROM psychotherapy_notes WHERE body_sealed <> '') AS v GROUP BY k;

CREATE TRIGGER users_totp_secret_key_use_insert AFTER INSERT ON users WHEN NEW.totp_secret <> ''
BEGIN
    INSERT INTO sealed_key_use (sealed_column, key_id, n) VALUES ('users.totp_secret', CASE WHEN substr(NEW.totp_secret, 1, 6) = 'seal1:' AND instr(substr(NEW.totp_secret, 7), ':') > 1 AND length(substr(NEW.totp_secret, 7)) > instr(substr(NEW.totp_secret, 7), ':')
        THEN substr(NEW.totp_secret, 7, instr(substr(NEW.totp_secret, 7), ':') - 1) ELSE '' END, 1)
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_totp_secret_key_use_delete AFTER DELETE ON users WHEN OLD.totp_secret <> ''
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE sealed_column = 'users.totp_secret' AND key_id = CASE WHEN substr(OLD.totp_secret, 1, 6) = 'seal1:' AND instr(substr(OLD.totp_secret, 7), ':') > 1 AND length(substr(OLD.totp_secret, 7)) > instr(substr(OLD.totp_secret, 7), ':')
        THEN substr(OLD.totp_secret, 7, instr(substr(OLD.totp_secret, 7), ':') - 1) ELSE '' END;
END;
CREATE TRIGGER users_totp_secret_key_use_update AFTER UPDATE OF totp_secret ON users WHEN OLD.totp_secret IS NOT NEW.totp_secret
    AND NOT (OLD.totp_secret <> '' AND NEW.totp_secret <> '' AND CASE WHEN substr(OLD.totp_secret, 1, 6) = 'seal1:' AND instr(substr(OLD.totp_secret, 7), ':') > 1 AND length(substr(OLD.totp_secret, 7)) > instr(substr(OLD.totp_secret, 7), ':')
        THEN substr(OLD.totp_secret, 7, instr(substr(OLD.totp_secret, 7), ':') - 1) ELSE '' END = CASE WHEN substr(NEW.totp_secret, 1, 6) = 'seal1:' AND instr(substr(NEW.totp_secret, 7), ':') > 1 AND length(substr(NEW.totp_secret, 7)) > instr(substr(NEW.totp_secret, 7), ':')
        THEN substr(NEW.totp_secret, 7, instr(substr(NEW.totp_secret, 7), ':') - 1) ELSE '' END)
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE OLD.totp_secret <> '' AND sealed_column = 'users.totp_secret' AND key_id = CASE WHEN substr(OLD.totp_secret, 1, 6) = 'seal1:' AND instr(substr(OLD.totp_secret, 7), ':') > 1 AND length(substr(OLD.totp_secret, 7)) > instr(substr(OLD.totp_secret, 7), ':')
        THEN substr(OLD.totp_secret, 7, instr(substr(OLD.totp_secret, 7), ':') - 1) ELSE '' END;
    INSERT INTO sealed_key_use (sealed_column, key_id, n) SELECT 'users.totp_secret', CASE WHEN substr(NEW.totp_secret, 1, 6) = 'seal1:' AND instr(substr(NEW.totp_secret, 7), ':') > 1 AND length(substr(NEW.totp_secret, 7)) > instr(substr(NEW.totp_secret, 7), ':')
        THEN substr(NEW.totp_secret, 7, instr(substr(NEW.totp_secret, 7), ':') - 1) ELSE '' END, 1 WHERE NEW.totp_secret <> ''
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER sessions_pending_totp_key_use_insert AFTER INSERT ON sessions WHEN NEW.pending_totp <> ''
BEGIN
    INSERT INTO sealed_key_use (sealed_column, key_id, n) VALUES ('sessions.pending_totp', CASE WHEN substr(NEW.pending_totp, 1, 6) = 'seal1:' AND instr(substr(NEW.pending_totp, 7), ':') > 1 AND length(substr(NEW.pending_totp, 7)) > instr(substr(NEW.pending_totp, 7), ':')
        THEN substr(NEW.pending_totp, 7, instr(substr(NEW.pending_totp, 7), ':') - 1) ELSE '' END, 1)
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER sessions_pending_totp_key_use_delete AFTER DELETE ON sessions WHEN OLD.pending_totp <> ''
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE sealed_column = 'sessions.pending_totp' AND key_id = CASE WHEN substr(OLD.pending_totp, 1, 6) = 'seal1:' AND instr(substr(OLD.pending_totp, 7), ':') > 1 AND length(substr(OLD.pending_totp, 7)) > instr(substr(OLD.pending_totp, 7), ':')
        THEN substr(OLD.pending_totp, 7, instr(substr(OLD.pending_totp, 7), ':') - 1) ELSE '' END;
END;
CREATE TRIGGER sessions_pending_totp_key_use_update AFTER UPDATE OF pending_totp ON sessions WHEN OLD.pending_totp IS NOT NEW.pending_totp
    AND NOT (OLD.pending_totp <> '' AND NEW.pending_totp <> '' AND CASE WHEN substr(OLD.pending_totp, 1, 6) = 'seal1:' AND instr(substr(OLD.pending_totp, 7), ':') > 1 AND length(substr(OLD.pending_totp, 7)) > instr(substr(OLD.pending_totp, 7), ':')
        THEN substr(OLD.pending_totp, 7, instr(substr(OLD.pending_totp, 7), ':') - 1) ELSE '' END = CASE WHEN substr(NEW.pending_totp, 1, 6) = 'seal1:' AND instr(substr(NEW.pending_totp, 7), ':') > 1 AND length(substr(NEW.pending_totp, 7)) > instr(substr(NEW.pending_totp, 7), ':')
        THEN substr(NEW.pending_totp, 7, instr(substr(NEW.pending_totp, 7), ':') - 1) ELSE '' END)
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE OLD.pending_totp <> '' AND sealed_column = 'sessions.pending_totp' AND key_id = CASE WHEN substr(OLD.pending_totp, 1, 6) = 'seal1:' AND instr(substr(OLD.pending_totp, 7), ':') > 1 AND length(substr(OLD.pending_totp, 7)) > instr(substr(OLD.pending_totp, 7), ':')
        THEN substr(OLD.pending_totp, 7, instr(substr(OLD.pending_totp, 7), ':') - 1) ELSE '' END;
    INSERT INTO sealed_key_use (sealed_column, key_id, n) SELECT 'sessions.pending_totp', CASE WHEN substr(NEW.pending_totp, 1, 6) = 'seal1:' AND instr(substr(NEW.pending_totp, 7), ':') > 1 AND length(substr(NEW.pending_totp, 7)) > instr(substr(NEW.pending_totp, 7), ':')
        THEN substr(NEW.pending_totp, 7, instr(substr(NEW.pending_totp, 7), ':') - 1) ELSE '' END, 1 WHERE NEW.pending_totp <> ''
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_insert AFTER INSERT ON psychotherapy_notes WHEN NEW.body_sealed <> ''
BEGIN
    INSERT INTO sealed_key_use (sealed_column, key_id, n) VALUES ('psychotherapy_notes.body_sealed', CASE WHEN substr(NEW.body_sealed, 1, 6) = 'seal1:' AND instr(substr(NEW.body_sealed, 7), ':') > 1 AND length(substr(NEW.body_sealed, 7)) > instr(substr(NEW.body_sealed, 7), ':')
        THEN substr(NEW.body_sealed, 7, instr(substr(NEW.body_sealed, 7), ':') - 1) ELSE '' END, 1)
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_delete AFTER DELETE ON psychotherapy_notes WHEN OLD.body_sealed <> ''
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE sealed_column = 'psychotherapy_notes.body_sealed' AND key_id = CASE WHEN substr(OLD.body_sealed, 1, 6) = 'seal1:' AND instr(substr(OLD.body_sealed, 7), ':') > 1 AND length(substr(OLD.body_sealed, 7)) > instr(substr(OLD.body_sealed, 7), ':')
        THEN substr(OLD.body_sealed, 7, instr(substr(OLD.body_sealed, 7), ':') - 1) ELSE '' END;
END;
CREATE TRIGGER psychotherapy_notes_body_sealed_key_use_update AFTER UPDATE OF body_sealed ON psychotherapy_notes WHEN OLD.body_sealed IS NOT NEW.body_sealed
    AND NOT (OLD.body_sealed <> '' AND NEW.body_sealed <> '' AND CASE WHEN substr(OLD.body_sealed, 1, 6) = 'seal1:' AND instr(substr(OLD.body_sealed, 7), ':') > 1 AND length(substr(OLD.body_sealed, 7)) > instr(substr(OLD.body_sealed, 7), ':')
        THEN substr(OLD.body_sealed, 7, instr(substr(OLD.body_sealed, 7), ':') - 1) ELSE '' END = CASE WHEN substr(NEW.body_sealed, 1, 6) = 'seal1:' AND instr(substr(NEW.body_sealed, 7), ':') > 1 AND length(substr(NEW.body_sealed, 7)) > instr(substr(NEW.body_sealed, 7), ':')
        THEN substr(NEW.body_sealed, 7, instr(substr(NEW.body_sealed, 7), ':') - 1) ELSE '' END)
BEGIN
    UPDATE sealed_key_use SET n = n - 1 WHERE OLD.body_sealed <> '' AND sealed_column = 'psychotherapy_notes.body_sealed' AND key_id = CASE WHEN substr(OLD.body_sealed, 1, 6) = 'seal1:' AND instr(substr(OLD.body_sealed, 7), ':') > 1 AND length(substr(OLD.body_sealed, 7)) > instr(substr(OLD.body_sealed, 7), ':')
        THEN substr(OLD.body_sealed, 7, instr(substr(OLD.body_sealed, 7), ':') - 1) ELSE '' END;
    INSERT INTO sealed_key_use (sealed_column, key_id, n) SELECT 'psychotherapy_notes.body_sealed', CASE WHEN substr(NEW.body_sealed, 1, 6) = 'seal1:' AND instr(substr(NEW.body_sealed, 7), ':') > 1 AND length(substr(NEW.body_sealed, 7)) > instr(substr(NEW.body_sealed, 7), ':')
        THEN substr(NEW.body_sealed, 7, instr(substr(NEW.body_sealed, 7), ':') - 1) ELSE '' END, 1 WHERE NEW.body_sealed <> ''
        ON CONFLICT (sealed_column, key_id) DO UPDATE SET n = n + 1;
END;
