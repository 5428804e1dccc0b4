-- Contacts' phones follow the users' rule (issue #30): E.164, as `validation::Phone` stores them.
-- Numbers stored before with spaces, dashes, dots or brackets after their country code lose them;
-- anything else is left for a person to correct (the card refuses to save it until they do).
UPDATE contacts SET phone = regexp_replace(phone, '[[:space:]().-]', '', 'g')
WHERE phone LIKE '+%' AND phone ~ '[[:space:]().-]';
