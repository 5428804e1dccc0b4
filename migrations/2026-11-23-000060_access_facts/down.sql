DROP VIEW contact_facts;
DROP VIEW subject_facts;
