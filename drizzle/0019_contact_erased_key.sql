ALTER TABLE "contacts" ADD COLUMN "erased_key" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_erasedKey_unique" UNIQUE("erased_key");