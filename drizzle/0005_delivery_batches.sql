ALTER TABLE "invitations" ADD COLUMN "reminder_provider_message_id" text;--> statement-breakpoint
ALTER TABLE "invitations" ADD COLUMN "batch_key" text;--> statement-breakpoint
CREATE INDEX "invitations_reminder_provider_message_id_index" ON "invitations" USING btree ("reminder_provider_message_id");--> statement-breakpoint
CREATE INDEX "invitations_reminder_status_reminder_due_at_index" ON "invitations" USING btree ("reminder_status","reminder_due_at");--> statement-breakpoint
CREATE INDEX "invitations_batch_key_index" ON "invitations" USING btree ("batch_key");