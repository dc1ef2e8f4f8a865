-- Times are unix microseconds (UTC) in BIGINT columns, the same on both
-- backends. username_key is the case-folded username (see usernameKey) and
-- is compared byte for byte (utf8mb4_bin), never by a MySQL collation.
CREATE TABLE IF NOT EXISTS users (
	id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	username     VARCHAR(64)  NOT NULL,
	username_key VARCHAR(64)  NOT NULL,
	display_name VARCHAR(200) NOT NULL DEFAULT '',
	disabled     TINYINT(1)   NOT NULL DEFAULT 0,
	created_at   BIGINT       NOT NULL,
	updated_at   BIGINT       NOT NULL,
	UNIQUE KEY users_username_key (username_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- sealed: AES-256-GCM of the 128 float32 of a descriptor, bound to user_id
-- and model_id. source marks imported templates so an import can be re-run.
CREATE TABLE IF NOT EXISTS face_templates (
	id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id    BIGINT       NOT NULL,
	model_id   VARCHAR(64)  NOT NULL,
	quality    FLOAT        NOT NULL,
	source     VARCHAR(100) NOT NULL DEFAULT '',
	sealed     BLOB         NOT NULL,
	created_at BIGINT       NOT NULL,
	KEY face_templates_user (user_id),
	KEY face_templates_model (model_id, id),
	CONSTRAINT face_templates_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit log. No foreign key: events outlive the users they name.
CREATE TABLE IF NOT EXISTS auth_events (
	id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	at       BIGINT       NOT NULL,
	kind     VARCHAR(32)  NOT NULL,
	user_id  BIGINT       NULL,
	username VARCHAR(64)  NOT NULL DEFAULT '',
	distance FLOAT        NULL,
	station  VARCHAR(128) NOT NULL DEFAULT '',
	detail   VARCHAR(500) NOT NULL DEFAULT '',
	KEY auth_events_at (at),
	KEY auth_events_user (user_id, kind, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row. generation counts changes to users and templates, so stations
-- sharing a database reload their matcher only when it moved; key_check
-- proves the template key at start.
CREATE TABLE IF NOT EXISTS store_state (
	id         TINYINT        NOT NULL PRIMARY KEY,
	generation BIGINT         NOT NULL,
	key_check  VARBINARY(128) NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO store_state (id, generation) VALUES (1, 0);
