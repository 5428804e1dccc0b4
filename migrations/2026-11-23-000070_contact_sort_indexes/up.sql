-- The contact list's other sort orders (contacts::selection::Sort) walk these indexes and stop
-- after a page (access::filter::sorted_ids), instead of sorting everything a user may see.
CREATE INDEX contacts_name_sort_idx ON contacts (last_name, first_name, id);
CREATE INDEX contacts_email_sort_idx ON contacts (email, id);
CREATE INDEX contacts_updated_sort_idx ON contacts (updated_at DESC, id DESC);
