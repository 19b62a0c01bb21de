-- Registry schema v2: sessions of the reviewer web pages (/review/) and
-- their login throttle, in the database so every registry process behind
-- one load balancer accepts the same session and counts the same
-- failures. Portable SQL (SQLite and PostgreSQL); times are Unix ms.
--
-- id is the SHA-256 of the cookie's token, so the table holds no usable
-- credential; token_id names the registry token that signed in, whose
-- handle and role are read again on every request (a revoked token ends
-- its sessions at once).
CREATE TABLE registry_review_sessions (
	id TEXT PRIMARY KEY,
	token_id TEXT NOT NULL REFERENCES registry_tokens (id),
	csrf TEXT NOT NULL,
	remote TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX registry_review_sessions_expires ON registry_review_sessions (expires_at);
CREATE TABLE registry_review_login_failures (
	attempt_key TEXT NOT NULL,
	window_start BIGINT NOT NULL,
	failures INTEGER NOT NULL,
	PRIMARY KEY (attempt_key, window_start)
);
