import type { Child } from "hono/jsx";

export type Section = "overview" | "teams" | "escalations" | "followups" | "goals";

export interface PageFrame {
  title: string;
  section?: Section;
  /** The signed-in key's name and the CSRF token of the sign-out form; absent when signed out. */
  session?: { keyName: string; csrf: string };
}

const NAV: Array<[Section, string, string]> = [
  ["overview", "Overview", "/dashboard"],
  ["teams", "Teams", "/dashboard/teams"],
  ["escalations", "Escalations", "/dashboard/escalations"],
  ["followups", "Follow-ups", "/dashboard/followups"],
  ["goals", "Goals", "/dashboard/goals"],
];

export function Layout(props: PageFrame & { children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · rapport`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
      </head>
      <body>
        <header class="top">
          <span class="brand">rapport</span>
          {props.session
            ? NAV.map(([section, label, href]) => (
                <a
                  key={section}
                  href={href}
                  aria-current={props.section === section ? "page" : undefined}
                >
                  {label}
                </a>
              ))
            : null}
          {props.session ? (
            <form method="post" action="/dashboard/sign-out" class="inline">
              <input type="hidden" name="_csrf" value={props.session.csrf} />
              <span class="muted">{props.session.keyName}</span>
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          ) : null}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/** `<!doctype html>` and the page. */
export async function renderPage(node: Child): Promise<string> {
  return `<!doctype html>${await String(node)}`;
}

export function ErrorPage(props: { status: number; message: string; signedIn: boolean }) {
  const titles: Record<number, string> = {
    400: "That request did not work",
    403: "Not allowed",
    404: "Page not found",
    500: "Something went wrong",
    503: "Temporarily unavailable",
  };
  const title = titles[props.status] ?? "That request did not work";
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p class="notice error">{props.message}</p>
      <p>
        <a href={props.signedIn ? "/dashboard" : "/dashboard/sign-in"}>
          {props.signedIn ? "Back to the overview" : "Sign in"}
        </a>
      </p>
    </Layout>
  );
}

export function SignInPage(props: { error?: string; next?: string }) {
  return (
    <Layout title="Sign in">
      <section class="sign-in card">
        <h1>Sign in to the dashboard</h1>
        {props.error ? (
          <p class="notice error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/dashboard/sign-in">
          <label for="key">API key with the metrics:read scope</label>
          <input
            id="key"
            name="key"
            type="password"
            autocomplete="off"
            required
            placeholder="rpk_…"
          />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">
          Make a key with{" "}
          <code>npx rapport keys create --name dashboard --scopes metrics:read</code>. The key is
          exchanged for a session cookie and not kept in the browser.
        </p>
      </section>
    </Layout>
  );
}
