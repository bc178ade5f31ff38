/** The demo's cast: an MSP's four teams, a dozen technicians and six clients. */

export const demoTeams = [
  { key: "help-desk", name: "Help Desk", lead: "helpdesk.lead@msp.example" },
  { key: "projects", name: "Projects", lead: "projects.lead@msp.example" },
  {
    key: "centralized-services",
    name: "Centralized Services",
    lead: "cs.lead@msp.example",
  },
  {
    key: "technical-alignment",
    name: "Technical Alignment",
    lead: "vcio@msp.example",
  },
] as const;

export type DemoTeamKey = (typeof demoTeams)[number]["key"];

export const demoMembers: Array<{ externalId: string; name: string; team: DemoTeamKey }> = [
  { externalId: "alopez", name: "Ana Lopez", team: "help-desk" },
  { externalId: "bkim", name: "Ben Kim", team: "help-desk" },
  { externalId: "cnovak", name: "Clara Novak", team: "help-desk" },
  { externalId: "dosei", name: "David Osei", team: "help-desk" },
  { externalId: "efischer", name: "Emma Fischer", team: "help-desk" },
  { externalId: "fmorel", name: "Felix Morel", team: "projects" },
  { externalId: "gsato", name: "Grace Sato", team: "projects" },
  { externalId: "hbrandt", name: "Hugo Brandt", team: "projects" },
  { externalId: "iahmed", name: "Iris Ahmed", team: "centralized-services" },
  { externalId: "jwalsh", name: "Jonas Walsh", team: "centralized-services" },
  { externalId: "kmensah", name: "Kofi Mensah", team: "technical-alignment" },
  { externalId: "lrossi", name: "Lea Rossi", team: "technical-alignment" },
];

export const demoClients = [
  { externalId: "acme", name: "Acme Dental Group", domain: "acmedental.example" },
  { externalId: "birch", name: "Birch & Co Accountants", domain: "birchco.example" },
  { externalId: "coastal", name: "Coastal Logistics", domain: "coastal.example" },
  { externalId: "delta", name: "Delta Architects", domain: "delta-arch.example" },
  { externalId: "evergreen", name: "Evergreen Clinic", domain: "evergreen.example" },
  { externalId: "fjord", name: "Fjord Legal", domain: "fjordlegal.example" },
];

export const contactNames = [
  "Priya Raman",
  "Tom Becker",
  "Sofia Marin",
  "Liam Carter",
  "Mia Schulz",
  "Noah Reyes",
  "Olivia Grant",
  "Lucas Meyer",
];

export const ticketSummaries = [
  "Outlook keeps asking for password",
  "New starter laptop setup",
  "VPN drops every hour",
  "Printer on 2nd floor offline",
  "Shared mailbox access",
  "MFA reset after phone change",
  "Teams calls choppy",
  "File share permissions",
  "Backup job failed overnight",
  "Firewall rule for new supplier portal",
  "Slow PC in reception",
  "Licence renewal question",
];

export const projectSummaries = [
  "Microsoft 365 tenant migration",
  "Office move: network and Wi-Fi",
  "Server room refresh",
  "Intune rollout for laptops",
  "Backup and DR redesign",
];

export const positiveComments = [
  "Quick and friendly, thank you!",
  "Sorted within minutes, great job.",
  "Very patient and explained everything.",
  "Fixed before I finished my coffee.",
  "Excellent communication throughout.",
  "Always a pleasure to deal with your team.",
];

export const neutralComments = [
  "Fixed eventually, took a while to get a reply.",
  "OK, but I had to explain the issue twice.",
];

export const negativeComments = [
  "Took three days and it is still not working properly.",
  "Nobody called me back as promised.",
  "Had to chase for updates several times.",
  "The fix broke my printer mapping.",
];

export const projectComments = {
  promoter: ["The migration went smoothly, great planning.", "Professional team, would recommend."],
  passive: ["Good result, but the timeline slipped."],
  detractor: ["Over budget and the cut-over weekend was chaotic."],
};
