-- kapstone schema 0027: inquiries kept as possible spam (issue 15). An
-- inquiry whose form was sent faster than a person types, or without a
-- valid form stamp, may be a robot's or a person's whose browser filled the
-- form in: it is kept, with the reason here, in a group of its own in the
-- inbox, where staff mark it genuine or delete it. '' is an ordinary
-- inquiry.

ALTER TABLE inquiries ADD COLUMN spam_reason TEXT NOT NULL DEFAULT '';
