import { findPhoneNumbersInText } from 'libphonenumber-js';
import { find as findLinks } from 'linkifyjs';
import { ApiError } from '../errors.ts';

/**
 * The contact-detail policy (PARLEY_CONTACT_POLICY): on a platform where adults teach minors, contact
 * stays on the platform, so e-mail addresses, phone numbers and links to places where people talk
 * off it are let through (`off`), reported for review (`flag`), replaced by "[removed]" before the
 * message is stored (`redact`) or refused (`block`, 400 content_blocked). Phone numbers are found by
 * libphonenumber-js (international formats, and the local formats of PARLEY_CONTACT_PHONE_REGIONS),
 * addresses and links by linkifyjs; neither is a regular expression of ours.
 */
export type ContactPolicy = 'off' | 'flag' | 'redact' | 'block';

export interface Finding {
  kind: 'email' | 'phone' | 'link';
  start: number;
  end: number;
}

/**
 * Hosts where people talk (or meet) off the platform: messengers, social profiles, video calls.
 * A link elsewhere (a worksheet, a video lesson) is content, not a contact detail.
 */
const OFF_PLATFORM = [
  'wa.me',
  'whatsapp.com',
  't.me',
  'telegram.me',
  'telegram.org',
  'signal.me',
  'signal.group',
  'm.me',
  'messenger.com',
  'facebook.com',
  'fb.com',
  'fb.me',
  'instagram.com',
  'instagr.am',
  'snapchat.com',
  'tiktok.com',
  'discord.gg',
  'discord.com',
  'discordapp.com',
  'kik.me',
  'x.com',
  'twitter.com',
  'threads.net',
  'linkedin.com',
  'line.me',
  'viber.com',
  'skype.com',
  'wechat.com',
  'weixin.qq.com',
  'reddit.com',
  'zoom.us',
  'meet.google.com',
  'teams.microsoft.com',
  'teams.live.com',
  'whereby.com',
  'omegle.com',
  'kick.com',
  'twitch.tv',
];

function offPlatform(href: string): boolean {
  try {
    const host = new URL(href).hostname.toLowerCase().replace(/^www\./, '');
    return OFF_PLATFORM.some((h) => host === h || host.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

/**
 * Whether the text has a run of at least 4 digits, counting the separators phone numbers are written
 * with (spaces, dashes, dots, slashes, parentheses, a plus). No valid number of any numbering plan
 * is shorter, so the phone finder (60–300 µs a message) runs only where it could find something:
 * "question 3", "page 12" and "95 out of 100" skip it.
 */
export function mayHoldPhoneNumber(text: string): boolean {
  return /\d(?:[\s\-./()+\u2010-\u2015]*\d){3}/.test(text);
}

/** The contact details in `text`, in order, overlaps merged. */
export function findContactDetails(text: string, regions: readonly string[]): Finding[] {
  const found: Finding[] = [];
  for (const l of findLinks(text)) {
    if (l.type === 'email') found.push({ kind: 'email', start: l.start, end: l.end });
    else if (l.type === 'url' && offPlatform(l.href)) found.push({ kind: 'link', start: l.start, end: l.end });
  }
  if (mayHoldPhoneNumber(text)) {
    for (const region of regions) {
      for (const p of findPhoneNumbersInText(text, region as Parameters<typeof findPhoneNumbersInText>[1])) {
        found.push({ kind: 'phone', start: p.startsAt, end: p.endsAt });
      }
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const f of found) {
    const last = merged.at(-1);
    if (last && f.start < last.end) last.end = Math.max(last.end, f.end);
    else merged.push({ ...f });
  }
  return merged;
}

export const REDACTED = '[removed]';

/**
 * Applies the policy to a message's text: the text to store, and what was found (for a `flag`
 * report). Throws content_blocked under `block`.
 */
export function applyContactPolicy(
  policy: ContactPolicy,
  regions: readonly string[],
  content: string,
): { content: string; findings: Finding[] } {
  if (policy === 'off') return { content, findings: [] };
  const findings = findContactDetails(content, regions);
  if (findings.length === 0) return { content, findings };
  if (policy === 'block') {
    const kinds = [...new Set(findings.map((f) => f.kind))].join(', ');
    throw new ApiError('content_blocked', `Contact details are not allowed in messages here (found: ${kinds}).`);
  }
  if (policy === 'redact') {
    let out = '';
    let at = 0;
    for (const f of findings) {
      out += content.slice(at, f.start) + REDACTED;
      at = f.end;
    }
    return { content: out + content.slice(at), findings };
  }
  return { content, findings };
}
