-- What a bulk run changed, so that it can be undone exactly (issue #15): one row per statement
-- part (seq, in the order the run applied them), kind and value, with the contacts it changed
-- that way. Kinds: co_owner_added (user_id, read_only as added), co_owner_flag (user_id,
-- read_only as it was before), co_owner_removed (user_id, read_only as it was), main_owner
-- (user_id before, after_user_id after), tag_added (tag), group_added and group_removed
-- (group_id).
CREATE TABLE bulk_run_changes (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES bulk_runs (id) ON DELETE CASCADE,
    seq INT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('co_owner_added', 'co_owner_flag', 'co_owner_removed', 'main_owner',
                                       'tag_added', 'group_added', 'group_removed')),
    user_id BIGINT,
    read_only BOOLEAN,
    tag TEXT,
    group_id BIGINT,
    after_user_id BIGINT,
    contact_ids BIGINT[] NOT NULL
);
CREATE INDEX bulk_run_changes_run ON bulk_run_changes (run_id, seq);
