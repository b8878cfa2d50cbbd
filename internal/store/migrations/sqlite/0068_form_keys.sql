-- kapstone schema 0068 (issue 21 walk F1): a form's one-time key. The
-- payment form (and the statement send form) carries a key made when the
-- page was shown; the row it records keeps it, so a second submit of the
-- same form (a double click, a resend after a slow answer) finds the first
-- row and records nothing. NULL for rows recorded without a form (the
-- demo, the API, rows from before); NULLs never collide in a unique index.
ALTER TABLE payments ADD COLUMN form_key TEXT;
CREATE UNIQUE INDEX payments_form_key ON payments (form_key);
ALTER TABLE statement_sends ADD COLUMN form_key TEXT;
CREATE UNIQUE INDEX statement_sends_form_key ON statement_sends (form_key);
