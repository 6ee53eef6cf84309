/**
 * Slack's mrkdwn, both ways: text that is not ours escaped (&, <, >) so it can neither form a
 * link nor mention anyone, cut within Slack's limits without breaking an entity, links; and
 * back to plain terminal text.
 */

/** Escape Slack's control characters in text that is not ours. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escape `text` and cut it so that the escaped text has at most `max` characters, ending
 * with '…' when cut; never in the middle of an entity or of a surrogate pair.
 */
export function escapeAndCut(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of text) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** Cut plain text (no escaping) to at most `max` characters. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out}…`;
}

/** A mrkdwn link; the URL is ours, the label is escaped. */
export function link(url: string, label: string): string {
  const safeUrl = url
    .replace(/&/g, '&amp;')
    .replace(/</g, '%3C')
    .replace(/>/g, '%3E')
    .replace(/\|/g, '%7C');
  return `<${safeUrl}|${escapeMrkdwn(label)}>`;
}

/** mrkdwn back to terminal text: links as `label: url`, entities decoded, *bold* kept plain. */
export function mrkdwnToText(text: string): string {
  return text
    .replace(/<([^|>]+)\|([^>]*)>/g, (_, url: string, label: string) => `${label}: ${url}`)
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
