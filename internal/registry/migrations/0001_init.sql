-- Registry schema v1. Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are Unix milliseconds (BIGINT) on the server clock.
CREATE TABLE registry_tokens (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	handle TEXT NOT NULL,
	role TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	revoked_at BIGINT
);
CREATE INDEX registry_tokens_handle ON registry_tokens (handle);
CREATE TABLE registry_skills (
	slug TEXT PRIMARY KEY,
	owner_handle TEXT NOT NULL,
	display_name TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE registry_versions (
	id TEXT PRIMARY KEY,
	slug TEXT NOT NULL REFERENCES registry_skills (slug),
	version TEXT NOT NULL,
	owner_handle TEXT NOT NULL,
	publisher TEXT NOT NULL,
	display_name TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	changelog TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	state_reason TEXT NOT NULL DEFAULT '',
	archive_sha256 TEXT NOT NULL,
	archive_size BIGINT NOT NULL,
	file_tree_sha256 TEXT NOT NULL,
	skill_file_sha256 TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	files TEXT NOT NULL,
	scan_verdict TEXT NOT NULL,
	scan_score INTEGER NOT NULL,
	scan TEXT NOT NULL,
	scanner TEXT NOT NULL,
	flags TEXT NOT NULL DEFAULT '[]',
	approval_record TEXT NOT NULL DEFAULT '',
	approval_sig TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	decided_at BIGINT,
	UNIQUE (slug, version)
);
CREATE INDEX registry_versions_state ON registry_versions (state, slug);
CREATE INDEX registry_versions_fp ON registry_versions (slug, fingerprint);
CREATE TABLE registry_approvals (
	version_id TEXT NOT NULL REFERENCES registry_versions (id),
	reviewer TEXT NOT NULL,
	reason TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (version_id, reviewer)
);
CREATE TABLE registry_uploads (
	ticket TEXT PRIMARY KEY,
	handle TEXT NOT NULL,
	path TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	storage_id TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE TABLE registry_events (
	seq BIGINT PRIMARY KEY,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	remote TEXT NOT NULL,
	details TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
