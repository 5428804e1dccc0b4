DROP TABLE form_hits;
DROP TABLE forms;
DROP INDEX contacts_email_domain_idx;
DROP TABLE segments;
DROP TABLE import_rejects;
DROP TABLE import_chunks;
DROP TABLE import_jobs;
