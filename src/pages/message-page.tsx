import type { Branding } from "../emails/branding.ts";
import { Layout } from "./layout.tsx";

/** A friendly page for people: what happened and what to do, never internals. */
export function MessagePage(props: {
  branding: Branding;
  lang: string;
  title: string;
  body: string;
  hint?: string;
}) {
  return (
    <Layout branding={props.branding} lang={props.lang} title={props.title}>
      <h1>{props.title}</h1>
      <p>{props.body}</p>
      {props.hint ? <p class="muted">{props.hint}</p> : null}
    </Layout>
  );
}
