-- kapstone schema 0045: the staff lists other than the caseload are read a
-- page at a time (issue 18) by key, never OFFSET: the inquiry inbox newest
-- first by (created_at, id), so a deep page costs what the first does.
-- The outbox (created_at) and jobs ((status, run_at) and (status,
-- updated_at)) already have indexes in their order; the id that breaks
-- ties is read from the few rows sharing a time.

CREATE INDEX inquiries_newest ON inquiries (created_at, id);
