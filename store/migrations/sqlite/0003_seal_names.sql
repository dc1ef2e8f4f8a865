-- Templates are now sealed with their user's name key as well as the user's
-- id (issue 11): seal_version says whether the templates of this database
-- have been re-sealed that way. Store.Open re-seals version-1 templates with
-- the key, in one transaction, and sets it to 2; from then on a version-1
-- template no longer opens.
ALTER TABLE store_state ADD COLUMN seal_version INTEGER NOT NULL DEFAULT 1;
