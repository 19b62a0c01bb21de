-- Organisation policy distribution: signed, versioned bundles (the
-- envelope exactly as signed), and the policy version each host's
-- reports were judged by (0: none named).
CREATE TABLE fleet_policies (
	version BIGINT PRIMARY KEY,
	digest TEXT NOT NULL,
	key_id TEXT NOT NULL,
	created TEXT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	published_by TEXT NOT NULL,
	published_at BIGINT NOT NULL
);
ALTER TABLE fleet_hosts ADD COLUMN policy_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fleet_reports ADD COLUMN policy_version BIGINT NOT NULL DEFAULT 0;
