DROP INDEX contacts_updated_sort_idx;
DROP INDEX contacts_email_sort_idx;
DROP INDEX contacts_name_sort_idx;
