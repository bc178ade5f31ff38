-- A version per invitation, bumped by every click decision: clicks that change no response are
-- decided on a snapshot and commit only while the version is unchanged.
ALTER TABLE "invitations" ADD COLUMN "click_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Room on each page keeps the bump a heap-only update, without touching the table's indexes.
ALTER TABLE "invitations" SET (fillfactor = 80);
