-- The first step both dialects run.
CREATE TABLE widgets (
	id TEXT PRIMARY KEY,
	note TEXT NOT NULL DEFAULT 'a;b'
);
CREATE INDEX widgets_note ON widgets (note);
