-- The owners' notices of an executed run are written after it commits, in a transaction of
-- their own (a run on 100,000 contacts spent one to four seconds on them while holding its
-- locks). The run leaves here, in its own transaction, the contacts whose owners are still to
-- be told; whoever writes the notices clears it in theirs, so each notice is written exactly
-- once, and those a stopped instance left are written by the sweep. A run that does not commit
-- leaves nothing here, and so tells nobody.
ALTER TABLE bulk_runs ADD COLUMN notify_ids BIGINT[];
CREATE INDEX bulk_runs_notify_idx ON bulk_runs (id) WHERE notify_ids IS NOT NULL;
