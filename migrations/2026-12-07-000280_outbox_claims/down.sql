DROP INDEX outbox_messages_sending_idx;
UPDATE outbox_messages SET status = 'queued' WHERE status = 'sending';
ALTER TABLE outbox_messages DROP COLUMN claimed_at, DROP COLUMN next_attempt_at, DROP COLUMN attempts;
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_status_check;
ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_status_check CHECK (status IN ('queued', 'sent', 'failed'));
