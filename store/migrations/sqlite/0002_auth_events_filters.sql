-- Indexes for the Activity screen's and `facelogin events`' filters, so a
-- rare station, kind or a deleted user's name is found without reading the
-- whole log (BenchmarkEventsFirstPage). The time index serves the rest.
CREATE INDEX IF NOT EXISTS auth_events_station ON auth_events (station, at);
CREATE INDEX IF NOT EXISTS auth_events_kind ON auth_events (kind, at);
CREATE INDEX IF NOT EXISTS auth_events_username ON auth_events (username, at);
