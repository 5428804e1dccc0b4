-- Issue #16: the public-form rate limit counts per client address and per form, so the column
-- holds a throttle key ("ip:…" or "form:…") rather than an address.
ALTER TABLE form_hits RENAME COLUMN ip TO key;
ALTER INDEX form_hits_ip_idx RENAME TO form_hits_key_idx;
DELETE FROM form_hits;
