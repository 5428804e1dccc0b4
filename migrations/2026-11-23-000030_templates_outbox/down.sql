DROP TABLE outbox_messages;
DROP TABLE send_batches;
DROP TABLE message_templates;
