import type { ResponseDetail } from "../responses/response-detail.ts";
import { Layout, type PageFrame } from "./layout.tsx";

const SCALES: Record<string, string> = {
  csat3: "CSAT, 1–3",
  csat5: "CSAT, 1–5",
  nps: "NPS, 0–10",
};

const STATES: Record<string, string> = {
  recorded: "recorded: counts in the figures",
  quarantined: "quarantined: a link scanner's click, not counted until the person confirms",
  flagged: "flagged: not counted",
};

const minute = (at: Date) => at.toISOString().slice(0, 16).replace("T", " ");

function Contact(props: { contact: ResponseDetail["contact"] }) {
  const { contact } = props;
  if (contact === null) return <span class="muted">none</span>;
  if (contact === "erased") return <span class="muted">erased</span>;
  return <span>{[contact.name, contact.email].filter(Boolean).join(", ") || "unnamed"}</span>;
}

/** Where a webhook's `url` and the "Open in rapport" button of chat messages lead. */
export function ResponsePage(props: PageFrame & { detail: ResponseDetail }) {
  const { response, survey, client, workItem, contact, attribution, clicks, followups } =
    props.detail;
  return (
    <Layout {...props}>
      <h1>
        Response <span class={`status status-${response.state}`}>{response.state}</span>
      </h1>
      <table>
        <tbody>
          <tr>
            <th>Score</th>
            <td data-score={String(response.score)}>
              {response.score}{" "}
              <span class="muted">({SCALES[response.scale] ?? response.scale})</span>
            </td>
          </tr>
          <tr>
            <th>State</th>
            <td>{STATES[response.state] ?? response.state}</td>
          </tr>
          <tr>
            <th>Comment</th>
            <td class="comment">{response.comment ?? <span class="muted">none</span>}</td>
          </tr>
          <tr>
            <th>Survey</th>
            <td>{survey.key}</td>
          </tr>
          <tr>
            <th>Client</th>
            <td>
              {client.name} <span class="muted">({client.externalId})</span>
            </td>
          </tr>
          <tr>
            <th>Work item</th>
            <td>
              {workItem ? (
                <>
                  {workItem.kind} #{workItem.externalId} {workItem.summary}
                  {workItem.board ? <span class="muted"> · {workItem.board}</span> : null}
                </>
              ) : (
                <span class="muted">none</span>
              )}
            </td>
          </tr>
          <tr>
            <th>Contact</th>
            <td>
              <Contact contact={contact} />
            </td>
          </tr>
          <tr>
            <th>Answered</th>
            <td>
              {minute(response.respondedAt)} UTC <span class="muted">via {response.source}</span>
            </td>
          </tr>
          <tr>
            <th>Final from</th>
            <td>{minute(response.finalAt)} UTC</td>
          </tr>
          <tr>
            <th>Follow-up</th>
            <td>
              {followups.length === 0 ? (
                <span class="muted">none</span>
              ) : (
                followups.map((followup) => (
                  <div key={followup.id}>
                    <a href={`/dashboard/followups/${followup.id}`} data-followup={followup.id}>
                      {followup.state}, opened {minute(followup.openedAt)}
                    </a>
                  </div>
                ))
              )}
            </td>
          </tr>
        </tbody>
      </table>

      <h2>Credited to</h2>
      {attribution.length === 0 ? (
        <p class="muted">No team or member touched this work item.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Team</th>
              <th>Member</th>
              <th class="num">Weight</th>
            </tr>
          </thead>
          <tbody>
            {attribution.map((line) => (
              <tr key={`${line.team.key}-${line.member.name}`}>
                <td>
                  <a href={`/dashboard/teams/${encodeURIComponent(line.team.key)}`}>
                    {line.team.name}
                  </a>
                </td>
                <td>{line.member.name}</td>
                <td class="num" data-weight={String(line.weight)}>
                  {`${Math.round(line.weight * 1000) / 10}%`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Click evidence</h2>
      {clicks.length === 0 ? (
        <p class="muted">
          No link clicks: the answer came{" "}
          {response.source === "api" ? "through the API" : "from the comment form"}.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>At (UTC)</th>
              <th class="num">Score</th>
              <th>Verdict</th>
              <th>Why</th>
              <th>From the page</th>
              <th>Browser</th>
            </tr>
          </thead>
          <tbody>
            {clicks.map((click) => (
              <tr key={`${click.at.toISOString()}-${click.verdict}-${click.score}`}>
                <td>{click.at.toISOString().slice(0, 19).replace("T", " ")}</td>
                <td class="num">{click.score}</td>
                <td data-verdict={click.verdict}>{click.verdict}</td>
                <td>{click.reason ?? ""}</td>
                <td>{click.fromPage ? "yes" : "no"}</td>
                <td class="muted">{click.userAgent ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
