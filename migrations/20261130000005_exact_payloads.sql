-- Verified events whose JSON jsonb cannot hold (a NUL character, "\u0000", in a string or a
-- key: SMS text can carry one) are stored all the same: `payload` then holds a copy with
-- each NUL as U+FFFD, and `payload_exact` the JSON exactly as received, which reads return.
-- NULL for every other event.
ALTER TABLE events ADD COLUMN payload_exact bytea;
ALTER TABLE unrouted_events ADD COLUMN payload_exact bytea;
