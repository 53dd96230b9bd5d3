import { applyContactPolicy } from '../../src/chat/contact.ts';
import type { Ctx } from '../lib/context.ts';

/**
 * contact: what the contact-detail policy (src/chat/contact.ts) costs a message on the write path,
 * in this process, per kind of message: plain chat, chat with numbers, with links, and with contact
 * details. It runs before a message is written, on the sender's request, whatever the transport.
 */
const CORPUS: Record<string, string[]> = {
  plain: [
    'hi! are we still on for the lesson later?',
    'I did the reading but question three confused me, can we go over it',
    'great work today, see you next week',
  ],
  with_numbers: [
    'page 12, exercises 3 to 7, due on 2026-12-08 at 16:00',
    'the answer is 12 × 34 = 408, check the 2nd step',
    'we scored 95 out of 100 in round 2',
  ],
  with_links: [
    'the worksheet is at https://www.khanacademy.org/math/algebra',
    'watch https://youtube.com/watch?v=abc123 before Tuesday',
  ],
  with_contacts: [
    'text me on +44 7911 123456 or mail sam@example.com',
    'my cell is (415) 555-2671',
    'add me on instagram.com/sam.tutor or wa.me/447911123456',
  ],
};

export function contactPolicyCost(ctx: Ctx) {
  const rounds = ctx.quick ? 2_000 : 10_000;
  const out: Record<string, { us_per_message: number; found: number }> = {};
  for (const [kind, texts] of Object.entries(CORPUS)) {
    for (const t of texts) applyContactPolicy('flag', ['US', 'GB'], t); // warm up
    let found = 0;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      for (const t of texts) found += applyContactPolicy('redact', ['US', 'GB'], t).findings.length;
    }
    const us = ((performance.now() - t0) * 1000) / (rounds * texts.length);
    out[kind] = { us_per_message: us, found: found / rounds };
    ctx.log(`  ${kind}: ${us.toFixed(1)} µs a message (policy redact, regions US,GB)`);
  }
  const t0 = performance.now();
  for (let i = 0; i < rounds * 10; i++) applyContactPolicy('off', ['US'], CORPUS.plain![0]!);
  out.off = { us_per_message: ((performance.now() - t0) * 1000) / (rounds * 10), found: 0 };
  return out;
}
