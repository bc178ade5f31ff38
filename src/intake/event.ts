import { z } from "@hono/zod-openapi";
import { instantInput } from "../instant.ts";

export const eventTypes = [
  "ticket.closed",
  "ticket.updated",
  "ticket.reopened",
  "project.completed",
  "project.updated",
] as const;

export const touchRoles = ["owner", "resource", "time-entry", "note", "escalation"] as const;

const instant = instantInput().openapi({
  description:
    "RFC 3339 date-time with an offset or Z (`t` and `z` may be lower case), between the years " +
    "1900 and 9999.",
  example: "2026-11-18T16:42:10Z",
});

const externalId = z.string().trim().min(1).max(200);

export const CanonicalEvent = z
  .object({
    id: z.string().trim().min(1).max(200).openapi({
      description:
        "The producer's unique id for this event; a repeated id is acknowledged and ignored.",
      example: "cw-48213-closed-2026-11-18T16:42:10Z",
    }),
    type: z.enum(eventTypes).openapi({
      description:
        "What happened: `ticket.closed` and `project.completed` may schedule a survey; updates and " +
        "reopens record the work item and its touches only.",
    }),
    occurredAt: instant.openapi({ description: "When it happened in the PSA." }),
    workItem: z
      .object({
        externalId: externalId.openapi({
          description: "The PSA's ticket or project id.",
          example: "48213",
        }),
        reference: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .nullish()
          .openapi({
            description:
              "The number people know the ticket or project by, when it differs from `externalId` " +
              "(Autotask's `TicketNumber`, e.g. `T20261118.0042`); survey emails name it, falling " +
              "back to `externalId`. An event without it keeps the one recorded before.",
            example: "T20261118.0042",
          }),
        kind: z.enum(["ticket", "project"]).openapi({
          description: "`ticket` for ticket.* events, `project` for project.* events.",
        }),
        summary: z.string().max(1000).default("").openapi({
          description: "Title of the ticket or project; shown in the survey email.",
          example: "Outlook keeps asking for password",
        }),
        board: z
          .string()
          .max(200)
          .nullish()
          .openapi({ description: "Board or queue name.", example: "Help Desk" }),
        openedAt: instant.nullish().openapi({ description: "When the work item was opened." }),
        closedAt: instant.nullish().openapi({ description: "When it closed or completed." }),
        firstResponseAt: instant
          .nullish()
          .openapi({ description: "First response to the client, if known." }),
      })
      .openapi({ description: "The ticket or project." }),
    client: z
      .object({
        externalId: externalId.openapi({ description: "The PSA's company id.", example: "250" }),
        name: z
          .string()
          .trim()
          .min(1)
          .max(300)
          .openapi({ description: "Company name.", example: "Acme Dental Group" }),
      })
      .openapi({ description: "The MSP's customer the work was for." }),
    contact: z
      .object({
        externalId: externalId.openapi({ description: "The PSA's contact id.", example: "1733" }),
        email: z.email().max(320).nullish().openapi({
          description: "Where the survey goes; without it no invitation is scheduled.",
          example: "priya.raman@acmedental.example",
        }),
        name: z
          .string()
          .max(300)
          .nullish()
          .openapi({ description: "Name used to greet the contact.", example: "Priya Raman" }),
        locale: z
          .string()
          .max(35)
          .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, "must be a BCP 47 tag")
          .nullish()
          .openapi({
            description: "BCP 47 language tag choosing the email's language (English fallback).",
            example: "en-US",
          }),
      })
      .nullish()
      .openapi({ description: "The person the work was for, who receives the survey." }),
    touches: z
      .array(
        z.object({
          member: z
            .object({
              externalId: externalId.openapi({
                description: "The PSA's member (technician) id.",
                example: "jlopez",
              }),
              name: z
                .string()
                .trim()
                .min(1)
                .max(300)
                .nullish()
                .openapi({
                  description:
                    "Display name. Leave it out (or null) when the producer knows only the id: " +
                    "the member keeps the name on record, and a new member is named by its " +
                    "externalId until an event or the directory names them.",
                  example: "Jordan Lopez",
                }),
              email: z
                .email()
                .max(320)
                .nullish()
                .openapi({ description: "The member's work email, if known." }),
            })
            .openapi({ description: "Who touched the work item." }),
          team: z
            .string()
            .trim()
            .min(1)
            .max(100)
            .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a team key such as help-desk")
            .openapi({
              description: "The member's team key at that moment.",
              example: "help-desk",
            }),
          at: instant.openapi({ description: "When the member touched the work item." }),
          minutes: z.number().int().min(0).max(100_000).nullish().openapi({
            description: "Minutes worked, when known (used by `credit=weighted`).",
          }),
          role: z
            .enum(touchRoles)
            .default("resource")
            .openapi({
              description:
                "How they touched it: `owner`, `resource` (assigned), `time-entry`, `note` or " +
                "`escalation`. Defaults to `resource`.",
            }),
        }),
      )
      .max(500)
      .default([])
      .openapi({ description: "Every member and team that touched the work item." }),
  })
  .superRefine((event, issues) => {
    // A ticket event describes a ticket, a project event a project.
    const kind = event.type.startsWith("ticket.") ? "ticket" : "project";
    if (event.workItem.kind !== kind) {
      issues.addIssue({
        code: "custom",
        path: ["workItem", "kind"],
        message: `must be "${kind}" for a ${event.type} event`,
      });
    }
  })
  .openapi("CanonicalEvent");

export type CanonicalEvent = z.infer<typeof CanonicalEvent>;
export type CanonicalEventInput = z.input<typeof CanonicalEvent>;
