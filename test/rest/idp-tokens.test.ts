/**
 * Tokens from the host's identity provider: RS256, ES256 and EdDSA verified with keys from a real
 * JWKS HTTP server run by this test (rotated, stopped and counted while the test runs) and with PEM
 * keys; issuer, audience and expiry rules; a key trusted only for its own issuer; alg confusion;
 * revocation; and streams that end when such a token expires. HS256 keeps working alongside.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import WebSocket from 'ws';
import { IdentityProviders } from '../../src/auth/idp.ts';
import { secretFor } from '../../src/auth/secret.ts';
import { Auth } from '../../src/auth/tokens.ts';
import { ConfigError, type IdpConfig, loadConfig } from '../../src/config.ts';
import type { ApiError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { Parley } from '../../src/server.ts';
import { eventually } from '../helpers/delivery.ts';
import { request, startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';
import { assertError, storesNothing } from './lib.ts';

const ISS_A = 'https://a.idp.example/';
const ISS_B = 'https://b.idp.example/';
const ISS_PEM = 'https://pem.idp.example/';
const AUD = 'parley-tests';
const now = () => Math.floor(Date.now() / 1000);

type Alg = 'RS256' | 'ES256' | 'EdDSA';
interface Pair {
  alg: Alg;
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

async function pair(alg: Alg, kid = `${alg}-${randomUUID().slice(0, 8)}`): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

/** A token signed with `key` (its alg and kid unless told otherwise). */
function idpToken(
  key: Pair,
  claims: Record<string, unknown>,
  opts: { kid?: string | null; iss?: string | null; aud?: string | null; exp?: number | null } = {},
): Promise<string> {
  const body: Record<string, unknown> = { iat: now(), ...claims };
  if (opts.iss !== null) body.iss = opts.iss ?? ISS_A;
  if (opts.aud !== null) body.aud = opts.aud ?? AUD;
  if (opts.exp !== null) body.exp = opts.exp ?? now() + 600;
  const header: { alg: string; typ: string; kid?: string } = { alg: key.alg, typ: 'JWT' };
  if (opts.kid !== null) header.kid = opts.kid ?? key.kid;
  return new SignJWT(body).setProtectedHeader(header).sign(key.privateKey);
}

/** The identity provider's JWKS endpoints: one key set per path; requests counted per path. */
class JwksServer {
  readonly sets = new Map<string, JWK[]>();
  readonly hits = new Map<string, number>();
  private server = this.create();
  port = 0;

  private create(): http.Server {
    return http.createServer((req, res) => {
      const path = req.url ?? '';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const keys = this.sets.get(path);
      if (!keys) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Really stops: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.server = this.create();
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }
}

const idp = (o: Partial<IdpConfig>): IdpConfig => ({ ...loadConfig({}).idp, ...o });

let s: TestServer;
const jwks = new JwksServer();
const keys: Record<string, Pair> = {};
let pemNode: Parley;
let rotNode: Parley;
let claimNode: Parley;
const serverKey = `psk_${'k'.repeat(44)}`;

before(async () => {
  keys.rsa = await pair('RS256');
  keys.ec = await pair('ES256');
  keys.ed = await pair('EdDSA');
  // A JWKS may name EdDSA over Ed25519 by its fully specified name (RFC 9864).
  keys.ed9864 = await pair('EdDSA');
  keys.ed9864.jwk.alg = 'Ed25519';
  // Two issuers publishing the same kid with different keys (the collision attack's setting).
  keys.aShared = await pair('RS256', 'shared-kid');
  keys.bShared = await pair('RS256', 'shared-kid');
  keys.b = await pair('ES256');
  keys.pemRsa = await pair('RS256');
  keys.pemEc = await pair('ES256');
  keys.pemEd = await pair('EdDSA');
  keys.rot1 = await pair('EdDSA', 'rot-1');
  keys.rot2 = await pair('EdDSA', 'rot-2');
  keys.rot3 = await pair('RS256', 'rot-3');
  keys.stranger = await pair('RS256');
  await jwks.start();
  jwks.sets.set('/a/jwks.json', [keys.rsa!.jwk, keys.ec!.jwk, keys.ed!.jwk, keys.ed9864!.jwk, keys.aShared!.jwk]);
  jwks.sets.set('/b/jwks.json', [keys.bShared!.jwk, keys.b!.jwk]);
  jwks.sets.set('/rot/jwks.json', [keys.rot1!.jwk]);
  s = await startTestServer({
    serverKey,
    idp: idp({
      jwksUrls: [jwks.url('/a/jwks.json'), jwks.url('/b/jwks.json')],
      issuers: [ISS_A, ISS_B],
      audiences: [AUD],
    }),
  });
  pemNode = await s.startNode({
    idp: idp({ publicKeys: [keys.pemRsa!.pem, keys.pemEc!.pem, keys.pemEd!.pem], issuers: [ISS_PEM] }),
  });
  // Short cooldown so that rotation is seen within the test (the default is a minute).
  rotNode = await s.startNode({ idp: idp({ jwksUrls: [jwks.url('/rot/jwks.json')], jwksCooldownMs: 2500 }) });
  claimNode = await s.startNode({
    idp: idp({
      publicKeys: [keys.pemEd!.pem],
      userClaim: 'https://tutoring.example/uid',
      nameClaim: 'nickname',
      allowNoExp: true,
    }),
  });
});
after(async () => {
  await s.close();
  await jwks.stop();
});

const me = (token: string, base = s.url) =>
  request(base, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });

test('RS256, ES256 and EdDSA tokens verified with the JWKS: the user row gets the name, and follows it', async () => {
  for (const k of [keys.rsa!, keys.ec!, keys.ed!, keys.ed9864!]) {
    const id = `idp-${k.alg}`;
    const res = await me(await idpToken(k, { sub: id, name: `User ${k.alg}` }));
    assert.equal(res.status, 200, `${k.alg}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(res.body, { id, name: `User ${k.alg}` });
  }
  // The name claim renames the user like the server API's upsert; a token without it keeps the name.
  const renamed = await me(await idpToken(keys.ec!, { sub: 'idp-ES256', name: 'Renamed' }));
  assert.deepEqual(renamed.body, { id: 'idp-ES256', name: 'Renamed' });
  await me(await idpToken(keys.ec!, { sub: 'idp-ES256' }));
  const [row] = await s.sql`SELECT name FROM users WHERE id = 'idp-ES256'`;
  assert.equal(row!.name, 'Renamed');
  // And the user can do what users do with it.
  const ch = await request(s.url, 'POST', '/api/v1/channels', {
    headers: { authorization: `Bearer ${await idpToken(keys.rsa!, { sub: 'idp-RS256' })}` },
    body: { type: 'group', name: 'idp' },
  });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
});

test('HS256 tokens signed with PARLEY_JWT_SECRET still work alongside', async () => {
  const res = await s.as('hs-user').get('/api/v1/me');
  assert.equal(res.status, 200);
  assert.equal(res.body.id, 'hs-user');
});

test('RS256, ES256 and EdDSA tokens verified with PEM keys; the issuer is checked there too', async () => {
  for (const k of [keys.pemRsa!, keys.pemEc!, keys.pemEd!]) {
    const res = await me(await idpToken(k, { sub: `pem-${k.alg}` }, { iss: ISS_PEM, kid: null }), pemNode.url);
    assert.equal(res.status, 200, `${k.alg}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.id, `pem-${k.alg}`);
  }
  // A kid in the header does not matter to a PEM key.
  assert.equal((await me(await idpToken(keys.pemEc!, { sub: 'pem-kid' }, { iss: ISS_PEM }), pemNode.url)).status, 200);
  assertError(
    await me(await idpToken(keys.pemRsa!, { sub: 'pem-x' }, { iss: ISS_A }), pemNode.url),
    401,
    'unauthorized',
  );
  assertError(
    await me(await idpToken(keys.stranger!, { sub: 'pem-x' }, { iss: ISS_PEM }), pemNode.url),
    401,
    'unauthorized',
  );
  // The JWKS node does not know the PEM keys, nor the PEM node the JWKS ones.
  assertError(await me(await idpToken(keys.pemRsa!, { sub: 'pem-x' }, { iss: ISS_PEM })), 401, 'unauthorized');
  assertError(await me(await idpToken(keys.rsa!, { sub: 'pem-x' }), pemNode.url), 401, 'unauthorized');
});

test('wrong or missing issuer, wrong or missing audience: 401, and nothing stored', async () => {
  const cases: [string, string][] = [
    ['unknown issuer', await idpToken(keys.rsa!, { sub: 'iss-x' }, { iss: 'https://evil.example/' })],
    ['no issuer', await idpToken(keys.rsa!, { sub: 'iss-x' }, { iss: null })],
    ["A's key claiming issuer B", await idpToken(keys.rsa!, { sub: 'iss-x' }, { iss: ISS_B })],
    ['wrong audience', await idpToken(keys.rsa!, { sub: 'iss-x' }, { aud: 'another-app' })],
    ['no audience', await idpToken(keys.rsa!, { sub: 'iss-x' }, { aud: null })],
    ['no sub', await idpToken(keys.rsa!, { name: 'x' })],
  ];
  await storesNothing(s, async () => {
    for (const [what, token] of cases) {
      const res = await me(token);
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      assertError(res, 401, 'unauthorized');
    }
  });
  const [row] = await s.sql`SELECT count(*)::int AS n FROM users WHERE id = 'iss-x'`;
  assert.equal(row!.n, 0);
});

test("cross-issuer kid collision: issuer A's key cannot sign a token that passes as issuer B's", async () => {
  // Both providers publish kid "shared-kid", with different keys.
  assert.equal(keys.aShared!.kid, keys.bShared!.kid);
  assert.equal((await me(await idpToken(keys.aShared!, { sub: 'collide-a' }, { iss: ISS_A }))).status, 200);
  assert.equal((await me(await idpToken(keys.bShared!, { sub: 'collide-b' }, { iss: ISS_B }))).status, 200);
  // Both key sets are now cached. Whoever holds A's key (a tenant of A, a test account) signs as B:
  const forged = await idpToken(keys.aShared!, { sub: 'collide-b', name: 'Impostor' }, { iss: ISS_B });
  assertError(await me(forged), 401, 'unauthorized');
  const [row] = await s.sql`SELECT name FROM users WHERE id = 'collide-b'`;
  assert.equal(row!.name, null, 'the impostor did not rename B');
  // And the other way round.
  assertError(await me(await idpToken(keys.bShared!, { sub: 'collide-a' }, { iss: ISS_A })), 401, 'unauthorized');
});

test('exp is required; an expired or not-yet-valid token is refused', async () => {
  const noExp = await me(await idpToken(keys.rsa!, { sub: 'exp-x' }, { exp: null }));
  assertError(noExp, 401, 'unauthorized');
  assert.match(noExp.body.error.message, /exp/);
  const expired = await me(await idpToken(keys.ec!, { sub: 'exp-x' }, { exp: now() - 5 }));
  assertError(expired, 401, 'unauthorized');
  assert.match(expired.body.error.message, /expired/);
  assertError(await me(await idpToken(keys.ed!, { sub: 'exp-x', nbf: now() + 3600 })), 401, 'unauthorized');
});

test('PARLEY_JWT_USER_CLAIM and PARLEY_JWT_NAME_CLAIM name the claims; PARLEY_JWT_ALLOW_NO_EXP=1 takes tokens without exp', async () => {
  const claim = 'https://tutoring.example/uid';
  const res = await me(
    await idpToken(keys.pemEd!, { sub: 'auth0|123', [claim]: 'tutor-42', nickname: 'Ms Tutor' }, { exp: null }),
    claimNode.url,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { id: 'tutor-42', name: 'Ms Tutor' });
  // Without the configured claim, "sub" is not used instead.
  assertError(await me(await idpToken(keys.pemEd!, { sub: 'tutor-42' }), claimNode.url), 401, 'unauthorized');
  // The default node still requires exp (checked in the test above), this one does not.
});

test('alg confusion is refused: none, HS256 keyed with a public key, a key used with another algorithm', async () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const payload = { sub: 'alg-x', iss: ISS_A, aud: AUD, exp: now() + 600, iat: now() };
  const hs = (secret: string | Uint8Array, kid?: string) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) })
      .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
  const good = await idpToken(keys.rsa!, { sub: 'alg-x' });
  const [, p, sig] = good.split('.');
  const cases: [string, string][] = [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`],
    ['alg none, kid of a real key', `${b64({ alg: 'none', kid: keys.rsa!.kid })}.${p}.${sig}`],
    ['HS256 keyed with the RSA PEM', await hs(keys.rsa!.pem, keys.rsa!.kid)],
    ['HS256 keyed with the JWK JSON', await hs(JSON.stringify(keys.rsa!.jwk), keys.rsa!.kid)],
    ['HS256 keyed with the EdDSA public key bytes', await hs(Buffer.from(keys.ed!.jwk.x!, 'base64url'), keys.ed!.kid)],
    ['RS256 header on an ES256 key', `${b64({ alg: 'RS256', kid: keys.ec!.kid })}.${p}.${sig}`],
    ['ES256 header on an RSA key', `${b64({ alg: 'ES256', kid: keys.rsa!.kid })}.${p}.${sig}`],
    ['RS384 header', `${b64({ alg: 'RS384', kid: keys.rsa!.kid })}.${p}.${sig}`],
    ['PS256 header', `${b64({ alg: 'PS256', kid: keys.rsa!.kid })}.${p}.${sig}`],
    ['header not JSON', `${Buffer.from('{').toString('base64url')}.${p}.${sig}`],
  ];
  // A header naming its own key set (jku) or embedding its own key (jwk) is not followed.
  jwks.sets.set('/evil/jwks.json', [{ ...keys.stranger!.jwk, kid: 'evil' }]);
  const own = (extra: Record<string, unknown>) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'evil', ...extra }).sign(keys.stranger!.privateKey);
  cases.push(['jku of the attacker', await own({ jku: jwks.url('/evil/jwks.json') })]);
  cases.push(['jwk embedded in the header', await own({ jwk: keys.stranger!.jwk })]);
  await storesNothing(s, async () => {
    for (const [what, token] of cases) {
      const res = await me(token);
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      assertError(res, 401, 'unauthorized');
    }
  });
  assert.equal(jwks.count('/evil/jwks.json'), 0, 'the jku was never fetched');
  // The real token is fine: the refusals above are about the algorithm, not the claims.
  assert.equal((await me(good)).status, 200);
});

test('unknown kids: 401, and a flood of them costs the provider at most one fetch a minute', async () => {
  assert.equal((await me(await idpToken(keys.rsa!, { sub: 'kid-x' }))).status, 200);
  const before = jwks.count('/a/jwks.json');
  const tokens = await Promise.all(
    Array.from({ length: 40 }, (_, i) => idpToken(keys.stranger!, { sub: 'kid-x' }, { kid: `made-up-${i}` })),
  );
  const answers = await Promise.all(tokens.map((t) => me(t)));
  for (const res of answers) assertError(res, 401, 'unauthorized');
  const fetched = jwks.count('/a/jwks.json') - before;
  assert.ok(fetched <= 1, `${fetched} fetches for 40 unknown kids`);
  // Issuer B's set was not fetched for issuer A's tokens.
  const bBefore = jwks.count('/b/jwks.json');
  await me(await idpToken(keys.stranger!, { sub: 'kid-x' }, { kid: 'made-up-again' }));
  assert.equal(jwks.count('/b/jwks.json'), bBefore);
  // Known kids are served from the cache: no fetch at all.
  const cached = jwks.count('/a/jwks.json');
  for (let i = 0; i < 10; i++) assert.equal((await me(await idpToken(keys.ed!, { sub: `kid-${i}` }))).status, 200);
  assert.equal(jwks.count('/a/jwks.json'), cached);
});

test('key rotation without restart, with the refetch bound; the JWKS server down: cached keys keep working', async () => {
  const path = '/rot/jwks.json';
  const t1 = await idpToken(keys.rot1!, { sub: 'rot-user' }, { iss: null, aud: null });
  assert.equal((await me(t1, rotNode.url)).status, 200);
  // The provider rotates: a new key appears. Within the cooldown the node does not ask again.
  jwks.sets.set(path, [keys.rot1!.jwk, keys.rot2!.jwk]);
  await new Promise((r) => setTimeout(r, 2600));
  const t2 = await idpToken(keys.rot2!, { sub: 'rot-user' }, { iss: null, aud: null });
  const before = jwks.count(path);
  const first = await Promise.all(Array.from({ length: 20 }, () => me(t2, rotNode.url)));
  for (const res of first) assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(jwks.count(path) - before, 1, 'one fetch for 20 concurrent requests with the new kid');
  // Unknown kids within the cooldown: no fetch.
  const bogus = await idpToken(keys.stranger!, { sub: 'rot-user' }, { kid: 'nope', iss: null, aud: null });
  for (let i = 0; i < 5; i++) assertError(await me(bogus, rotNode.url), 401, 'unauthorized');
  assert.equal(jwks.count(path) - before, 1);

  // The provider goes down. Cached keys keep working; a new kid is a clear 401, and nothing crashes.
  await jwks.stop();
  await new Promise((r) => setTimeout(r, 2600));
  assert.equal((await me(t1, rotNode.url)).status, 200);
  assert.equal((await me(t2, rotNode.url)).status, 200);
  const t3 = await idpToken(keys.rot3!, { sub: 'rot-user' }, { iss: null, aud: null });
  const down = await me(t3, rotNode.url);
  assertError(down, 401, 'unauthorized');
  assert.match(down.body.error.message, /kid|key/);
  assert.equal((await request(rotNode.url, 'GET', '/healthz')).status, 200);
  // Back up with the next key: picked up after the cooldown.
  jwks.sets.set(path, [keys.rot2!.jwk, keys.rot3!.jwk]);
  await jwks.start();
  await new Promise((r) => setTimeout(r, 2600));
  assert.equal((await me(t3, rotNode.url)).status, 200);
  // That fetch no longer lists rot-1: the provider withdrew it, and tokens it signed stop working
  // now (not when they expire), although t1 had been verified before.
  assertError(await me(t1, rotNode.url), 401, 'unauthorized');
  assert.equal((await me(t2, rotNode.url)).status, 200);
});

test('revocation applies to identity-provider tokens (iat before the revoke time)', async () => {
  const old = await idpToken(keys.ec!, { sub: 'rev-user', iat: now() - 120 });
  assert.equal((await me(old)).status, 200);
  const res = await request(s.url, 'POST', '/api/v1/server/users/rev-user/revoke-tokens', {
    headers: { authorization: `Bearer ${serverKey}` },
    body: { before: new Date(Date.now() - 60_000).toISOString() },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const refused = await me(old);
  assertError(refused, 401, 'unauthorized');
  assert.match(refused.body.error.message, /revoked/);
  assert.equal((await me(await idpToken(keys.ec!, { sub: 'rev-user' }))).status, 200);
});

test('streams opened with an identity-provider token close at its exp: SSE disconnect, WebSocket 4001', async () => {
  const token = await idpToken(keys.ed!, { sub: 'idp-stream' }, { exp: now() + 2 });
  const sse = await SseClient.open(s.url, '/api/v1/events', { token });
  assert.equal(sse.status, 200);
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const frames: { type?: string; data?: { reason?: string } }[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const code = await new Promise<number>((resolve, reject) => {
    ws.once('close', (c) => resolve(c));
    ws.once('error', reject);
  });
  assert.equal(code, 4001);
  assert.equal(frames[0]?.type, 'connection');
  assert.deepEqual(frames.at(-1)?.data?.reason, 'token_expired');
  await eventually(() => sse.closed, 5000, 'SSE stream ended');
  assert.equal(sse.events.at(-1)?.type, 'disconnect');
  assert.equal(sse.events.at(-1)?.data.reason, 'token_expired');
  const again = await SseClient.open(s.url, '/api/v1/events', { token });
  assert.equal(again.status, 401);
});

test('settings that cannot work stop the start with a message', () => {
  const log = createLogger('silent');
  const bad: [string, Partial<IdpConfig>][] = [
    ['two issuers, one URL', { jwksUrls: ['http://x/jwks'], issuers: ['a', 'b'] }],
    [
      'two issuers and a PEM key',
      { jwksUrls: ['http://x/1', 'http://x/2'], issuers: ['a', 'b'], publicKeys: [keys.rsa!.pem] },
    ],
    ['an issuer, no key', { issuers: ['a'] }],
    ['a private key', { publicKeys: ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'] }],
    ['not a key', { publicKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }],
  ];
  for (const [what, o] of bad) assert.throws(() => new IdentityProviders(idp(o), log), ConfigError, what);
  assert.throws(() => loadConfig({ PARLEY_JWKS_URL: 'file:///etc/passwd' }), ConfigError);
  assert.throws(() => loadConfig({ PARLEY_JWT_PUBLIC_KEY: 'not pem' }), ConfigError);
  const env = loadConfig({
    PARLEY_JWKS_URL: 'https://a.example/jwks.json, https://b.example/jwks.json',
    PARLEY_JWT_ISSUER: 'https://a.example/,https://b.example/',
    PARLEY_JWT_PUBLIC_KEY: keys.rsa!.pem.replace(/\n/g, '\\n') + keys.ec!.pem,
  }).idp;
  assert.equal(env.jwksUrls.length, 2);
  assert.equal(env.publicKeys.length, 2);
  assert.equal(env.jwksCooldownMs, 60_000);
  assert.equal(env.userClaim, 'sub');
});

test('with an identity provider and no PARLEY_JWT_SECRET, HS256 is off (not a secret generated per node)', async () => {
  const base = { jwtSecret: undefined, databaseUrl: 'postgres://x', devAuth: false, dataDir: '/nonexistent' };
  assert.throws(() => secretFor({ ...base, idp: idp({}) }), ConfigError);
  const config = idp({ publicKeys: [keys.pemEd!.pem] });
  assert.equal(secretFor({ ...base, idp: config }), undefined);
  const auth = new Auth(undefined, () => false, new IdentityProviders(config, createLogger('silent')));
  const hs = await new SignJWT({ sub: 'hs-off', exp: now() + 60 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_SECRET));
  await assert.rejects(auth.verify(hs), (err: ApiError) => err.code === 'unauthorized');
  const ok = await auth.verify(await idpToken(keys.pemEd!, { sub: 'idp-only' }, { kid: null }));
  assert.equal(ok.user.id, 'idp-only');
});
