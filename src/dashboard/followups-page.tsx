import type { FollowupView } from "../followups/manage.ts";
import { Layout, type PageFrame } from "./layout.tsx";

const STATE_FILTERS = ["open", "overdue", "acknowledged", "resolved", "all"] as const;
export type FollowupFilter = (typeof STATE_FILTERS)[number];

function StateBadge(props: { followup: FollowupView }) {
  const state = props.followup.overdue ? "overdue" : props.followup.state;
  return <span class={`status status-${state}`}>{state}</span>;
}

function ScoreCell(props: { followup: FollowupView }) {
  const { response } = props.followup;
  return (
    <span>
      {response.score} <span class="muted">({response.scale})</span>
    </span>
  );
}

/**
 * The case's actions. From the list, `back` is the list as shown (state and team): the action
 * returns there rather than to the case's own page.
 */
function ActionForms(props: { followup: FollowupView; csrf: string; back?: string }) {
  const { followup, csrf } = props;
  const back = props.back ? <input type="hidden" name="back" value={props.back} /> : null;
  if (followup.state === "resolved") return <span class="muted">resolved</span>;
  return (
    <div>
      {followup.state === "open" ? (
        <form method="post" action={`/dashboard/followups/${followup.id}`} class="inline">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="action" value="acknowledge" />
          {back}
          <button type="submit" class="secondary">
            Acknowledge
          </button>
        </form>
      ) : null}
      <form method="post" action={`/dashboard/followups/${followup.id}`} class="inline">
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="action" value="resolve" />
        {back}
        <input
          type="text"
          name="note"
          placeholder="Resolution note"
          aria-label="Resolution note"
          maxlength={2000}
          required
        />
        <button type="submit">Resolve</button>
      </form>
    </div>
  );
}

export function FollowupsPage(
  props: PageFrame & {
    filter: FollowupFilter;
    /** The one team whose follow-ups are listed, or undefined for all teams. */
    team?: { key: string; name: string };
    followups: FollowupView[];
    /** Where the next page of older follow-ups starts, or null on the last page. */
    nextCursor: string | null;
    csrf: string;
    notice?: string;
  },
) {
  const teamQuery = props.team ? `&team=${encodeURIComponent(props.team.key)}` : "";
  return (
    <Layout {...props}>
      <h1>Follow-ups</h1>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.team ? (
        <p>
          Credited to {props.team.name} only.{" "}
          <a href={`/dashboard/followups?state=${props.filter}`}>All teams</a>
        </p>
      ) : null}
      <nav class="states" aria-label="States">
        {STATE_FILTERS.map((filter) => (
          <>
            <a
              href={`/dashboard/followups?state=${filter}${teamQuery}`}
              aria-current={props.filter === filter ? "page" : undefined}
            >
              {filter}
            </a>{" "}
          </>
        ))}
      </nav>
      {props.followups.length === 0 ? (
        <p class="muted">No follow-ups here.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Opened</th>
              <th>State</th>
              <th>Score</th>
              <th>Comment</th>
              <th>Teams</th>
              <th>Owner</th>
              <th>Action</th>
            </tr>
          </thead>
          <tbody>
            {props.followups.map((followup) => (
              <tr key={followup.id} data-followup={followup.id}>
                <td>
                  <a href={`/dashboard/followups/${followup.id}`}>
                    {followup.openedAt.toISOString().slice(0, 16).replace("T", " ")}
                  </a>
                </td>
                <td>
                  <StateBadge followup={followup} />
                </td>
                <td>
                  <ScoreCell followup={followup} />
                </td>
                <td>{followup.response.comment ?? ""}</td>
                <td>{followup.teams.map((team) => team.name).join(", ")}</td>
                <td>{followup.owner ?? ""}</td>
                <td>
                  <ActionForms
                    followup={followup}
                    csrf={props.csrf}
                    back={`/dashboard/followups?state=${props.filter}${teamQuery}`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor ? (
        <p>
          <a
            href={`/dashboard/followups?state=${props.filter}${teamQuery}&cursor=${encodeURIComponent(props.nextCursor)}`}
          >
            Older follow-ups
          </a>
        </p>
      ) : null}
    </Layout>
  );
}

export function FollowupPage(props: PageFrame & { followup: FollowupView; csrf: string }) {
  const { followup } = props;
  return (
    <Layout {...props}>
      <p>
        <a href="/dashboard/followups">All follow-ups</a>
      </p>
      <h1>
        Follow-up <StateBadge followup={followup} />
      </h1>
      <table>
        <tbody>
          <tr>
            <th>Score</th>
            <td>
              <ScoreCell followup={followup} />{" "}
              <a href={`/dashboard/responses/${followup.responseId}`}>the response</a>
            </td>
          </tr>
          <tr>
            <th>Comment</th>
            <td>{followup.response.comment ?? ""}</td>
          </tr>
          <tr>
            <th>Teams</th>
            <td>{followup.teams.map((team) => team.name).join(", ")}</td>
          </tr>
          <tr>
            <th>Members</th>
            <td>{followup.members.map((member) => member.name).join(", ")}</td>
          </tr>
          <tr>
            <th>Opened</th>
            <td>{followup.openedAt.toISOString()}</td>
          </tr>
          <tr>
            <th>Due</th>
            <td>{followup.dueAt.toISOString()}</td>
          </tr>
          <tr>
            <th>Owner</th>
            <td>{followup.owner ?? ""}</td>
          </tr>
        </tbody>
      </table>
      <h2>Notes</h2>
      {(followup.notes ?? []).length === 0 ? <p class="muted">No notes yet.</p> : null}
      {(followup.notes ?? []).map((note) => (
        <blockquote key={note.id}>
          {note.body}
          <br />
          <span class="muted">
            {note.author}, {note.at.toISOString().slice(0, 16).replace("T", " ")}
          </span>
        </blockquote>
      ))}
      <h2>Act</h2>
      <ActionForms followup={followup} csrf={props.csrf} />
    </Layout>
  );
}
