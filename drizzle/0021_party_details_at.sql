-- When a client's name and a contact's details were last set (an event's occurredAt or a
-- directory write): an older event delivered later does not set them back.
ALTER TABLE "clients" ADD COLUMN "details_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "details_at" timestamp with time zone;