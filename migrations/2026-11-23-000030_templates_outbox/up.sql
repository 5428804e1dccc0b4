-- Message templates (SPEC screen 13), send batches and the outbox (screen 15).

CREATE TABLE message_templates (
    id         BIGSERIAL PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('email','sms')),
    -- Email only; NULL for SMS.
    subject    TEXT,
    body       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version    INTEGER NOT NULL DEFAULT 1,
    CHECK (channel = 'sms' OR subject IS NOT NULL)
);
CREATE INDEX message_templates_owner_idx ON message_templates (owner_id, id);
CREATE INDEX message_templates_shared_idx ON message_templates (id) WHERE shared;

-- One "Send" action: who sent which template to which audience, and how many it reached.
CREATE TABLE send_batches (
    id          BIGSERIAL PRIMARY KEY,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    channel     TEXT NOT NULL CHECK (channel IN ('email','sms')),
    template_id BIGINT REFERENCES message_templates(id) ON DELETE SET NULL,
    audience    JSONB NOT NULL,
    recipients  INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX send_batches_creator_idx ON send_batches (created_by, id DESC);
CREATE INDEX send_batches_template_idx ON send_batches (template_id);

-- One message per recipient, written at send time with the text as sent.
CREATE TABLE outbox_messages (
    id         BIGSERIAL PRIMARY KEY,
    batch_id   BIGINT NOT NULL REFERENCES send_batches(id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('email','sms')),
    to_address TEXT NOT NULL,
    subject    TEXT,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),
    error      TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ
);
CREATE INDEX outbox_messages_batch_idx ON outbox_messages (batch_id, id);
CREATE INDEX outbox_messages_contact_idx ON outbox_messages (contact_id);
CREATE INDEX outbox_messages_created_by_idx ON outbox_messages (created_by);
-- The delivery worker's queue.
CREATE INDEX outbox_messages_queued_email_idx ON outbox_messages (id) WHERE status = 'queued' AND channel = 'email';
