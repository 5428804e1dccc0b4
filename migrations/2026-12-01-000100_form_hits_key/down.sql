ALTER INDEX form_hits_key_idx RENAME TO form_hits_ip_idx;
ALTER TABLE form_hits RENAME COLUMN key TO ip;
