-- The two surveys every instance starts with. `on conflict do nothing` keeps an admin's later
-- edits, and the migration runs once per database (under the migration lock).
INSERT INTO "surveys" ("key", "scale", "trigger", "questions", "follow_up_questions", "delay_minutes", "throttle_days", "reminder_after_hours", "expires_after_days", "edit_window_minutes")
VALUES (
  'ticket-csat', 'csat3', 'ticket.closed',
  '{"en": "How satisfied are you with how we handled this ticket?", "de": "Wie zufrieden sind Sie mit der Bearbeitung dieses Tickets?"}'::jsonb,
  '{"en": "What could we have done better?", "de": "Was hätten wir besser machen können?"}'::jsonb,
  0, 7, NULL, 14, 30
)
ON CONFLICT ("key") DO NOTHING;
--> statement-breakpoint
INSERT INTO "surveys" ("key", "scale", "trigger", "questions", "follow_up_questions", "delay_minutes", "throttle_days", "reminder_after_hours", "expires_after_days", "edit_window_minutes")
VALUES (
  'project-nps', 'nps', 'project.completed',
  '{"en": "How likely are you to recommend us to a friend or colleague?", "de": "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen weiterempfehlen?"}'::jsonb,
  '{"en": "What is the main reason for your score?", "de": "Was ist der wichtigste Grund für Ihre Bewertung?"}'::jsonb,
  0, 30, 72, 30, 30
)
ON CONFLICT ("key") DO NOTHING;
