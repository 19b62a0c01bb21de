-- Rollups maintained on ingest, so fleet-wide reads cost the same at
-- 50,000 hosts as at 50. kind 'h': hosts whose latest report fell in the
-- hour `bucket` (Unix ms / 3,600,000), per tag set and control, by their
-- current status; Summary adds the hours inside the stale window (the
-- window is applied at query time, on the server clock). kind 'd': hosts
-- per day (Unix ms / 86,400,000) by the status of their last report that
-- day; the dashboard trend reads it. tags is the host's tag list as stored
-- in fleet_hosts.tags, so a tag scope is applied to rollup rows as to
-- hosts. n_other counts statuses outside the five (shown unknown).
CREATE TABLE fleet_rollup (
	kind TEXT NOT NULL,
	bucket BIGINT NOT NULL,
	tags TEXT NOT NULL,
	control_id TEXT NOT NULL,
	n_pass BIGINT NOT NULL DEFAULT 0,
	n_warn BIGINT NOT NULL DEFAULT 0,
	n_fail BIGINT NOT NULL DEFAULT 0,
	n_manual BIGINT NOT NULL DEFAULT 0,
	n_error BIGINT NOT NULL DEFAULT 0,
	n_other BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, bucket, tags, control_id)
);
CREATE INDEX fleet_hosts_last_report ON fleet_hosts (last_report);
CREATE INDEX fleet_hosts_order ON fleet_hosts (hostname, id);
