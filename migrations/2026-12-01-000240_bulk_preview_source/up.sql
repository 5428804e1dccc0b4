-- What a preview matches, for the worker that computes it (so that "Preview" itself does no
-- work that grows with the selection): the list's filters or the ticked ids, the contacts of a
-- run to preview again, or those a run to undo changed. `matched` is filled by the worker.
ALTER TABLE bulk_runs ADD COLUMN source JSONB;
