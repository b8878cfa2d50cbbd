-- kapstone schema 0007: cancelling, moving and recording what happened to
-- an appointment. A cancelled or moved appointment keeps its reason; the
-- sequence counts changes so calendar apps replace their copy.

ALTER TABLE appointments ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN cancelled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'attended', 'no_show'));
ALTER TABLE appointments ADD COLUMN move_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN updated_at TIMESTAMPTZ;
