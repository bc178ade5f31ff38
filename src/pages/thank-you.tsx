import type { Scale } from "../db/schema/index.ts";
import type { Branding } from "../emails/branding.ts";
import { Layout } from "./layout.tsx";
import type { PageMessages } from "./messages.ts";

export interface ThankYouProps {
  branding: Branding;
  messages: PageMessages;
  scale: Scale;
  scores: number[];
  score: number;
  final: boolean;
  /** The survey's follow-up question, shown for unhappy and detractor answers. */
  followUpQuestion: string | undefined;
  comment: string | null;
  commentSaved: boolean;
  formToken: string;
  commentMaxLength: number;
  closed: boolean;
  /**
   * The link did not record this answer (a click taken for a scanner's, or a look-ahead): the
   * person is asked to confirm it, which the form does, with or without a comment.
   */
  unconfirmed: boolean;
}

/**
 * The page a score link opens: the answer, other answers to switch to, and a comment box. It is
 * served at `/r/{token}/{score}` (or `/r/{token}/comment` once a comment is posted), so its links
 * are relative: `2` is `/r/{token}/2` and the form posts to `/r/{token}/comment`. The page carries
 * no copy of the token, and pages of one shape differ only in their form token.
 */
export function ThankYouPage(props: ThankYouProps) {
  const m = props.messages;
  const label = (score: number) => m.scoreLabel(props.scale, score);
  return (
    <Layout branding={props.branding} lang={m.lang} title={m.thanksTitle}>
      <h1>{m.thanksTitle}</h1>
      <p class="muted">{m.thanksLead}</p>
      <p>
        {m.yourAnswer}:
        <br />
        <span class="answer" data-score={String(props.score)}>
          {label(props.score)}
        </span>
      </p>
      {props.final ? (
        <p class="notice">{m.finalNote}</p>
      ) : (
        <nav aria-label={m.changeHint}>
          <p class="muted">{m.changeHint}</p>
          <ul class="scores">
            {props.scores.map((score) => (
              <li key={score}>
                <a
                  href={String(score)}
                  rel="nofollow"
                  aria-current={score === props.score ? "true" : undefined}
                  aria-label={label(score)}
                  title={label(score)}
                >
                  {props.scale === "nps" ? String(score) : label(score)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {props.commentSaved ? (
        <p class="notice" role="status">
          {m.commentSaved}
        </p>
      ) : null}
      {props.comment ? (
        <section aria-label={m.yourComment}>
          <p class="muted">{m.yourComment}:</p>
          <blockquote>{props.comment}</blockquote>
        </section>
      ) : null}
      {props.closed ? null : (
        <form method="post" action="comment">
          {props.unconfirmed ? (
            <p class="notice" role="status">
              {m.confirmNote}
            </p>
          ) : null}
          <input type="hidden" name="csrf" value={props.formToken} />
          <input type="hidden" name="score" value={String(props.score)} />
          <label for="comment">{props.followUpQuestion ?? m.commentLabel}</label>
          <textarea
            id="comment"
            name="comment"
            maxlength={props.commentMaxLength}
            aria-describedby="comment-hint"
          >
            {props.comment ?? ""}
          </textarea>
          <p id="comment-hint" class="muted">
            {m.commentHint(props.commentMaxLength)}
          </p>
          <button type="submit">{props.unconfirmed ? m.confirm : m.send}</button>
        </form>
      )}
    </Layout>
  );
}
