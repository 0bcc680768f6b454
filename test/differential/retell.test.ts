/**
 * Retell: our `x-retell-signature` check against retell-sdk 5.66.1's own `verify` and `sign`
 * (node_modules/retell-sdk/lib/webhook_auth.js; `Retell.verify` / `Retell.sign` on the client).
 * `verify` reads the clock itself, so the corpus calls `symmetric.verify` — what `verify` delegates
 * to — with the same `now` our check gets; valid signatures come from `symmetric.sign`.
 */
import { symmetric } from 'retell-sdk/lib/webhook_auth';
import { describe, it } from 'vitest';
import { verifyRetellSignature } from '../../lib/providers/retell/ingress';
import { rawFixture } from '../fixtures';
import { type DifferentialCase, expectAgreement } from '../support/differential';

const CURRENT = 'key_current_retell_webhook';
const NEXT = 'key_next_retell_webhook';
const BODY = rawFixture('retell', 'call-ended');
const NOW = 1_750_000_000_123;

interface Request {
  name: string;
  body: string;
  signature: string | undefined;
  keys: readonly string[];
  leniency?: string;
}

const sign = (body: string, key: string, ms: number | string = NOW) =>
  symmetric.sign(body, key, ms as number);

async function corpus(): Promise<Request[]> {
  const keys = [CURRENT, NEXT];
  const ok = await sign(BODY, CURRENT);
  const [, v, d] = /^v=(\d+),d=([0-9a-f]+)$/.exec(ok) ?? [];
  const cases: Request[] = [
    { name: 'valid, current key', body: BODY, signature: ok, keys },
    { name: 'valid, next key (rotation)', body: BODY, signature: await sign(BODY, NEXT), keys },
    {
      name: 'signed by next, only current configured',
      body: BODY,
      signature: await sign(BODY, NEXT),
      keys: [CURRENT],
    },
    { name: 'wrong key', body: BODY, signature: await sign(BODY, 'key_somebody_else'), keys },
    { name: 'no key configured', body: BODY, signature: ok, keys: [] },
    { name: 'upper-case V= and D=', body: BODY, signature: `V=${v},D=${d}`, keys },
    { name: 'upper-case V= only', body: BODY, signature: `V=${v},d=${d}`, keys },
    { name: 'upper-case hex digest', body: BODY, signature: `v=${v},d=${d?.toUpperCase()}`, keys },
    { name: 'body: one byte changed', body: BODY.replace('call_ended', 'call_endeD'), signature: ok, keys },
    { name: 'body: trailing newline', body: `${BODY}\n`, signature: ok, keys },
    { name: 'body: re-serialised JSON', body: JSON.stringify(JSON.parse(BODY)), signature: ok, keys },
    { name: 'timestamp altered', body: BODY, signature: `v=${NOW + 1},d=${d}`, keys },
    { name: 'digest truncated', body: BODY, signature: `v=${v},d=${d?.slice(0, 63)}`, keys },
    { name: 'digest extended', body: BODY, signature: `v=${v},d=${d}0`, keys },
    { name: 'digest not hex', body: BODY, signature: `v=${v},d=${d?.slice(0, 63)}g`, keys },
    { name: 'parts swapped', body: BODY, signature: `d=${d},v=${v}`, keys },
    { name: 'missing header', body: BODY, signature: undefined, keys },
    { name: 'empty header', body: BODY, signature: '', keys },
    { name: 'only the digest', body: BODY, signature: d, keys },
    {
      name: 'seconds instead of ms',
      body: BODY,
      signature: await sign(BODY, CURRENT, Math.floor(NOW / 1000)),
      keys,
    },
    { name: 'negative timestamp', body: BODY, signature: `v=-${v},d=${d}`, keys },
    { name: 'timestamp 2^53+1', body: BODY, signature: await sign(BODY, CURRENT, '9007199254740993'), keys },
    {
      name: 'space after the comma',
      body: BODY,
      signature: `v=${v}, d=${d}`,
      keys,
      leniency: 'whitespace inside the header value (the digest is the same)',
    },
    {
      name: 'surrounding spaces',
      body: BODY,
      signature: ` ${ok} `,
      keys,
      leniency: 'whitespace around the header value (the digest is the same)',
    },
  ];
  // Freshness: 300 000 ms each way (the SDK's FIVE_MINUTES), at and past the edge.
  for (const offset of [-1_000_000, -300_001, -300_000, -299_999, 0, 299_999, 300_000, 300_001, 1_000_000]) {
    cases.push({
      name: `timestamp now${offset >= 0 ? '+' : ''}${offset} ms`,
      body: BODY,
      signature: await sign(BODY, CURRENT, NOW + offset),
      keys,
    });
  }
  for (const body of ['{"event":"é"}', '{"event":"\u{1F600}"}', '{"event":"\u2028"}']) {
    cases.push({
      name: `unicode body ${JSON.stringify(body)}`,
      body,
      signature: await sign(body, CURRENT),
      keys,
    });
  }
  return cases;
}

function ours(request: Request): boolean {
  const headers = request.signature === undefined ? {} : { 'x-retell-signature': request.signature };
  try {
    verifyRetellSignature(Buffer.from(request.body, 'utf8'), headers, '', request.keys, new Date(NOW));
    return true;
  } catch {
    return false;
  }
}

async function sdk(request: Request): Promise<boolean> {
  let accepted = false;
  for (const key of request.keys) {
    if (request.signature === undefined) continue;
    if (await symmetric.verify(request.body, key, request.signature, { timestamp: NOW })) accepted = true;
  }
  return accepted;
}

describe('retell vs retell-sdk verify', () => {
  it('agrees on every case of the corpus', async () => {
    const cases: DifferentialCase[] = [];
    for (const request of await corpus()) {
      cases.push({
        name: request.name,
        ours: ours(request),
        sdk: await sdk(request),
        leniency: request.leniency,
      });
    }
    expectAgreement('retell', 'retell-sdk verify (lib/webhook_auth symmetric.verify)', cases);
  });
});
