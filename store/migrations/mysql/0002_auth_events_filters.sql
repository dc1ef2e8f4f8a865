-- Indexes for the Activity screen's and `facelogin events`' filters, so a
-- rare station, kind or a deleted user's name is found without reading the
-- whole log (BenchmarkEventsFirstPage). The time index serves the rest.
-- One statement, so the three appear together or not at all; MySQL has no
-- ADD INDEX IF NOT EXISTS, so a re-run after the statement committed but
-- before the migration was recorded meets "duplicate key name", which
-- migrate treats as done.
ALTER TABLE auth_events
	ADD INDEX auth_events_station (station, at),
	ADD INDEX auth_events_kind (kind, at),
	ADD INDEX auth_events_username (username, at);
