import { createRoute, z } from "@hono/zod-openapi";
import {
  ACCENT_COLOR_PATTERN,
  defaultBranding,
  loadBranding,
  saveBranding,
} from "../emails/branding.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const Branding = z
  .object({
    companyName: z.string(),
    logoUrl: z.string().nullable(),
    accentColor: z.string(),
    fromAddress: z.string(),
    replyTo: z.string().nullable(),
    footerAddress: z.string().nullable(),
  })
  .openapi("Branding");

const email = z.email().max(254);

const BrandingInput = z
  // A misspelt field (`accentColour`) is refused rather than silently dropped.
  .strictObject({
    companyName: z.string().trim().min(1).max(200).openapi({ example: "Northwind IT" }),
    logoUrl: z
      .url({ protocol: /^https$/, error: "must be an https URL" })
      .max(2000)
      // Kept as URL writes it: `HTTPS://Host/` is https too, and is stored `https://host/`.
      .transform((value) => new URL(value).href)
      .nullable()
      .optional()
      .openapi({
        description: "An https URL of the logo shown at the top of emails (about 40 px high).",
        example: "https://northwind.example/logo.png",
      }),
    accentColor: z
      .string()
      .regex(ACCENT_COLOR_PATTERN, "must be a colour like #1a7f5a")
      .optional()
      .openapi({ description: `#rrggbb; default ${defaultBranding.accentColor}.` }),
    fromAddress: email.openapi({
      description: "The sender address; the company name is its display name.",
      example: "surveys@northwind.example",
    }),
    replyTo: email.nullable().optional(),
    footerAddress: z
      .string()
      .trim()
      .max(500)
      .nullable()
      .optional()
      .openapi({ description: "Postal address for the footer; line breaks are kept." }),
  })
  .openapi("BrandingInput", {
    description: "The whole branding: fields left out go back to their default.",
  });

const admin = requireScope("admin");

const get = createRoute({
  method: "get",
  path: "/v1/settings/branding",
  tags: ["Settings"],
  summary: "Read the branding of survey emails",
  security: bearerSecurity,
  middleware: [admin] as const,
  responses: {
    200: jsonContent(Branding, "The branding in use (defaults until saved)."),
    ...errorResponses(401, 403),
  },
});

const put = createRoute({
  method: "put",
  path: "/v1/settings/branding",
  tags: ["Settings"],
  summary: "Replace the branding of survey emails",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: BrandingInput } } },
  },
  responses: {
    200: jsonContent(Branding, "The saved branding."),
    ...errorResponses(401, 403),
  },
});

export const brandingRoutes = createRouter()
  .openapi(get, async (c) => {
    return c.json(await loadBranding({ ctx: serviceContext(c.get("services")) }), 200);
  })
  .openapi(put, async (c) => {
    const input = c.req.valid("json");
    const saved = await saveBranding({
      ctx: serviceContext(c.get("services")),
      input: {
        ...input,
        footerAddress: input.footerAddress || null,
      },
    });
    return c.json(saved, 200);
  });
