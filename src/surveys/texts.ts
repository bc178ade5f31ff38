/**
 * A survey's text for a contact's BCP 47 tag (`de-AT`, then `de`; tags match in any case, as
 * BCP 47 has it), else for `lang`, the language the email or page is written in; undefined when
 * neither has one.
 */
export function textFor(
  texts: Record<string, string>,
  tag: string | null,
  lang: string,
): string | undefined {
  const byTag = new Map(
    Object.entries(texts).map(([key, text]) => [key.toLowerCase().replaceAll("_", "-"), text]),
  );
  const parts = (tag ?? "").trim().toLowerCase().replaceAll("_", "-").split("-");
  for (let length = parts.length; length > 0; length--) {
    const found = byTag.get(parts.slice(0, length).join("-"))?.trim();
    if (found) return found;
  }
  return byTag.get(lang.toLowerCase())?.trim() || undefined;
}
