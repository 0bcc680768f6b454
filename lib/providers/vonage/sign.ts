/**
 * Signing Vonage requests as Vonage does, for tests and for trying the local stack
 * (scripts/sign-webhook.ts). Not imported by the webhook.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** An HS256 JWT with Vonage's claims (iat, jti, iss, payload_hash of `body`); `claims` overrides them. */
export function vonageJwt(
  body: string | Buffer,
  secret: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const payload = {
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: createHash('sha256').update(body).digest('hex'),
    application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    ...claims,
  };
  const signed = `${segment(header)}.${segment(payload)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** The Authorization header Vonage sends with `body`. */
export const signVonage = (body: string | Buffer, secret: string, claims: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${vonageJwt(body, secret, claims)}`,
});
