-- kapstone schema 0020: check-in answers and risk signals are kept for good.
-- Every save of a check-in's answers is a new version (the check-in row holds
-- the latest); every risk answer is a signal row on its alert, with its time,
-- and the alert shows the highest (a milder later answer never lowers it).

CREATE TABLE checkin_answers (
    id         TEXT PRIMARY KEY,
    checkin_id TEXT NOT NULL REFERENCES checkins (id),
    version    BIGINT NOT NULL,
    answers    TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    saved_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (checkin_id, version)
);
INSERT INTO checkin_answers (id, checkin_id, version, answers, author_id, saved_at)
    SELECT id || '.1', id, 1, answers, author_id, coalesce(completed_at, started_at) FROM checkins;

ALTER TABLE safety_alerts ADD COLUMN level TEXT NOT NULL DEFAULT '';
ALTER TABLE safety_alerts ADD COLUMN urgency TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE safety_alerts ADD COLUMN severity BIGINT NOT NULL DEFAULT 0;
-- Alerts raised before this schema did not record how severe their answer
-- was: they are taken as the most severe (3, the top of the PHQ-9 item 9
-- scale and of the risk screen's triage rank), so a milder later answer is
-- added to them but never replaces their words.
UPDATE safety_alerts SET severity = 3;

CREATE TABLE safety_alert_signals (
    id          TEXT PRIMARY KEY,
    alert_id    TEXT NOT NULL REFERENCES safety_alerts (id),
    checkin_id  TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL DEFAULT '',
    urgency     TEXT NOT NULL,
    severity    BIGINT NOT NULL DEFAULT 0,
    signal      TEXT NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_alert_signals_alert ON safety_alert_signals (alert_id, answered_at);
INSERT INTO safety_alert_signals (id, alert_id, urgency, severity, signal, answered_at)
    SELECT id || '.1', id, 'urgent', severity, signal, last_signal_at FROM safety_alerts;

CREATE TRIGGER checkin_answers_no_change BEFORE UPDATE OR DELETE ON checkin_answers
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER checkin_answers_no_truncate BEFORE TRUNCATE ON checkin_answers
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER safety_alert_signals_no_change BEFORE UPDATE OR DELETE ON safety_alert_signals
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER safety_alert_signals_no_truncate BEFORE TRUNCATE ON safety_alert_signals
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
