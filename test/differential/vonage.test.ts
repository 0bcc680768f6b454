/**
 * Vonage: our Bearer-JWT check against @vonage/jwt 1.14's `verifySignature` (it calls jsonwebtoken
 * 9's `verify` with algorithms RS256/HS256 and no clock tolerance), plus the `payload_hash` claim,
 * which no Vonage SDK checks and we check ourselves (spec §6): the reference verdict is
 * `verifySignature(token, secret) && payload_hash == sha256(raw body)`. Valid tokens are signed by
 * jsonwebtoken's `sign` — the library @vonage/jwt signs and verifies with.
 */
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { verifySignature } from '@vonage/jwt';
import { afterEach, describe, it, vi } from 'vitest';
import { verifyVonageSignature } from '../../lib/providers/vonage/ingress';
import { rawFixture } from '../fixtures';
import { type DifferentialCase, expectAgreement } from '../support/differential';

// The jsonwebtoken @vonage/jwt itself resolves (its dependency, not ours).
const jsonwebtoken = createRequire(createRequire(import.meta.url).resolve('@vonage/jwt'))('jsonwebtoken') as {
  sign(payload: object, secret: string, options: { algorithm: string; noTimestamp?: boolean }): string;
};

const CURRENT = 'vonage-signature-secret-current';
const NEXT = 'vonage-signature-secret-next';
const BODY = rawFixture('vonage', 'completed');
const NOW_MS = 1_750_000_000_456;
const NOW_S = Math.floor(NOW_MS / 1000);
const hashOf = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

const claimsFor = (body: string, extra: Record<string, unknown> = {}) => ({
  iat: NOW_S,
  jti: '2f5b6a9c-1111-4a4a-8b8b-0123456789ab',
  iss: 'Vonage',
  application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
  payload_hash: hashOf(body),
  ...extra,
});

const sign = (claims: object, secret = CURRENT, algorithm = 'HS256') =>
  jsonwebtoken.sign(claims, secret, { algorithm, noTimestamp: true });

const segment = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
/** A token with any header, HMAC-SHA256-signed by hand (alg tricks jsonwebtoken would not sign). */
function handSigned(header: object, claims: object, secret = CURRENT): string {
  const signed = `${segment(header)}.${segment(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

interface Request {
  name: string;
  body: string;
  authorization: string | undefined;
  secrets: readonly string[];
  leniency?: string;
}

function corpus(): Request[] {
  const secrets = [CURRENT, NEXT];
  const token = sign(claimsFor(BODY));
  const bearer = (t: string) => `Bearer ${t}`;
  // By hand: jsonwebtoken's sign refuses to make the malformed exp/nbf its verify must refuse.
  const withClaims = (extra: Record<string, unknown>) =>
    bearer(handSigned({ alg: 'HS256', typ: 'JWT' }, claimsFor(BODY, extra)));
  const cases: Request[] = [
    { name: 'valid, current secret', body: BODY, authorization: bearer(token), secrets },
    {
      name: 'valid, next secret (rotation)',
      body: BODY,
      authorization: bearer(sign(claimsFor(BODY), NEXT)),
      secrets,
    },
    {
      name: 'signed by next, only current configured',
      body: BODY,
      authorization: bearer(sign(claimsFor(BODY), NEXT)),
      secrets: [CURRENT],
    },
    {
      name: 'wrong secret',
      body: BODY,
      authorization: bearer(sign(claimsFor(BODY), 'not-the-secret')),
      secrets,
    },
    { name: 'no secret configured', body: BODY, authorization: bearer(token), secrets: [] },
    { name: 'scheme in lower case', body: BODY, authorization: `bearer ${token}`, secrets },
    {
      name: 'body changed (payload_hash)',
      body: BODY.replace('completed', 'Completed'),
      authorization: bearer(token),
      secrets,
    },
    { name: 'body with a trailing newline', body: `${BODY}\n`, authorization: bearer(token), secrets },
    {
      name: 'payload_hash missing',
      body: BODY,
      authorization: bearer(sign({ ...claimsFor(BODY), payload_hash: undefined })),
      secrets,
    },
    {
      name: 'payload_hash of another body',
      body: BODY,
      authorization: bearer(sign(claimsFor('{}'))),
      secrets,
    },
    {
      name: 'payload_hash in upper-case hex',
      body: BODY,
      authorization: withClaims({ payload_hash: hashOf(BODY).toUpperCase() }),
      secrets,
      leniency: 'hex case of payload_hash (the same digest)',
    },
    { name: 'missing Authorization', body: BODY, authorization: undefined, secrets },
    { name: 'token without scheme', body: BODY, authorization: token, secrets },
    {
      name: 'signature stripped',
      body: BODY,
      authorization: bearer(`${token.split('.').slice(0, 2).join('.')}.`),
      secrets,
    },
    {
      name: 'signature one char changed',
      body: BODY,
      authorization: bearer(`${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`),
      secrets,
    },
    { name: 'four segments', body: BODY, authorization: bearer(`${token}.x`), secrets },
    // exp / nbf as jsonwebtoken reads them: expired when now >= exp, early when nbf > now (seconds).
    { name: 'exp an hour ago', body: BODY, authorization: withClaims({ exp: NOW_S - 3600 }), secrets },
    { name: 'exp 1 s ago', body: BODY, authorization: withClaims({ exp: NOW_S - 1 }), secrets },
    { name: 'exp = now', body: BODY, authorization: withClaims({ exp: NOW_S }), secrets },
    { name: 'exp now + 1 s', body: BODY, authorization: withClaims({ exp: NOW_S + 1 }), secrets },
    { name: 'exp in a day', body: BODY, authorization: withClaims({ exp: NOW_S + 86_400 }), secrets },
    {
      name: 'exp as a string',
      body: BODY,
      authorization: withClaims({ exp: String(NOW_S + 3600) }),
      secrets,
    },
    { name: 'exp null', body: BODY, authorization: withClaims({ exp: null }), secrets },
    { name: 'exp fractional, past', body: BODY, authorization: withClaims({ exp: NOW_S - 0.5 }), secrets },
    { name: 'exp fractional, future', body: BODY, authorization: withClaims({ exp: NOW_S + 0.5 }), secrets },
    { name: 'nbf an hour ahead', body: BODY, authorization: withClaims({ nbf: NOW_S + 3600 }), secrets },
    { name: 'nbf now + 1 s', body: BODY, authorization: withClaims({ nbf: NOW_S + 1 }), secrets },
    { name: 'nbf = now', body: BODY, authorization: withClaims({ nbf: NOW_S }), secrets },
    { name: 'nbf an hour ago', body: BODY, authorization: withClaims({ nbf: NOW_S - 3600 }), secrets },
    { name: 'nbf as a string', body: BODY, authorization: withClaims({ nbf: String(NOW_S - 10) }), secrets },
    {
      name: 'iat an hour ago (no window)',
      body: BODY,
      authorization: withClaims({ iat: NOW_S - 3600 }),
      secrets,
    },
    { name: 'iat a day ahead', body: BODY, authorization: withClaims({ iat: NOW_S + 86_400 }), secrets },
    { name: 'no iat', body: BODY, authorization: withClaims({ iat: undefined }), secrets },
    // Algorithms: only HS256 with the secret (RS256 needs a public key, which a secret is not).
    {
      name: 'alg none, no signature',
      body: BODY,
      authorization: bearer(`${segment({ alg: 'none', typ: 'JWT' })}.${segment(claimsFor(BODY))}.`),
      secrets,
    },
    {
      name: 'alg HS512',
      body: BODY,
      authorization: bearer(sign(claimsFor(BODY), CURRENT, 'HS512')),
      secrets,
    },
    {
      name: 'alg HS384',
      body: BODY,
      authorization: bearer(sign(claimsFor(BODY), CURRENT, 'HS384')),
      secrets,
    },
    {
      name: 'alg RS256 header over an HMAC signature',
      body: BODY,
      authorization: bearer(handSigned({ alg: 'RS256', typ: 'JWT' }, claimsFor(BODY))),
      secrets,
    },
    {
      name: 'alg hs256 (lower case)',
      body: BODY,
      authorization: bearer(handSigned({ alg: 'hs256', typ: 'JWT' }, claimsFor(BODY))),
      secrets,
    },
    {
      name: 'no typ header',
      body: BODY,
      authorization: bearer(handSigned({ alg: 'HS256' }, claimsFor(BODY))),
      secrets,
    },
    {
      name: 'claims not an object',
      body: BODY,
      authorization: bearer(handSigned({ alg: 'HS256' }, [claimsFor(BODY)])),
      secrets,
    },
  ];
  for (const body of ['{"status":"é"}', '{"status":"\u{1F600}"}']) {
    cases.push({
      name: `unicode body ${JSON.stringify(body)}`,
      body,
      authorization: bearer(sign(claimsFor(body))),
      secrets,
    });
  }
  return cases;
}

function ours(request: Request): boolean {
  const headers = request.authorization === undefined ? {} : { authorization: request.authorization };
  try {
    verifyVonageSignature(Buffer.from(request.body, 'utf8'), headers, request.secrets, new Date(NOW_MS));
    return true;
  } catch {
    return false;
  }
}

/** verifySignature for any configured secret, and payload_hash over the body. */
function sdk(request: Request): boolean {
  const match = /^Bearer (.+)$/i.exec(request.authorization ?? '');
  const token = match?.[1];
  if (token === undefined) return false;
  const verified = request.secrets.some((secret) => verifySignature(token, secret));
  if (!verified) return false;
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    payload_hash?: unknown;
  };
  return claims.payload_hash === hashOf(request.body);
}

describe('vonage vs @vonage/jwt verifySignature (+ payload_hash)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('agrees on every case of the corpus', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_MS);
    const cases: DifferentialCase[] = corpus().map((request) => ({
      name: request.name,
      ours: ours(request),
      sdk: sdk(request),
      leniency: request.leniency,
    }));
    expectAgreement('vonage', '@vonage/jwt verifySignature + payload_hash', cases);
  });
});
