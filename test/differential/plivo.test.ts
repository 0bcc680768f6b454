/**
 * Differential test against plivo-node 4.79.0 (spec §6: the SDK verifier is the reference):
 * `validateV3Signature(method, uri, nonce, authToken, signature, params)` (dist/utils/v3Security.js).
 * The SDK has no signer, so valid requests are signed by ours (itself pinned to plivo-go's official
 * vectors in test/unit/plivo.test.ts) and the SDK's verdict decides. Each case is judged by our
 * `verifyPlivoSignature` and by the SDK once per secret of the list and per signature header
 * (`X-Plivo-Signature-V3`, `X-Plivo-Signature-Ma-V3`): the SDK accepts when any of them validates.
 * The params the SDK is given are the body as `express.urlencoded({ extended: false })` hands them
 * over (`querystring.parse`: a repeated key becomes an array).
 */
import { parse as parseQuery } from 'node:querystring';
import plivo from 'plivo';
import { describe, it } from 'vitest';
import { plivoSignatureV3, verifyPlivoSignature } from '../../lib/providers/plivo/ingress';
import { type DifferentialCase, expectAgreement } from '../support/differential';
import { rawFormFixture } from '../support/signed-requests';

const validateV3Signature = plivo.validateV3Signature as (
  method: string,
  uri: string,
  nonce: string,
  authToken: string,
  signature: string,
  params?: Record<string, string | string[]>,
) => boolean;

const SECRETS = ['plivo-auth-token-current', 'plivo-auth-token-next'] as const;
const BASE = 'https://calls.example.com/webhooks/plivo';
const NONCE = '31627761595286130198';
const FORM = rawFormFixture('plivo', 'hangup');

interface Request {
  name: string;
  method?: string;
  body: string;
  /** The URL as the intake received it (what both verifiers are given). */
  url: string;
  headers: Record<string, string | undefined>;
  secrets?: readonly string[];
  leniency?: string;
}

const params = (body: string) => parseQuery(body) as Record<string, string | string[]>;
const pairs = (body: string) => [...new URLSearchParams(body)];

function sdkAccepts(request: Request): boolean {
  const nonce = request.headers['x-plivo-signature-v3-nonce'];
  if (nonce === undefined) return false;
  const signatures = [request.headers['x-plivo-signature-v3'], request.headers['x-plivo-signature-ma-v3']];
  return (request.secrets ?? SECRETS).some((secret) =>
    signatures.some(
      (signature) =>
        signature !== undefined &&
        validateV3Signature(
          request.method ?? 'POST',
          request.url,
          nonce,
          secret,
          signature,
          params(request.body),
        ),
    ),
  );
}

function oursAccepts(request: Request): boolean {
  try {
    verifyPlivoSignature(
      Buffer.from(request.body, 'utf8'),
      request.headers,
      request.url,
      request.secrets ?? SECRETS,
      request.method ?? 'POST',
    );
    return true;
  } catch {
    return false;
  }
}

/** Signed over `signedUrl` (as Plivo signs the URL it was configured with), received at `url`. */
function signedFor(
  name: string,
  signedUrl: string,
  url: string,
  { body = FORM, secret = SECRETS[0] as string, method = 'POST', nonce = NONCE } = {},
): Request {
  const signature = plivoSignatureV3(secret, signedUrl, pairs(body), nonce, method);
  return {
    name,
    method,
    body,
    url,
    headers: { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': nonce },
  };
}

const form = (list: readonly [string, string][]) => new URLSearchParams(list).toString();
/** U+FF21 sorts before U+1F600 by code point (UTF-8 bytes) but after it by UTF-16 code unit. */
const WIDE = '\uFF21';
const EMOJI = '\u{1F600}';

function corpus(): Request[] {
  const requests: Request[] = [];
  const same = (name: string, url: string, options: Parameters<typeof signedFor>[3] = {}) =>
    requests.push(signedFor(name, url, url, options));

  // Secrets and rotation.
  for (const secret of SECRETS) same(`signed with ${secret}`, BASE, { secret });
  same('wrong token', BASE, { secret: 'not-the-token' });
  requests.push({
    ...signedFor('next only in the list', BASE, BASE, { secret: SECRETS[1] }),
    secrets: [SECRETS[1]],
  });
  requests.push({ ...signedFor('current, list holds next', BASE, BASE), secrets: [SECRETS[1]] });

  // Headers: the nonce, several signatures, the main-account header.
  const good = signedFor('base', BASE, BASE);
  const signature = good.headers['x-plivo-signature-v3'] ?? '';
  requests.push({
    ...good,
    name: 'other nonce',
    headers: { ...good.headers, 'x-plivo-signature-v3-nonce': '1' },
  });
  requests.push({
    ...good,
    name: 'no nonce',
    headers: { ...good.headers, 'x-plivo-signature-v3-nonce': undefined },
  });
  requests.push({
    ...good,
    name: 'no signature',
    headers: { ...good.headers, 'x-plivo-signature-v3': undefined },
  });
  requests.push({
    ...good,
    name: 'second of two signatures',
    headers: { ...good.headers, 'x-plivo-signature-v3': `bad,${signature}` },
  });
  requests.push({
    ...good,
    name: 'first of two signatures',
    headers: { ...good.headers, 'x-plivo-signature-v3': `${signature},bad` },
  });
  requests.push({
    ...good,
    name: 'two wrong signatures',
    headers: { ...good.headers, 'x-plivo-signature-v3': 'bad,worse' },
  });
  requests.push({
    ...good,
    name: 'signature after ", "',
    headers: { ...good.headers, 'x-plivo-signature-v3': `bad, ${signature}` },
    leniency: 'whitespace around a listed signature (it still matches)',
  });
  requests.push({
    ...good,
    name: 'Ma-V3 header only',
    headers: { 'x-plivo-signature-ma-v3': signature, 'x-plivo-signature-v3-nonce': NONCE },
  });
  requests.push({
    ...good,
    name: 'signature in lower case',
    headers: { ...good.headers, 'x-plivo-signature-v3': signature.toLowerCase() },
  });

  // Body mutations after signing.
  requests.push({ ...good, name: 'a value changed', body: FORM.replace('Duration=52', 'Duration=53') });
  requests.push({ ...good, name: 'a pair added', body: `${FORM}&Extra=1` });
  requests.push({ ...good, name: 'a pair removed', body: FORM.replace('&BillRate=0.002', '') });
  requests.push({ ...good, name: 'pairs reordered', body: FORM.split('&').reverse().join('&') });
  requests.push({ ...good, name: 'a pair repeated', body: `${FORM}&Duration=52` });

  // Repeated keys: plivo-node keeps every value, sorted.
  for (const body of ['Tag=a&Tag=a', 'Tag=b&Tag=a', 'Tag=a&Tag=b&Tag=a', `${FORM}&Tag=x&Tag=x`]) {
    same(`repeated keys ${body.slice(-19)}`, BASE, { body });
  }
  requests.push({
    ...signedFor('Tag=a signature on Tag=a&Tag=a', BASE, BASE, { body: 'Tag=a' }),
    body: 'Tag=a&Tag=a',
  });

  // Unicode: the SDK sorts by UTF-16 code unit.
  for (const [i, body] of [
    form([
      [WIDE, '1'],
      [EMOJI, '2'],
    ]),
    form([
      ['K', WIDE],
      ['K', EMOJI],
    ]),
    form([
      [`A${WIDE}`, 'x'],
      [`A${EMOJI}`, 'y'],
      ['Ä', 'z'],
      ['a', 'w'],
    ]),
  ].entries()) {
    same(`unicode order ${i}`, BASE, { body });
    same(
      `unicode order ${i}, query`,
      `${BASE}?${form([
        [EMOJI, '1'],
        [WIDE, '2'],
      ])}`,
      { body },
    );
  }

  // URL forms: query (sorted by the SDK), ports, case, userinfo, fragment, GET.
  same('query', `${BASE}?b=2&a=1`);
  same('query, no params', `${BASE}?b=2&a=1`, { body: '' });
  same('no query, no params', BASE, { body: '' });
  same('query with + and %20', `${BASE}?a=x+y&b=x%20y&c=%27`);
  same('repeated query keys', `${BASE}?a=2&a=1&a=2`);
  same('query key without value', `${BASE}?flag&a=1`);
  requests.push(signedFor('query signed re-ordered', `${BASE}?a=1&b=2`, `${BASE}?b=2&a=1`));
  same(':443', 'https://calls.example.com:443/webhooks/plivo');
  requests.push(
    signedFor(':443 signed, none received', 'https://calls.example.com:443/webhooks/plivo', BASE),
  );
  requests.push(
    signedFor('none signed, :443 received', BASE, 'https://calls.example.com:443/webhooks/plivo'),
  );
  requests.push(signedFor('host case differs', BASE, 'https://Calls.Example.com/webhooks/plivo'));
  same('mixed-case host', 'https://Calls.Example.com/webhooks/plivo');
  requests.push(
    signedFor('userinfo received, signed without', BASE, 'https://user:pw@calls.example.com/webhooks/plivo'),
  );
  requests.push(
    signedFor(
      'userinfo received and signed',
      'https://user:pw@calls.example.com/webhooks/plivo',
      'https://user:pw@calls.example.com/webhooks/plivo',
    ),
  );
  requests.push(signedFor('user only received', BASE, 'https://user@calls.example.com/webhooks/plivo'));
  requests.push(
    signedFor('userinfo with query', `${BASE}?a=1`, 'https://u:p@calls.example.com/webhooks/plivo?a=1'),
  );
  requests.push(signedFor('fragment received', BASE, `${BASE}#rc=2`));
  requests.push(signedFor('trailing slash received', BASE, `${BASE}/`));
  same('root path', 'https://calls.example.com/');
  same('GET with query', `${BASE}?b=2&a=1`, { method: 'GET' });
  same('GET without params', BASE, { method: 'GET', body: '' });
  requests.push({ ...signedFor('POST signature, GET received', BASE, BASE), method: 'GET' });
  return requests;
}

describe('Plivo verification agrees with plivo-node validateV3Signature', () => {
  it('reports N cases, 0 disagreements', () => {
    const cases: DifferentialCase[] = corpus().map((request) => ({
      name: request.name,
      ours: oursAccepts(request),
      sdk: sdkAccepts(request),
      leniency: request.leniency,
    }));
    expectAgreement('plivo', 'plivo-node validateV3Signature', cases);
  });
});
