import { find } from 'linkifyjs';
import { Fragment } from 'preact';

/** What the contact-detail policy puts where it removed an address, number or link. */
export const REDACTED = '[removed]';

const SAFE = new Set(['http:', 'https:', 'mailto:']);

/** A link's target if it is one we let a click follow: web pages and e-mail, nothing that runs code. */
export function safeHref(href: string): string | undefined {
  try {
    return SAFE.has(new URL(href).protocol) ? href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A message's text as text nodes and links, never as HTML: whatever the text holds (`<img onerror>`,
 * `javascript:` …) reaches the page as characters. Redactions are marked so that everyone sees (and
 * hears) that something was taken out.
 */
export function RichText({ text }: { text: string }) {
  const parts = text.split(REDACTED);
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && (
            <span class="redacted" role="img" aria-label="removed by the contact-detail policy">
              {REDACTED}
            </span>
          )}
          <Linked text={part} />
        </Fragment>
      ))}
    </>
  );
}

function Linked({ text }: { text: string }) {
  const out: preact.ComponentChildren[] = [];
  let at = 0;
  for (const link of find(text)) {
    const href = link.type === 'email' || link.type === 'url' ? safeHref(link.href) : undefined;
    if (!href) continue;
    if (link.start > at) out.push(text.slice(at, link.start));
    out.push(
      <a key={link.start} href={href} target="_blank" rel="noopener noreferrer nofollow">
        {text.slice(link.start, link.end)}
      </a>,
    );
    at = link.end;
  }
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}
