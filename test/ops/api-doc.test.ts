/**
 * Keeps docs/api.md honest against the code: every Fastify route under /api/v1 has its heading,
 * every error code of src/errors.ts its row (with its status), every rate-limit bucket its default,
 * every WebSocket op its row naming all its fields, every event the triggers and the streams emit its
 * row in the catalogue. A route, code, op or event added without documentation fails here, and the
 * message says exactly what to add.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUCKETS, DEFAULT_RATE_LIMITS } from '../../src/chat/limits.ts';
import { Attachment, Ban, Channel, Member, Message, Report } from '../../src/contract/resources.ts';
import { strictAjv } from '../../src/contract/validation.ts';
import { ERRORS } from '../../src/errors.ts';
import { routesOf } from '../../src/http/openapi.ts';
import { WS_OP_FIELDS } from '../../src/http/routes/ws.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');

/** The text of the `## title` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = DOC.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/api.md has a "## ${title}" section`);
  const end = DOC.indexOf('\n## ', start + 4);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** The table row of a section whose first cell is `name` in backticks. */
const row = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));

/** Endpoint headings: ### `METHOD /api/v1/path`. */
const documented = new Set(
  [...DOC.matchAll(/^#{2,4} `(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/[^`\s]*)`\s*$/gm)].map((m) => `${m[1]} ${m[2]}`),
);

let s: TestServer;
before(async () => {
  s = await startTestServer({ nodeId: 'ops-api-doc' });
});
after(async () => {
  await s?.close();
});

describe('docs/api.md', () => {
  test('documents every route under /api/v1 with a heading of its own', () => {
    const routes = routesOf(s.parley.app).filter((r) => r.includes(' /api/v1/'));
    assert.ok(routes.length > 40, `the app's routes were seen (${routes.length})`);
    assert.ok(documented.size > 40, `the reference's endpoint headings were found (${documented.size})`);
    const missing = routes.filter((r) => !documented.has(r));
    assert.deepEqual(
      missing,
      [],
      `docs/api.md has no heading for these routes; add a section "#### \`<METHOD> <path>\`" for each, with its ` +
        `fields, response, errors and rate-limit bucket:\n${missing.join('\n')}`,
    );
  });

  test('lists every error code of src/errors.ts with its status', () => {
    const errors = section('Errors');
    const wrong = Object.entries(ERRORS)
      .filter(([code, status]) => !row(errors, code)?.startsWith(`| \`${code}\` | ${status} |`))
      .map(([code, status]) => `| \`${code}\` | ${status} | <when> |`);
    assert.deepEqual(
      wrong,
      [],
      `the "## Errors" table of docs/api.md lacks (or has another status for):\n${wrong.join('\n')}`,
    );
  });

  test('lists every rate-limit bucket with its default', () => {
    const limits = section('Rate limits');
    const defaults = Object.fromEntries(DEFAULT_RATE_LIMITS.split(',').map((p) => p.split('=') as [string, string]));
    const wrong = BUCKETS.map((b) => {
      const [n, window] = defaults[b]!.split('/') as [string, string];
      return `| \`${b}\` | ${n} per ${window.replace(/^(\d+)/, '$1 ')} |`;
    }).filter((expected) => !limits.includes(expected));
    assert.deepEqual(wrong, [], `the "## Rate limits" table of docs/api.md lacks:\n${wrong.join('\n')}`);
  });

  test('lists every WebSocket op with all of its fields', () => {
    const ws = section('WebSocket protocol');
    const wrong: string[] = [];
    for (const [op, fields] of Object.entries(WS_OP_FIELDS)) {
      const line = row(ws, op);
      if (!line) wrong.push(`op "${op}" has no row "| \`${op}\` | …" in the ops table`);
      else
        for (const f of fields) {
          if (!line.includes(`\`${f}\``) && !line.includes(`\`${f}?\``)) {
            wrong.push(`op "${op}": its row does not name the field \`${f}\``);
          }
        }
    }
    assert.ok(Object.keys(WS_OP_FIELDS).includes('send'), 'the ops were read from src/http/routes/ws.ts');
    assert.deepEqual(wrong, [], `the "## WebSocket protocol" section of docs/api.md:\n${wrong.join('\n')}`);
  });

  test("the resources' JSON examples are valid against src/contract/resources.ts and invent no fields", () => {
    /** The ```json blocks of the `### title` section, parsed. */
    const examples = (title: string): Record<string, unknown>[] => {
      const start = DOC.indexOf(`\n### ${title}\n`);
      assert.ok(start >= 0, `docs/api.md has a "### ${title}" section`);
      const end = DOC.indexOf('\n### ', start + 5);
      return [...DOC.slice(start, end).matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
    };
    const resources = examples('Ban, Report, Webhook, Audit entry');
    const cases: [string, Record<string, unknown> | undefined, { properties: object }, boolean][] = [
      ['Channel', examples('Channel')[0], Channel, true],
      ['Member', examples('Member')[0], Member, true],
      ['Message', examples('Message')[0], Message, true],
      // v1.1 adds fields to Attachment (sha256, width, …): only what the schema has is checked.
      ['Attachment', examples('Attachment')[0], Attachment, false],
      ['Ban', resources[0], Ban, true],
      ['Report', resources[1], Report, true],
    ];
    const wrong: string[] = [];
    for (const [name, example, schema, exact] of cases) {
      if (!example) {
        wrong.push(`${name}: no JSON example`);
        continue;
      }
      const validate = strictAjv.compile(schema);
      if (!validate(structuredClone(example))) wrong.push(`${name}: ${JSON.stringify(validate.errors?.[0])}`);
      const known = Object.keys(schema.properties);
      const extra = exact ? Object.keys(example).filter((k) => !known.includes(k)) : [];
      if (extra.length) wrong.push(`${name}: fields the schema does not have: ${extra.join(', ')}`);
    }
    assert.deepEqual(wrong, [], 'the JSON examples of "## Resources" in docs/api.md');
  });

  test('lists every event type the triggers and the streams emit in the event catalogue', () => {
    // Event types as db/live stages them (the literal after a batch's head flag, a CTE's type column,
    // a CASE's result, a mention's target row) and as src/ builds ephemeral events.
    const sql = readdirSync(join(ROOT, 'db', 'live'))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(join(ROOT, 'db', 'live', f), 'utf8'))
      .join('\n');
    const ts = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? ts(join(dir, e.name))
          : e.name.endsWith('.ts')
            ? [readFileSync(join(dir, e.name), 'utf8')]
            : [],
      );
    const found = new Set<string>();
    for (const re of [
      /= 1, '([a-z_]+)'/g,
      /'([a-z_]+)' AS type\b/g,
      /\bWHEN [^']*?THEN '([a-z_]+)'/g,
      /u\.u, '([a-z_]+)'/g,
    ]) {
      for (const m of sql.matchAll(re)) found.add(m[1]!);
    }
    for (const m of ts(join(ROOT, 'src'))
      .join('\n')
      .matchAll(/\bephemeral\(\s*'([a-z_]+)'/g))
      found.add(m[1]!);
    for (const t of ['new_message', 'message_updated', 'thread_updated', 'mention', 'member_left', 'typing']) {
      assert.ok(found.has(t), `the scan finds ${t} (found: ${[...found].join(', ')})`);
    }
    const catalogue = section('The event stream');
    const missing = [...found].filter((t) => !row(catalogue, t));
    assert.deepEqual(
      missing,
      [],
      `the event catalogue of docs/api.md ("## The event stream") has no row "| \`<type>\` | <durable> | <when> | ` +
        `<data> | <who> |" for:\n${missing.join('\n')}`,
    );
  });
});
