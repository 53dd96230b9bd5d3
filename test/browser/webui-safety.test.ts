/**
 * The safety UI on a lesson channel the host made (tutor, student, the student's parent observing),
 * with the contact-detail policy redacting: observers read and are marked, never write; redactions
 * show as such; a student reports and blocks; the tutor freezes, slows and bans from the channel
 * header, and the student's composer follows live (frozen notice, slow-mode countdown after a 429).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/build-web-if-stale.ts';
import { createServerKey } from '../../src/db/server-keys.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './lib.ts';
import { DESKTOP, message, PHONE, send, shot, signIn, T } from './ui.ts';

let s: TestServer;
let browser: Browser;
let key: string;
const contexts: BrowserContext[] = [];
before(async () => {
  browser = await launchChromium();
  await buildWebIfStale();
  s = await startTestServer({ contactPolicy: 'redact' });
  key = (await createServerKey(s.sql, 'web-ui-safety')).key;
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});

const server = (method: string, path: string, body?: unknown) =>
  s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });

async function open(page: Page, id: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), `#/c/${id}`);
  await page.locator('.channel-head h2').waitFor(T);
}

test('observers, redactions, reports, blocks, freezing, slow mode and bans in the web UI', async () => {
  const res = await server('POST', '/server/channels', {
    type: 'tutor_student',
    name: 'algebra-lessons',
    members: [
      { user_id: 'tia', role: 'tutor' },
      { user_id: 'stu', role: 'student' },
      { user_id: 'par', role: 'observer' },
    ],
  });
  assert.equal(res.status, 201);
  const id = res.body.id as string;

  const tutor = await signIn(browser, contexts, s.url, 'tia', 'Tia Tutor', DESKTOP);
  const student = await signIn(browser, contexts, s.url, 'stu', 'Stu Dent', PHONE);
  const parent = await signIn(browser, contexts, s.url, 'par', 'Pam Parent', PHONE);
  for (const p of [tutor, student, parent]) await open(p, id);

  // The student's e-mail address is removed before storing; everyone sees (and hears) a redaction.
  await send(student, 'my email is stu@example.com ok?');
  const redacted = message(tutor, 'my email is').locator('.redacted');
  await redacted.waitFor(T);
  assert.equal(await redacted.textContent(), '[removed]');
  assert.equal(await redacted.getAttribute('aria-label'), 'removed by the contact-detail policy');
  assert.equal(await message(tutor, 'stu@example.com').count(), 0);

  // The observer reads, has no composer and no reactions, and is marked in the members list.
  await message(parent, 'my email is').waitFor(T);
  await parent.getByTestId('observer-notice').waitFor(T);
  assert.equal(await parent.locator('.channel .composer textarea').count(), 0);
  await message(parent, 'my email is').click();
  assert.equal(await message(parent, 'my email is').getByRole('button', { name: 'Add reaction' }).count(), 0);
  await shot(parent, 'phone-observer');
  await tutor.getByRole('button', { name: /^Members/ }).click();
  const members = tutor.getByRole('dialog', { name: 'Members' });
  await members.locator('[data-member="par"] .role-badge', { hasText: 'Observer' }).waitFor(T);
  await members.locator('[data-member="tia"] .role-badge', { hasText: 'Tutor' }).waitFor(T);
  await tutor.keyboard.press('Escape');

  // The student reports a tutor's message, with a reason the host's moderators read.
  await send(tutor, 'See you at 5, bring your workbook');
  const reported = message(student, 'bring your workbook');
  await reported.waitFor(T);
  await reported.click();
  await reported.getByRole('button', { name: 'Report message' }).click();
  const dialog = student.getByRole('dialog', { name: 'Report message' });
  await dialog.getByLabel('Reason').fill('Asked to meet outside the lesson');
  await shot(student, 'phone-report');
  await dialog.getByRole('button', { name: 'Report' }).click();
  await student.getByRole('status').filter({ hasText: 'Report sent' }).waitFor(T);
  const reports = (await server('GET', '/server/reports?status=open')).body.reports as {
    reporter: string;
    reason: string;
    message_id: string;
  }[];
  const mine = reports.find((r) => r.reporter === 'stu');
  assert.equal(mine?.reason, 'Asked to meet outside the lesson');

  // Block and unblock, from the members list.
  await student.getByRole('button', { name: /^Members/ }).click();
  const list = student.getByRole('dialog', { name: 'Members' });
  await list.getByRole('button', { name: 'Block Tia Tutor' }).click();
  await list.locator('[data-member="tia"] .role-badge.blocked').waitFor(T);
  assert.deepEqual((await s.as('stu').get('/api/v1/me/blocks')).body.user_ids, ['tia']);
  await list.getByRole('button', { name: 'Unblock Tia Tutor' }).click();
  await list.locator('[data-member="tia"] .role-badge.blocked').waitFor({ state: 'detached', ...T });
  assert.deepEqual((await s.as('stu').get('/api/v1/me/blocks')).body.user_ids, []);
  await student.keyboard.press('Escape');

  // The tutor freezes the channel: the student's composer closes live, the tutor's stays open.
  assert.equal(await student.getByRole('button', { name: 'Moderation' }).count(), 0);
  await tutor.getByRole('button', { name: 'Moderation' }).click();
  const mod = tutor.getByRole('dialog', { name: 'Moderation' });
  await mod.getByLabel('Freeze the channel').check();
  await student.getByTestId('frozen-notice').waitFor(T);
  assert.equal(await student.locator('.channel .composer textarea').isDisabled(), true);
  assert.equal(await tutor.locator('.channel .composer textarea').isDisabled(), false);
  await shot(student, 'phone-frozen');
  await mod.getByLabel('Freeze the channel').uncheck();
  await student.getByTestId('frozen-notice').waitFor({ state: 'detached', ...T });

  // Slow mode: the second message within the window is refused (429); the student sees a countdown and keeps the text.
  await mod.getByLabel(/^Slow mode/).fill('30');
  await mod.getByRole('button', { name: 'Set slow mode' }).click();
  await student
    .locator('.pill, .composer-hint', { hasText: /30 s/ })
    .first()
    .waitFor({ state: 'attached', ...T });
  await tutor.keyboard.press('Escape');
  await send(student, 'first answer: x = 4');
  await message(student, 'first answer').waitFor(T);
  await send(student, 'second answer: y = 2');
  const countdown = student.getByTestId('slow-mode');
  await countdown.filter({ hasText: /send again in \d+ s/ }).waitFor(T);
  const seconds = Number((await countdown.textContent())?.match(/in (\d+) s/)?.[1]);
  assert.ok(seconds > 20 && seconds <= 30, `countdown ${seconds}`);
  assert.equal(await student.locator('.channel .composer textarea').inputValue(), 'second answer: y = 2');
  assert.equal(await student.getByRole('button', { name: 'Send' }).isDisabled(), true);
  await shot(student, 'phone-slow-mode');

  // A ban for a day, with a reason: the student leaves the channel.
  await tutor.getByRole('button', { name: /^Members/ }).click();
  await tutor.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Ban Stu Dent' }).click();
  const ban = tutor.getByRole('dialog', { name: 'Ban Stu Dent' });
  await ban.getByLabel('How long').selectOption({ label: '1 day' });
  await ban.getByLabel('Reason (optional)').fill('Sharing contact details');
  await shot(tutor, 'desktop-ban');
  await ban.getByRole('button', { name: 'Ban' }).click();
  await tutor.getByRole('status').filter({ hasText: 'Stu Dent is banned' }).waitFor(T);
  const bans = (await s.as('tia').get(`/api/v1/channels/${id}/bans`)).body.bans as {
    user_id: string;
    reason: string;
    until: string;
  }[];
  assert.equal(bans.length, 1);
  assert.equal(bans[0]!.user_id, 'stu');
  assert.equal(bans[0]!.reason, 'Sharing contact details');
  const hours = (Date.parse(bans[0]!.until) - Date.now()) / 3_600_000;
  assert.ok(hours > 23 && hours <= 24, `until in ${hours} h`);
  await student.locator('.channel-head h2', { hasText: 'algebra-lessons' }).waitFor({ state: 'detached', ...T });
  await shot(tutor, 'desktop-moderated');
});
