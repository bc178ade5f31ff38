/**
 * Anything shaped like an email address, in a text that belongs to one person's emails (a
 * bounce's words, a provider's error): after erasure no address stays there, not only the one on
 * file (a former address, corrected after it bounced, is theirs too). The same pattern serves
 * PostgreSQL's regular expressions (`EMAIL_SHAPED`) and JavaScript's (`withoutEmails`).
 */
export const EMAIL_SHAPED = "[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}";

const emailShaped = new RegExp(EMAIL_SHAPED, "g");

/** `text` with every email-shaped part replaced by `[erased]`. */
export function withoutEmails(text: string): string {
  return text.replace(emailShaped, "[erased]");
}
