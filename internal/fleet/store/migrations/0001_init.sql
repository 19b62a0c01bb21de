-- Fleet schema v1. Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are Unix milliseconds (BIGINT) on the server clock.
CREATE TABLE fleet_hosts (
	id TEXT PRIMARY KEY,
	key_fp TEXT NOT NULL UNIQUE,
	public_key TEXT NOT NULL,
	hostname TEXT NOT NULL,
	machine_fp TEXT NOT NULL,
	boot_id TEXT NOT NULL,
	prev_identity TEXT NOT NULL DEFAULT '',
	cur_identity TEXT NOT NULL DEFAULT '',
	tags TEXT NOT NULL DEFAULT '[]',
	addresses TEXT NOT NULL DEFAULT '[]',
	profile TEXT NOT NULL DEFAULT '',
	openclaw_version TEXT NOT NULL DEFAULT '',
	agent_version TEXT NOT NULL DEFAULT '',
	enrolled_at BIGINT NOT NULL,
	enroll_token_id TEXT NOT NULL DEFAULT '',
	last_seen BIGINT,
	last_report BIGINT,
	last_report_id TEXT NOT NULL DEFAULT '',
	findings_hash TEXT NOT NULL DEFAULT '',
	revoked_at BIGINT,
	clone_suspect INTEGER NOT NULL DEFAULT 0,
	clone_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fleet_hosts_machine ON fleet_hosts (machine_fp);
CREATE TABLE fleet_host_tags (
	host_id TEXT NOT NULL,
	tag TEXT NOT NULL,
	PRIMARY KEY (host_id, tag)
);
CREATE INDEX fleet_host_tags_tag ON fleet_host_tags (tag);
CREATE TABLE fleet_host_addresses (
	host_id TEXT NOT NULL,
	address TEXT NOT NULL,
	PRIMARY KEY (host_id, address)
);
CREATE INDEX fleet_host_addresses_addr ON fleet_host_addresses (address);
CREATE TABLE fleet_reports (
	host_id TEXT NOT NULL,
	report_id TEXT NOT NULL,
	received_at BIGINT NOT NULL,
	collected_at BIGINT NOT NULL,
	content_sha256 TEXT NOT NULL,
	size_bytes BIGINT NOT NULL,
	signature TEXT NOT NULL,
	key_fp TEXT NOT NULL,
	hostname TEXT NOT NULL,
	identity TEXT NOT NULL,
	profile TEXT NOT NULL,
	openclaw_version TEXT NOT NULL,
	controls TEXT NOT NULL,
	findings_total INTEGER NOT NULL,
	findings_truncated INTEGER NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (host_id, report_id)
);
CREATE INDEX fleet_reports_received ON fleet_reports (host_id, received_at);
CREATE TABLE fleet_current_state (
	host_id TEXT NOT NULL,
	control_id TEXT NOT NULL,
	status TEXT NOT NULL,
	since BIGINT NOT NULL,
	PRIMARY KEY (host_id, control_id)
);
CREATE INDEX fleet_current_state_ctl ON fleet_current_state (control_id, status);
CREATE TABLE fleet_control_history (
	host_id TEXT NOT NULL,
	control_id TEXT NOT NULL,
	day TEXT NOT NULL,
	status TEXT NOT NULL,
	at BIGINT NOT NULL,
	report_id TEXT NOT NULL,
	PRIMARY KEY (host_id, control_id, day)
);
CREATE INDEX fleet_control_history_day ON fleet_control_history (day);
CREATE TABLE fleet_findings (
	host_id TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	check_id TEXT NOT NULL,
	controls TEXT NOT NULL,
	severity TEXT NOT NULL,
	status TEXT NOT NULL,
	title TEXT NOT NULL,
	message TEXT NOT NULL,
	report_id TEXT NOT NULL,
	first_seen BIGINT NOT NULL,
	PRIMARY KEY (host_id, fingerprint)
);
CREATE INDEX fleet_findings_check ON fleet_findings (check_id);
CREATE TABLE fleet_discovered (
	address TEXT PRIMARY KEY,
	ip TEXT NOT NULL,
	port INTEGER NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	reporter TEXT NOT NULL DEFAULT '',
	first_seen BIGINT NOT NULL,
	last_seen BIGINT NOT NULL
);
CREATE INDEX fleet_discovered_ip ON fleet_discovered (ip);
CREATE TABLE fleet_users (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	tags TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL,
	disabled_at BIGINT
);
CREATE TABLE fleet_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	csrf TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE TABLE fleet_login_attempts (
	attempt_key TEXT NOT NULL,
	window_start BIGINT NOT NULL,
	failures INTEGER NOT NULL,
	PRIMARY KEY (attempt_key, window_start)
);
CREATE TABLE fleet_enroll_tokens (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	note TEXT NOT NULL DEFAULT '',
	tags TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	max_uses INTEGER NOT NULL,
	uses INTEGER NOT NULL DEFAULT 0,
	revoked_at BIGINT
);
CREATE TABLE fleet_api_tokens (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	tags TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL,
	expires_at BIGINT,
	last_used BIGINT,
	revoked_at BIGINT
);
CREATE TABLE fleet_audit_events (
	id TEXT PRIMARY KEY,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL,
	details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX fleet_audit_events_at ON fleet_audit_events (at);
CREATE TABLE fleet_settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
