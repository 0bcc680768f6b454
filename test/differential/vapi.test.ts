/**
 * Vapi: @vapi-ai/server-sdk has no webhook verifier (it only types the credential Vapi signs with),
 * so there is no SDK function to compare with. The reference here is Vapi's HMAC plan with the
 * defaults the SDK's own type documents (dist/cjs/api/types/HmacAuthenticationPlan.d.ts: header
 * `x-signature`, timestamp header `x-timestamp`, payload `{timestamp}.{body}`, encoding `hex`, no
 * prefix), read from that file here; the algorithm is required in that type (no default), sha256
 * as spec §6's default plan; and spec §6's 300 s window, in whole
 * seconds as the timestamp is (Vapi documents none). Signatures are computed independently of our code.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyVapiHmac } from '../../lib/providers/vapi/ingress';
import { rawFixture } from '../fixtures';
import { type DifferentialCase, expectAgreement } from '../support/differential';

const typesDir = join(dirname(createRequire(import.meta.url).resolve('@vapi-ai/server-sdk')), 'api', 'types');
const planTypes = readFileSync(join(typesDir, 'HmacAuthenticationPlan.d.ts'), 'utf8');
/** The default a doc comment states for `field`, e.g. "Defaults to 'x-signature'." */
function documentedDefault(field: string): string {
  const pattern = new RegExp(
    `/\\*\\*([^*]|\\*(?!/))*Defaults to '([^']+)'([^*]|\\*(?!/))*\\*/\\s*${field}\\?`,
  );
  const found = pattern.exec(planTypes)?.[2];
  if (found === undefined) throw new Error(`no documented default for ${field}`);
  return found;
}

const PLAN = {
  signatureHeader: documentedDefault('signatureHeader'),
  timestampHeader: documentedDefault('timestampHeader'),
  payloadFormat: documentedDefault('payloadFormat'),
  encoding: documentedDefault('signatureEncoding') as 'hex',
  algorithm: 'sha256',
};

const CURRENT = 'vapi-secret-current';
const NEXT = 'vapi-secret-next';
const BODY = rawFixture('vapi', 'end-of-call-report');
const NOW_MS = 1_750_000_000_789;
const NOW_S = Math.floor(NOW_MS / 1000);
const WINDOW_S = 300;

const reference = (body: string, timestamp: string, secret: string) =>
  createHmac(PLAN.algorithm, secret)
    .update(PLAN.payloadFormat.replace('{timestamp}', timestamp).replace('{body}', body), 'utf8')
    .digest(PLAN.encoding);

interface Request {
  name: string;
  body: string;
  headers: Record<string, string>;
  secrets: readonly string[];
  leniency?: string;
}

function corpus(): Request[] {
  const secrets = [CURRENT, NEXT];
  const headersFor = (body: string, timestamp: string | number, secret = CURRENT) => ({
    [PLAN.signatureHeader]: reference(body, String(timestamp), secret),
    [PLAN.timestampHeader]: String(timestamp),
  });
  const ok = headersFor(BODY, NOW_S);
  const sig = ok[PLAN.signatureHeader] as string;
  const cases: Request[] = [
    { name: 'valid, current secret', body: BODY, headers: ok, secrets },
    { name: 'valid, next secret (rotation)', body: BODY, headers: headersFor(BODY, NOW_S, NEXT), secrets },
    {
      name: 'signed by next, only current configured',
      body: BODY,
      headers: headersFor(BODY, NOW_S, NEXT),
      secrets: [CURRENT],
    },
    { name: 'wrong secret', body: BODY, headers: headersFor(BODY, NOW_S, 'other'), secrets },
    { name: 'no secret configured', body: BODY, headers: ok, secrets: [] },
    {
      name: 'body: one byte changed',
      body: BODY.replace('end-of-call-report', 'end-of-call-reporT'),
      headers: ok,
      secrets,
    },
    { name: 'body: trailing newline', body: `${BODY}\n`, headers: ok, secrets },
    {
      name: 'timestamp altered',
      body: BODY,
      headers: { ...ok, [PLAN.timestampHeader]: String(NOW_S + 1) },
      secrets,
    },
    { name: 'signature missing', body: BODY, headers: { [PLAN.timestampHeader]: String(NOW_S) }, secrets },
    { name: 'timestamp missing', body: BODY, headers: { [PLAN.signatureHeader]: sig }, secrets },
    {
      name: 'signature truncated',
      body: BODY,
      headers: { ...ok, [PLAN.signatureHeader]: sig.slice(0, -1) },
      secrets,
    },
    {
      name: 'signature base64 instead of hex',
      body: BODY,
      headers: { ...ok, [PLAN.signatureHeader]: Buffer.from(sig, 'hex').toString('base64') },
      secrets,
    },
    {
      name: 'signature with sha256= prefix',
      body: BODY,
      headers: { ...ok, [PLAN.signatureHeader]: `sha256=${sig}` },
      secrets,
    },
    {
      name: 'body only signed (no timestamp in payload)',
      body: BODY,
      headers: { ...ok, [PLAN.signatureHeader]: createHmac('sha256', CURRENT).update(BODY).digest('hex') },
      secrets,
    },
    {
      name: 'signature in upper-case hex',
      body: BODY,
      headers: { ...ok, [PLAN.signatureHeader]: sig.toUpperCase() },
      secrets,
      leniency: 'hex case (the same digest)',
    },
  ];
  for (const offset of [-1000, -301, -300, -299, 0, 299, 300, 301, 1000]) {
    cases.push({
      name: `timestamp now${offset >= 0 ? '+' : ''}${offset} s`,
      body: BODY,
      headers: headersFor(BODY, NOW_S + offset),
      secrets,
    });
  }
  for (const body of ['{"message":"é"}', '{"message":"\u{1F600}"}']) {
    cases.push({
      name: `unicode body ${JSON.stringify(body)}`,
      body,
      headers: headersFor(body, NOW_S),
      secrets,
    });
  }
  return cases;
}

function ours(request: Request): boolean {
  try {
    verifyVapiHmac(Buffer.from(request.body, 'utf8'), request.headers, '', request.secrets, new Date(NOW_MS));
    return true;
  } catch {
    return false;
  }
}

/** The documented defaults: exact signature for some secret, timestamp within the window (whole seconds). */
function documented(request: Request): boolean {
  const timestamp = request.headers[PLAN.timestampHeader];
  const signature = request.headers[PLAN.signatureHeader];
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(NOW_S - Number(timestamp)) > WINDOW_S) return false;
  return request.secrets.some((secret) => reference(request.body, timestamp, secret) === signature);
}

describe('vapi vs the HMAC plan defaults documented in @vapi-ai/server-sdk (no SDK verifier exists)', () => {
  it('reads the defaults from the SDK type, not from our code', () => {
    expect(PLAN).toEqual({
      signatureHeader: 'x-signature',
      timestampHeader: 'x-timestamp',
      payloadFormat: '{timestamp}.{body}',
      encoding: 'hex',
      algorithm: 'sha256',
    });
  });

  it('agrees on every case of the corpus', () => {
    const cases: DifferentialCase[] = corpus().map((request) => ({
      name: request.name,
      ours: ours(request),
      sdk: documented(request),
      leniency: request.leniency,
    }));
    expectAgreement('vapi', 'no SDK verifier; HmacAuthenticationPlan documented defaults', cases);
  });
});
