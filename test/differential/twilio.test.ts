/**
 * Differential test against twilio-node 6.3.1 (spec §6: the SDK verifier is the reference):
 * `validateRequest` / `validateRequestWithBody` in node_modules/twilio/lib/webhooks/webhooks.js, with
 * the algorithm from `getSignatureAlgorithm(X-Twilio-Webhooks-Signature-Settings)` and valid requests
 * signed by the SDK's own `getExpectedTwilioSignature`. Each case is judged by our
 * `verifyTwilioSignature` and by the SDK, once per secret of the list (current + next): the SDK
 * accepts when any secret validates. The params the SDK is given are the body as
 * `express.urlencoded({ extended: false })` hands them over (`querystring.parse`: a repeated key
 * becomes an array), which is what Twilio's own docs pair `webhook()` with.
 */
import { createHash } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import {
  getExpectedTwilioSignature,
  getSignatureAlgorithm,
  validateRequest,
  validateRequestWithBody,
} from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { verifyTwilioSignature } from '../../lib/providers/twilio/ingress';
import { type DifferentialCase, expectAgreement } from '../support/differential';
import { rawFormFixture } from '../support/signed-requests';

const AUTH_TOKENS = ['twilio-auth-token-current', 'twilio-auth-token-next'] as const;
const SHARED_KEY = 'webhooks-sharedkey-secret-0123456789';
const SECRETS = [...AUTH_TOKENS, SHARED_KEY];
const BASE = 'https://calls.example.com/webhooks/twilio';
const SETTINGS_256 = 'key=webhooks_sharedkey_0123456789abcdef,algorithm=HMAC_SHA256';
const FORM = rawFormFixture('twilio', 'status-completed');

interface Request {
  name: string;
  body: string;
  /** The URL as the intake received it (what both verifiers are given). */
  url: string;
  signature?: string;
  settings?: string;
  secrets?: readonly string[];
  leniency?: string;
}

const params = (body: string) => parseQuery(body) as Record<string, string | string[]>;
const algorithmOf = (settings: string | undefined) => getSignatureAlgorithm(settings ?? '');

/** The SDK's signature of `body` as Twilio would send it to `signedUrl`. */
function sdkSign(secret: string, signedUrl: string, body: string, settings?: string): string {
  const isJson = signedUrl.indexOf('bodySHA256') > 0;
  return getExpectedTwilioSignature(secret, signedUrl, isJson ? {} : params(body), algorithmOf(settings));
}

/** The SDK's verdict, decided the way its `validateIncomingRequest` decides (bodySHA256 → with body). */
function sdkAccepts(request: Request): boolean {
  const algorithm = algorithmOf(request.settings);
  const signature = request.signature ?? '';
  return (request.secrets ?? SECRETS).some((secret) =>
    request.url.indexOf('bodySHA256') > 0
      ? validateRequestWithBody(secret, signature, request.url, request.body, algorithm)
      : validateRequest(secret, signature, request.url, params(request.body), algorithm),
  );
}

function oursAccepts(request: Request): boolean {
  const headers: Record<string, string | undefined> = {
    'x-twilio-signature': request.signature,
    'x-twilio-webhooks-signature-settings': request.settings,
  };
  try {
    verifyTwilioSignature(
      Buffer.from(request.body, 'utf8'),
      headers,
      request.url,
      request.secrets ?? SECRETS,
    );
    return true;
  } catch {
    return false;
  }
}

/** The same request received at `url` after being signed over `signedUrl` (body and settings alike). */
const signedFor = (
  name: string,
  signedUrl: string,
  url: string,
  body = FORM,
  secret: string = AUTH_TOKENS[0],
  settings?: string,
): Request => ({ name, body, url, settings, signature: sdkSign(secret, signedUrl, body, settings) });

const form = (pairs: readonly [string, string][]) => new URLSearchParams(pairs).toString();
/** U+FF21 sorts before U+1F600 by code point (UTF-8 bytes) but after it by UTF-16 code unit. */
const WIDE = '\uFF21';
const EMOJI = '\u{1F600}';

function corpus(): Request[] {
  const requests: Request[] = [];
  const both = (name: string, signedUrl: string, url: string, body = FORM) => {
    requests.push(signedFor(`${name} (signed as received? ${signedUrl === url})`, signedUrl, url, body));
  };

  // Secrets: each of the list signs; a secret outside it does not; the list alone decides.
  for (const secret of SECRETS) requests.push(signedFor(`signed with ${secret}`, BASE, BASE, FORM, secret));
  requests.push(signedFor('signed with a wrong token', BASE, BASE, FORM, 'not-the-token'));
  requests.push({
    ...signedFor('next token only in the list', BASE, BASE, FORM, AUTH_TOKENS[1]),
    secrets: [AUTH_TOKENS[1]],
  });
  requests.push({
    ...signedFor('current token, list holds next', BASE, BASE, FORM, AUTH_TOKENS[0]),
    secrets: [AUTH_TOKENS[1]],
  });
  requests.push({ ...signedFor('empty secret', BASE, BASE, FORM, ''), secrets: [''] });

  // The signature header itself.
  const good = signedFor('base', BASE, BASE);
  requests.push({ ...good, name: 'no signature', signature: undefined });
  requests.push({ ...good, name: 'empty signature', signature: '' });
  requests.push({
    ...good,
    name: 'signature without padding',
    signature: good.signature?.replace(/=+$/, ''),
  });
  requests.push({ ...good, name: 'signature in lower case', signature: good.signature?.toLowerCase() });
  requests.push({
    ...good,
    name: 'signature of the URL alone',
    signature: sdkSign(AUTH_TOKENS[0], BASE, ''),
  });

  // Body mutations after signing.
  requests.push({
    ...good,
    name: 'a value changed',
    body: FORM.replace('CallDuration=37', 'CallDuration=38'),
  });
  requests.push({ ...good, name: 'a pair added', body: `${FORM}&Extra=1` });
  requests.push({ ...good, name: 'a pair removed', body: FORM.replace('&SequenceNumber=3', '') });
  requests.push({ ...good, name: 'pairs reordered', body: FORM.split('&').reverse().join('&') });
  requests.push({ ...good, name: 'a pair repeated', body: `${FORM}&SequenceNumber=3` });
  requests.push({ ...good, name: '%20 for +', body: FORM.replaceAll('+', '%20') });

  // Repeated keys: twilio-node drops duplicate values of a key (a Set) and sorts the rest.
  for (const body of [
    'Tag=a&Tag=a',
    'Tag=b&Tag=a',
    'Tag=a&Tag=b&Tag=a',
    'Tag=&Tag=',
    `${FORM}&Tag=x&Tag=x`,
  ]) {
    requests.push(signedFor(`repeated keys ${body.slice(-19)}`, BASE, BASE, body));
  }
  requests.push({ ...signedFor('Tag=a signature on Tag=a&Tag=a', BASE, BASE, 'Tag=a'), body: 'Tag=a&Tag=a' });
  requests.push({ ...signedFor('Tag=a&Tag=a signature on Tag=a', BASE, BASE, 'Tag=a&Tag=a'), body: 'Tag=a' });

  // Unicode: both SDKs sort by UTF-16 code unit, which differs from code point order past U+FFFF.
  const unicodeBodies = [
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
    form([
      ['From', `+1${EMOJI}`],
      ['CallerName', 'Zoë ✓'],
    ]),
  ];
  for (const [i, body] of unicodeBodies.entries())
    requests.push(signedFor(`unicode order ${i}`, BASE, BASE, body));

  // URL forms: port added or dropped, host and scheme case, ' vs %27, re-encoded query.
  const withQuery = `${BASE}?a=1&b=x+y`;
  both('same URL with query', withQuery, withQuery);
  both(':443 signed, none received', 'https://calls.example.com:443/webhooks/twilio', BASE);
  both('none signed, :443 received', BASE, 'https://calls.example.com:443/webhooks/twilio');
  both(':8443 signed, none received', 'https://calls.example.com:8443/webhooks/twilio', BASE);
  both('none signed, :8443 received', BASE, 'https://calls.example.com:8443/webhooks/twilio');
  both(
    ':80 on http',
    'http://calls.example.com:80/webhooks/twilio',
    'http://calls.example.com/webhooks/twilio',
  );
  both('lower-case host signed, mixed case received', BASE, 'https://Calls.Example.COM/webhooks/twilio');
  both('mixed-case host signed, lower case received', 'https://Calls.Example.COM/webhooks/twilio', BASE);
  both(
    'mixed-case host signed and received',
    'https://Calls.Example.COM/webhooks/twilio',
    'https://Calls.Example.COM/webhooks/twilio',
  );
  both('upper-case scheme received', BASE, 'HTTPS://calls.example.com/webhooks/twilio');
  both(
    'upper-case scheme received, :443 signed',
    'https://calls.example.com:443/webhooks/twilio',
    'HTTPS://calls.example.com/webhooks/twilio',
  );
  both('upper-case host and :443 received', BASE, 'https://CALLS.example.com:443/webhooks/twilio');
  both("' received, %27 signed", `${BASE}?name=%27o%27`, `${BASE}?name='o'`);
  both("%27 received, ' signed", `${BASE}?name='o'`, `${BASE}?name=%27o%27`);
  both("' signed and received", `${BASE}?name='o'`, `${BASE}?name='o'`);
  both('+ received, %20 signed', `${BASE}?a=x%20y`, `${BASE}?a=x+y`);
  both('%20 received, + signed', `${BASE}?a=x+y`, `${BASE}?a=x%20y`);
  both('query re-ordered', `${BASE}?b=2&a=1`, `${BASE}?a=1&b=2`);
  both('path case', 'https://calls.example.com/Webhooks/Twilio', BASE);
  both('trailing slash', `${BASE}/`, BASE);
  both('other path', 'https://calls.example.com/webhooks/plivo', BASE);
  both(
    'userinfo received and signed',
    'https://u:p@calls.example.com/webhooks/twilio',
    'https://u:p@calls.example.com/webhooks/twilio',
  );
  both('userinfo received, none signed', BASE, 'https://u:p@calls.example.com/webhooks/twilio');
  both('http signed, https received', 'http://calls.example.com/webhooks/twilio', BASE);
  both(
    'space in path received as %20',
    'https://calls.example.com/web%20hooks',
    'https://calls.example.com/web%20hooks',
  );
  both('{ in query', `${BASE}?x=%7B`, `${BASE}?x={`);
  both('IPv6 host with port', 'https://[::1]/webhooks/twilio', 'https://[::1]:443/webhooks/twilio');

  // SharedKey (HMAC_SHA256) by the settings header; the secret comes from the same list.
  const sha256 = (name: string, secret: string, settings: string, received = settings) => ({
    ...signedFor(name, BASE, BASE, FORM, secret, settings),
    settings: received,
  });
  requests.push(sha256('SharedKey HMAC_SHA256', SHARED_KEY, SETTINGS_256));
  requests.push({
    ...sha256('SharedKey signs, Auth Token list only', SHARED_KEY, SETTINGS_256),
    secrets: AUTH_TOKENS,
  });
  requests.push(sha256('Auth Token with HMAC_SHA256', AUTH_TOKENS[1], SETTINGS_256));
  requests.push(sha256('HMAC_SHA256 without the settings header', SHARED_KEY, SETTINGS_256, ''));
  requests.push(
    sha256('HMAC_SHA256 settings on an HMAC-SHA1 signature', SHARED_KEY, 'algorithm=HMAC_SHA1', SETTINGS_256),
  );
  requests.push(sha256('algorithm in lower case', SHARED_KEY, 'key=k,algorithm=hmac_sha256'));
  requests.push(sha256('spaces around the parts', SHARED_KEY, ' key = k , algorithm = HMAC_SHA256 '));
  requests.push(sha256('algorithm first', SHARED_KEY, 'algorithm=HMAC_SHA256,key=k'));
  requests.push(sha256('empty algorithm, then one', SHARED_KEY, 'algorithm=,algorithm=HMAC_SHA256'));
  requests.push(sha256('explicit HMAC_SHA1', AUTH_TOKENS[0], 'key=k,algorithm=HMAC_SHA1'));
  requests.push(sha256('settings without an algorithm', AUTH_TOKENS[0], 'key=k'));
  requests.push(sha256('Algorithm key in another case', AUTH_TOKENS[0], 'key=k,Algorithm=HMAC_SHA256'));
  requests.push({
    ...sha256('unsupported HMAC_SHA512', SHARED_KEY, SETTINGS_256),
    settings: 'key=k,algorithm=HMAC_SHA512',
  });
  requests.push({
    ...sha256('two algorithms, first wins', SHARED_KEY, SETTINGS_256),
    settings: 'algorithm=HMAC_SHA256,algorithm=HMAC_SHA1',
  });
  requests.push({
    ...sha256('two algorithms, SHA1 first', SHARED_KEY, SETTINGS_256),
    settings: 'algorithm=HMAC_SHA1,algorithm=HMAC_SHA256',
  });
  requests.push({ ...sha256('SharedKey body changed', SHARED_KEY, SETTINGS_256), body: `${FORM}&x=1` });
  const sharedPort = signedFor(
    'SharedKey, :443 signed',
    'https://calls.example.com:443/webhooks/twilio',
    BASE,
    FORM,
    SHARED_KEY,
    SETTINGS_256,
  );
  requests.push(sharedPort);
  requests.push(
    signedFor('SharedKey, unicode and repeats', BASE, BASE, unicodeBodies[1] ?? '', SHARED_KEY, SETTINGS_256),
  );

  // The JSON variant: the URL carries bodySHA256 and the signature covers the URL alone.
  const json = '{"CallSid":"CA0123456789abcdef0123456789abcdef","CallStatus":"completed"}';
  const hash = createHash('sha256').update(json).digest('hex');
  const jsonUrl = `${BASE}?bodySHA256=${hash}`;
  requests.push(signedFor('bodySHA256', jsonUrl, jsonUrl, json));
  requests.push({ ...signedFor('bodySHA256, body changed', jsonUrl, jsonUrl, json), body: `${json} ` });
  requests.push({
    ...signedFor(
      'bodySHA256 in upper case',
      `${BASE}?bodySHA256=${hash.toUpperCase()}`,
      `${BASE}?bodySHA256=${hash.toUpperCase()}`,
      json,
    ),
    leniency: 'hex case of bodySHA256 (the URL signature still matches)',
  });
  requests.push(
    signedFor(
      'bodySHA256, :443 signed',
      `https://calls.example.com:443/webhooks/twilio?bodySHA256=${hash}`,
      jsonUrl,
      json,
    ),
  );
  requests.push(signedFor('bodySHA256, SharedKey', jsonUrl, jsonUrl, json, SHARED_KEY, SETTINGS_256));
  return requests;
}

describe('Twilio verification agrees with twilio-node validateRequest', () => {
  // validateRequest warns on the console about an unsupported algorithm: the verdict is what counts.
  beforeAll(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('reports N cases, 0 disagreements', () => {
    const cases: DifferentialCase[] = corpus().map((request) => ({
      name: request.name,
      ours: oursAccepts(request),
      sdk: sdkAccepts(request),
      leniency: request.leniency,
    }));
    expectAgreement('twilio', 'twilio-node webhooks validateRequest + getSignatureAlgorithm', cases);
  });
});
