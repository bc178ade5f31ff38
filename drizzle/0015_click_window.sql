-- Each invitation's recent senders and scores, kept with every click decision. Invitations that
-- exist already start unknown (null): their next click is decided under the row lock, from the
-- clicks themselves, and writes the window. New invitations start with an empty window.
ALTER TABLE "invitations" ADD COLUMN "click_window" jsonb;--> statement-breakpoint
ALTER TABLE "invitations" ALTER COLUMN "click_window" SET DEFAULT '[]'::jsonb;
