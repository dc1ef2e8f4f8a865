-- Templates are now sealed with their user's name key as well as the user's
-- id (issue 11): seal_version says whether the templates of this database
-- have been re-sealed that way. Store.Open re-seals version-1 templates with
-- the key, in one transaction, and sets it to 2; from then on a version-1
-- template no longer opens. (A run cut off after this ALTER is re-run: the
-- migrator takes "duplicate column" as already applied.)
ALTER TABLE store_state ADD COLUMN seal_version INT NOT NULL DEFAULT 1;
