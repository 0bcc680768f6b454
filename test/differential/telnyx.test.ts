/**
 * Telnyx: our Ed25519 check against telnyx-node 7.24.0's own verifier, `TelnyxWebhook.verify`
 * (node_modules/telnyx/lib/webhooks.js; what `client.webhooks.unwrap` calls). Telnyx holds the only
 * real private key, so valid requests are signed the way it signs (Ed25519 over
 * `<telnyx-timestamp>|<raw body>`, lib/providers/telnyx/sign.ts) with two generated key pairs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import { afterEach, describe, it, vi } from 'vitest';
import { verifyTelnyxSignature } from '../../lib/providers/telnyx/ingress';
import { signTelnyx } from '../../lib/providers/telnyx/sign';
import { rawFixture } from '../fixtures';
import { type DifferentialCase, expectAgreement } from '../support/differential';

function keyPair(): { seedHex: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    seedHex: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('hex'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64'),
  };
}

const CURRENT = keyPair();
const NEXT = keyPair();
const STRANGER = keyPair();
const BODY = rawFixture('telnyx', 'call-hangup');
// A "now" with a fractional second, as a real clock has: the 300 s edge is in whole seconds.
const NOW_MS = 1_750_000_000_987;
const NOW_S = Math.floor(NOW_MS / 1000);

interface Request {
  name: string;
  body: string;
  headers: Record<string, string>;
  keys: readonly string[];
  leniency?: string;
}

const signed = (body: string, timestamp: number | string, seedHex = CURRENT.seedHex) =>
  signTelnyx(body, String(timestamp), seedHex);

function corpus(): Request[] {
  const keys = [CURRENT.publicKey, NEXT.publicKey];
  const ok = signed(BODY, NOW_S);
  const sig = ok['telnyx-signature-ed25519'] as string;
  const cases: Request[] = [
    { name: 'valid, current key', body: BODY, headers: ok, keys },
    { name: 'valid, next key (rotation)', body: BODY, headers: signed(BODY, NOW_S, NEXT.seedHex), keys },
    { name: 'valid, only the old key configured', body: BODY, headers: ok, keys: [CURRENT.publicKey] },
    {
      name: 'signed by next, only current configured',
      body: BODY,
      headers: signed(BODY, NOW_S, NEXT.seedHex),
      keys: [CURRENT.publicKey],
    },
    { name: 'signed by a stranger key', body: BODY, headers: signed(BODY, NOW_S, STRANGER.seedHex), keys },
    {
      name: 'header names in mixed case',
      body: BODY,
      headers: { 'Telnyx-Signature-Ed25519': sig, 'Telnyx-Timestamp': String(NOW_S) },
      keys,
    },
    { name: 'body: one byte changed', body: BODY.replace('call.hangup', 'call.hangUp'), headers: ok, keys },
    { name: 'body: trailing newline added', body: `${BODY}\n`, headers: ok, keys },
    { name: 'body: re-serialised JSON', body: JSON.stringify(JSON.parse(BODY)), headers: ok, keys },
    { name: 'body: empty', body: '', headers: ok, keys },
    {
      name: 'timestamp header altered (+1 s)',
      body: BODY,
      headers: { ...ok, 'telnyx-timestamp': String(NOW_S + 1) },
      keys,
    },
    { name: 'signature of another body', body: BODY, headers: { ...signed('{}', NOW_S) }, keys },
    { name: 'signature missing', body: BODY, headers: { 'telnyx-timestamp': String(NOW_S) }, keys },
    { name: 'timestamp missing', body: BODY, headers: { 'telnyx-signature-ed25519': sig }, keys },
    { name: 'signature empty', body: BODY, headers: { ...ok, 'telnyx-signature-ed25519': '' }, keys },
    {
      name: 'signature not base64',
      body: BODY,
      headers: { ...ok, 'telnyx-signature-ed25519': `${sig.slice(0, -4)}!!!!` },
      keys,
    },
    {
      name: 'signature truncated (63 bytes)',
      body: BODY,
      headers: {
        ...ok,
        'telnyx-signature-ed25519': Buffer.from(sig, 'base64').subarray(0, 63).toString('base64'),
      },
      keys,
    },
    {
      name: 'signature hex-encoded',
      body: BODY,
      headers: { ...ok, 'telnyx-signature-ed25519': Buffer.from(sig, 'base64').toString('hex') },
      keys,
    },
    {
      name: 'signature one bit flipped',
      body: BODY,
      headers: { ...ok, 'telnyx-signature-ed25519': flip(sig) },
      keys,
    },
    {
      name: 'signature without = padding',
      body: BODY,
      headers: { ...ok, 'telnyx-signature-ed25519': sig.replace(/=+$/, '') },
      keys,
      leniency: 'base64 padding (the signature bytes are the same)',
    },
    {
      name: 'signature with surrounding spaces',
      body: BODY,
      headers: { ...ok, 'telnyx-signature-ed25519': ` ${sig} ` },
      keys,
      leniency: 'whitespace around the header value',
    },
    { name: 'timestamp not digits', body: BODY, headers: signed(BODY, 'now'), keys },
    { name: 'timestamp negative', body: BODY, headers: signed(BODY, `-${NOW_S}`), keys },
    { name: 'timestamp in milliseconds', body: BODY, headers: signed(BODY, NOW_MS), keys },
    { name: 'timestamp with a plus sign', body: BODY, headers: signed(BODY, `+${NOW_S}`), keys },
    { name: 'timestamp with leading zeros', body: BODY, headers: signed(BODY, `000${NOW_S}`), keys },
    { name: 'timestamp 0', body: BODY, headers: signed(BODY, 0), keys },
    { name: 'timestamp 2^53', body: BODY, headers: signed(BODY, '9007199254740993'), keys },
    { name: 'wrong key only', body: BODY, headers: ok, keys: [STRANGER.publicKey] },
    { name: 'no key configured', body: BODY, headers: ok, keys: [] },
  ];
  // Freshness at and past the 300 s edge, in whole seconds, both directions.
  for (const offset of [-1000, -301, -300, -299, -1, 0, 1, 299, 300, 301, 1000]) {
    cases.push({
      name: `timestamp now${offset >= 0 ? '+' : ''}${offset} s`,
      body: BODY,
      headers: signed(BODY, NOW_S + offset),
      keys,
    });
  }
  // Unicode bodies: the SDK signs the string's UTF-8 bytes, as we check the raw bytes.
  for (const body of ['{"a":"é"}', '{"a":"\u{1F600}"}', '{"a":"\u2028"}']) {
    cases.push({ name: `unicode body ${JSON.stringify(body)}`, body, headers: signed(body, NOW_S), keys });
  }
  return cases;
}

function flip(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[10] = (bytes[10] ?? 0) ^ 1;
  return bytes.toString('base64');
}

const lowerCased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

function ours(request: Request): boolean {
  try {
    // Header names arrive lower-cased, as lib/http.ts hands them to every provider.
    verifyTelnyxSignature(
      Buffer.from(request.body, 'utf8'),
      lowerCased(request.headers),
      request.keys,
      new Date(NOW_MS),
    );
    return true;
  } catch {
    return false;
  }
}

/** The SDK takes one key: rotation is "any configured key verifies". */
async function sdk(request: Request): Promise<boolean> {
  let accepted = false;
  for (const key of request.keys) {
    try {
      await new TelnyxWebhook(key).verify(request.body, request.headers);
      accepted = true;
    } catch {
      // refused by this key
    }
  }
  return accepted;
}

describe('telnyx vs telnyx-node TelnyxWebhook.verify', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('agrees on every case of the corpus', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_MS);
    const cases: DifferentialCase[] = [];
    for (const request of corpus()) {
      cases.push({
        name: request.name,
        ours: ours(request),
        sdk: await sdk(request),
        leniency: request.leniency,
      });
    }
    expectAgreement('telnyx', 'telnyx TelnyxWebhook.verify', cases);
  });
});
