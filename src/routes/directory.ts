import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { getClient, listClients, putClient } from "../directory/clients.ts";
import { eraseContact, getContact, listContacts, putContact } from "../directory/contacts.ts";
import {
  Client,
  ClientWithContacts,
  Contact,
  ContactsQuery,
  ExternalIdParam,
  Member,
  PageQuery,
  PutClient,
  PutContact,
  PutMember,
  PutTeam,
  pageOf,
  presentClient,
  presentClientWithContacts,
  presentContact,
  presentMember,
  presentTeam,
  Team,
  TeamKeyParam,
} from "../directory/contracts.ts";
import {
  getMember,
  getTeam,
  listMembers,
  listTeams,
  putMember,
  putTeam,
} from "../directory/people.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const write = requireScope("directory:write");
const read = requireScope("responses:read");
const tags = ["Directory"];

function jsonBody<T>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

/** The shape every directory route shares: key auth, its scope, the error responses. */
function directoryRoute<const R extends Omit<RouteConfig, "tags" | "security" | "middleware">>(
  route: R,
  scope: "read" | "write",
) {
  return createRoute({
    ...route,
    tags,
    security: bearerSecurity,
    middleware: [scope === "read" ? read : write] as const,
  });
}

function putResponses<T>(schema: T, name: string) {
  return {
    200: jsonContent(schema, `The updated ${name}.`),
    201: jsonContent(schema, `The created ${name}.`),
    ...errorResponses(401, 403),
  };
}

const notFound = (what: string) => new ApiError("not_found", `No ${what} has this id.`);

// Clients
const putClientRoute = directoryRoute(
  {
    method: "put",
    path: "/v1/clients/{externalId}",
    summary: "Create or update a client",
    request: { params: ExternalIdParam, ...jsonBody(PutClient) },
    responses: putResponses(Client, "client"),
  },
  "write",
);
const getClientRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/clients/{externalId}",
    summary: "Fetch a client with its contacts",
    request: { params: ExternalIdParam },
    responses: {
      200: jsonContent(ClientWithContacts, "The client."),
      ...errorResponses(401, 403, 404),
    },
  },
  "read",
);
const listClientsRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/clients",
    summary: "List clients, oldest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(Client), "A page."), ...errorResponses(401, 403) },
  },
  "read",
);

// Contacts
const putContactRoute = directoryRoute(
  {
    method: "put",
    path: "/v1/contacts/{externalId}",
    summary: "Create or update a contact",
    request: { params: ExternalIdParam, ...jsonBody(PutContact) },
    responses: { ...putResponses(Contact, "contact"), ...errorResponses(401, 403, 409) },
  },
  "write",
);
const getContactRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/contacts/{externalId}",
    summary: "Fetch a contact with its opt-out and bounce state",
    request: { params: ExternalIdParam },
    responses: { 200: jsonContent(Contact, "The contact."), ...errorResponses(401, 403, 404) },
  },
  "read",
);
const listContactsRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/contacts",
    summary: "List contacts, oldest first",
    request: { query: ContactsQuery },
    responses: { 200: jsonContent(pageOf(Contact), "A page."), ...errorResponses(401, 403) },
  },
  "read",
);
const eraseContactRoute = directoryRoute(
  {
    method: "delete",
    path: "/v1/contacts/{externalId}",
    summary: "Erase a contact's personal data",
    description:
      "Removes email, name, locale and comments, replaces the external id with an opaque " +
      "`erased-<uuid>` and cancels unsent invitations. Scores stay, anonymised. The old id " +
      "stays known only as a hash: a later PSA event naming it is recorded against the erased " +
      "contact without their details and surveys no one (`contact_erased`), and a `PUT` of it " +
      "is refused (409).",
    request: { params: ExternalIdParam },
    responses: {
      200: jsonContent(Contact, "The erased contact."),
      ...errorResponses(401, 403, 404),
    },
  },
  "write",
);

// Teams
const putTeamRoute = directoryRoute(
  {
    method: "put",
    path: "/v1/teams/{key}",
    summary: "Create or update a team",
    request: { params: TeamKeyParam, ...jsonBody(PutTeam) },
    responses: putResponses(Team, "team"),
  },
  "write",
);
const getTeamRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/teams/{key}",
    summary: "Fetch a team",
    request: { params: TeamKeyParam },
    responses: { 200: jsonContent(Team, "The team."), ...errorResponses(401, 403, 404) },
  },
  "read",
);
const listTeamsRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/teams",
    summary: "List teams, oldest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(Team), "A page."), ...errorResponses(401, 403) },
  },
  "read",
);

// Members
const putMemberRoute = directoryRoute(
  {
    method: "put",
    path: "/v1/members/{externalId}",
    summary: "Create or update a member",
    request: { params: ExternalIdParam, ...jsonBody(PutMember) },
    responses: putResponses(Member, "member"),
  },
  "write",
);
const getMemberRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/members/{externalId}",
    summary: "Fetch a member and their current team",
    request: { params: ExternalIdParam },
    responses: { 200: jsonContent(Member, "The member."), ...errorResponses(401, 403, 404) },
  },
  "read",
);
const listMembersRoute = directoryRoute(
  {
    method: "get",
    path: "/v1/members",
    summary: "List members, oldest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(Member), "A page."), ...errorResponses(401, 403) },
  },
  "read",
);

const page = <T, U>(result: { data: T[]; nextCursor: string | null }, present: (row: T) => U) => ({
  data: result.data.map(present),
  nextCursor: result.nextCursor,
});

export const directoryRoutes = createRouter()
  .openapi(putClientRoute, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const input = { ...c.req.valid("json"), ...c.req.valid("param") };
    const { client, created } = await putClient({ ctx, input });
    return c.json(presentClient(client), created ? 201 : 200);
  })
  .openapi(getClientRoute, async (c) => {
    const found = await getClient({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!found) throw notFound("client");
    return c.json(presentClientWithContacts(found.client, found.contacts), 200);
  })
  .openapi(listClientsRoute, async (c) => {
    const result = await listClients({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json(page(result, presentClient), 200);
  })
  .openapi(putContactRoute, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const input = { ...c.req.valid("json"), ...c.req.valid("param") };
    const { contact, created } = await putContact({ ctx, input });
    return c.json(presentContact(contact), created ? 201 : 200);
  })
  .openapi(getContactRoute, async (c) => {
    const contact = await getContact({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!contact) throw notFound("contact");
    return c.json(presentContact(contact), 200);
  })
  .openapi(listContactsRoute, async (c) => {
    const result = await listContacts({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json(page(result, presentContact), 200);
  })
  .openapi(eraseContactRoute, async (c) => {
    const contact = await eraseContact({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!contact) throw notFound("contact");
    return c.json(presentContact(contact), 200);
  })
  .openapi(putTeamRoute, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const input = { ...c.req.valid("json"), ...c.req.valid("param") };
    const { team, created } = await putTeam({ ctx, input });
    return c.json(presentTeam(team), created ? 201 : 200);
  })
  .openapi(getTeamRoute, async (c) => {
    const team = await getTeam({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!team) throw notFound("team");
    return c.json(presentTeam(team), 200);
  })
  .openapi(listTeamsRoute, async (c) => {
    const result = await listTeams({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json(page(result, presentTeam), 200);
  })
  .openapi(putMemberRoute, async (c) => {
    const ctx = serviceContext(c.get("services"));
    const input = { ...c.req.valid("json"), ...c.req.valid("param") };
    const { member, created } = await putMember({ ctx, input });
    return c.json(presentMember(member), created ? 201 : 200);
  })
  .openapi(getMemberRoute, async (c) => {
    const member = await getMember({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!member) throw notFound("member");
    return c.json(presentMember(member), 200);
  })
  .openapi(listMembersRoute, async (c) => {
    const result = await listMembers({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json(page(result, presentMember), 200);
  });
