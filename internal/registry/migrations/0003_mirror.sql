-- Registry schema step 3: provenance of versions pulled from an upstream
-- ClawHub-compatible registry by `clawgov registry mirror` or pull-through.
-- One row per mirrored version, written in the same transaction as the
-- version itself. Step 2 (review sessions) is a separate, independent
-- table; the loader reserves its number, so this file works with and
-- without it.
CREATE TABLE registry_mirror (
	version_id TEXT PRIMARY KEY REFERENCES registry_versions (id),
	upstream TEXT NOT NULL,
	source_url TEXT NOT NULL,
	upstream_owner TEXT NOT NULL,
	upstream_archive_sha256 TEXT NOT NULL,
	upstream_archive_size BIGINT NOT NULL,
	advertised_sha256 TEXT NOT NULL DEFAULT '',
	moderation TEXT NOT NULL,
	moderation_detail TEXT NOT NULL DEFAULT '{}',
	fetched_at BIGINT NOT NULL
);
CREATE INDEX registry_mirror_upstream ON registry_mirror (upstream);
