-- Adaptive templates (issue 12): a template is either an enrolment
-- template (registration, re-registration, `enrol --add`, import) or an
-- adaptive one (a live login's frame, see Users.AddAdaptive). Every
-- template stored before this migration is an enrolment template.
-- created_at (0001) dates both kinds. An adaptive template's seal also
-- binds its kind and created_at (seal.go), so neither can be changed in
-- the database without making the template unusable.
ALTER TABLE face_templates ADD COLUMN kind TEXT NOT NULL DEFAULT 'enrolment';
