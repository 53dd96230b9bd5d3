import { SignJWT } from 'jose';

/** User tokens signed exactly as the host application would: HS256 with PARLEY_JWT_SECRET, sub = user id. */
export async function signTokens(secret: string, users: string[], ttl = '6h'): Promise<string[]> {
  const key = new TextEncoder().encode(secret);
  return Promise.all(
    users.map((u) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(u)
        .setIssuedAt()
        .setExpirationTime(ttl)
        .sign(key),
    ),
  );
}
