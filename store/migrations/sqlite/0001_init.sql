-- Times are unix microseconds (UTC) in INTEGER columns, the same on both
-- backends. username_key is the case-folded username (see usernameKey).
CREATE TABLE IF NOT EXISTS users (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	username     TEXT    NOT NULL,
	username_key TEXT    NOT NULL UNIQUE,
	display_name TEXT    NOT NULL DEFAULT '',
	disabled     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);

-- sealed: AES-256-GCM of the 128 float32 of a descriptor, bound to user_id
-- and model_id. source marks imported templates so an import can be re-run.
CREATE TABLE IF NOT EXISTS face_templates (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	model_id   TEXT    NOT NULL,
	quality    REAL    NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	sealed     BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS face_templates_user ON face_templates (user_id);
CREATE INDEX IF NOT EXISTS face_templates_model ON face_templates (model_id, id);

-- The audit log. No foreign key: events outlive the users they name.
CREATE TABLE IF NOT EXISTS auth_events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at       INTEGER NOT NULL,
	kind     TEXT    NOT NULL,
	user_id  INTEGER,
	username TEXT    NOT NULL DEFAULT '',
	distance REAL,
	station  TEXT    NOT NULL DEFAULT '',
	detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS auth_events_at ON auth_events (at);
CREATE INDEX IF NOT EXISTS auth_events_user ON auth_events (user_id, kind, at);

-- One row. generation counts changes to users and templates, so stations
-- sharing a database reload their matcher only when it moved; key_check
-- proves the template key at start.
CREATE TABLE IF NOT EXISTS store_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL,
	key_check  BLOB
);
INSERT INTO store_state (id, generation) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM store_state);
