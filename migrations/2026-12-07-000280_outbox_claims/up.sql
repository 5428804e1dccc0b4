-- Email is sent after its claim commits, never while a transaction holds its row: a claimed
-- message is `sending` (with when it was claimed, so a sweep can give back what a stopped
-- instance left), and a failure that may pass is tried again later (`attempts`,
-- `next_attempt_at`) before the message is marked failed.
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_status_check;
ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE outbox_messages
    ADD COLUMN attempts INT NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN claimed_at TIMESTAMPTZ;
CREATE INDEX outbox_messages_sending_idx ON outbox_messages (claimed_at) WHERE status = 'sending';
