import type { Branding } from "../emails/branding.ts";
import { Layout } from "./layout.tsx";
import type { PageMessages } from "./messages.ts";

/** Asks before opting out (a link opened by a scanner must not unsubscribe anyone). */
export function UnsubscribePage(props: {
  branding: Branding;
  messages: PageMessages;
  token: string;
  formToken: string;
  done: boolean;
}) {
  const m = props.messages;
  const title = props.done ? m.unsubscribedTitle : m.unsubscribeTitle;
  return (
    <Layout branding={props.branding} lang={m.lang} title={title}>
      <h1>{title}</h1>
      {props.done ? (
        <>
          <p role="status">{m.unsubscribedBody}</p>
          <p class="muted">{m.backHint}</p>
        </>
      ) : (
        <form method="post" action={`/u/${props.token}`}>
          <p>{m.unsubscribeBody}</p>
          <input type="hidden" name="csrf" value={props.formToken} />
          <button type="submit">{m.unsubscribeButton}</button>
        </form>
      )}
    </Layout>
  );
}
