-- A previewed bulk run remembers the set of contacts it may change by a hash of their ids in
-- order (issue #15), not by their count and sum: two different sets can share both. Runs
-- previewed before this hold a sum here, which no hash matches: they are previewed again.
ALTER TABLE bulk_runs RENAME COLUMN editable_sum TO editable_hash;
