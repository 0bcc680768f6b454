/**
 * Issue 18 item 2: a Telnyx public key that has no private half — a small-order point, or a
 * non-canonical encoding — must be refused when it is configured (one line naming where it came
 * from), never used to verify. Red team: with TELNYX_PUBLIC_KEY = 32 zero bytes (a point of order 4)
 * a constant forged signature (R = the identity's encoding, S = 0) verified whenever the challenge
 * hash was a multiple of 4, i.e. about one request in four.
 */
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../lib/errors';
import { DEV_PUBLIC_KEY, telnyxIngress, verifyTelnyxSignature } from '../../lib/providers/telnyx/ingress';
import { ed25519KeyProblem } from '../../lib/providers/telnyx/key';
import { rawFixture } from '../fixtures';

const hex = (text: string) => Buffer.from(text, 'hex').toString('base64');
const P_LE = 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';

/** The 8 points of small order, canonically encoded (libsodium's ed25519 blocklist; RFC 8032 §5.1.3). */
const SMALL_ORDER = {
  'zero bytes (y = 0, order 4)': hex('00'.repeat(32)),
  'y = 0 with the sign bit (order 4)': hex(`${'00'.repeat(31)}80`),
  'identity (y = 1)': hex(`01${'00'.repeat(31)}`),
  'y = p − 1 (order 2)': hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  'order 8, x even': hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  'order 8, x odd': hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'),
  'order 8, other y, x even': hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
  'order 8, other y, x odd': hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'),
};

const NON_CANONICAL = {
  'y = p (the zero point again)': hex(P_LE),
  'y = p + 1 (the identity again)': hex(`ee${P_LE.slice(2)}`),
  'y = 2^255 − 1': hex(`${'ff'.repeat(31)}7f`),
  'identity with the sign bit (x = −0)': hex(`01${'00'.repeat(30)}80`),
};

const FORGED_SIGNATURE = Buffer.concat([
  Buffer.from(`01${'00'.repeat(31)}`, 'hex'),
  Buffer.alloc(32),
]).toString('base64');
const BODY = Buffer.from(rawFixture('telnyx', 'call-hangup'));
const NOW = new Date(1_750_000_000_000);

/** How many of 64 requests (64 timestamps) the constant forgery passes with `key` configured. */
function forgeriesAccepted(key: string): number {
  let accepted = 0;
  for (let i = 0; i < 64; i++) {
    const timestamp = String(1_750_000_000 - i);
    try {
      verifyTelnyxSignature(
        BODY,
        { 'telnyx-signature-ed25519': FORGED_SIGNATURE, 'telnyx-timestamp': timestamp },
        [key],
        NOW,
      );
      accepted++;
    } catch (error) {
      expect(error).toBeInstanceOf(UnauthorizedError);
    }
  }
  return accepted;
}

describe('Telnyx weak public keys', () => {
  it('red team: the zero key lets no constant forged signature through', () => {
    expect(forgeriesAccepted(SMALL_ORDER['zero bytes (y = 0, order 4)'])).toBe(0);
  });

  it.each(Object.entries({ ...SMALL_ORDER, ...NON_CANONICAL }))('refuses %s', (_name, key) => {
    expect(ed25519KeyProblem(key)).not.toBeNull();
    expect(forgeriesAccepted(key)).toBe(0);
  });

  it('accepts real keys (the RFC 8032 test key, a generated one)', () => {
    expect(ed25519KeyProblem(DEV_PUBLIC_KEY)).toBeNull();
    expect(
      ed25519KeyProblem(hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')),
    ).toBeNull();
  });

  it('refuses a point that is not on the curve', () => {
    // y = 2: (y² − 1)/(d·y² + 1) has no square root mod p.
    expect(ed25519KeyProblem(hex(`02${'00'.repeat(31)}`))).toMatch(/not a point/);
  });

  it('the local stack refuses to start on one, naming TELNYX_PUBLIC_KEY, in one line without the key', () => {
    const key = SMALL_ORDER['zero bytes (y = 0, order 4)'];
    const start = () => telnyxIngress.local?.secret({ TELNYX_PUBLIC_KEY: `${DEV_PUBLIC_KEY}\n${key}` });
    expect(start).toThrow(
      /^TELNYX_PUBLIC_KEY line 2 is not a usable Ed25519 public key \(small-order point\): refused$/,
    );
    expect(start).not.toThrow(key);
  });

  it('deployed, the first request refuses it with a one-line error naming the SSM parameter', () => {
    const key = SMALL_ORDER['identity (y = 1)'];
    const request = {
      method: 'POST',
      headers: { 'telnyx-signature-ed25519': FORGED_SIGNATURE, 'telnyx-timestamp': '1750000000' },
      pathParameters: {},
      rawBody: BODY,
      rawQueryString: '',
      url: 'https://example.com/webhooks/telnyx',
    };
    const settings = { WEBHOOK_SECRETS_PARAMETER: '/call-intake/dev/telnyx/webhook-secrets' };
    expect(() => telnyxIngress.authenticate(request, [key], { now: NOW, settings })).toThrow(
      /^\/call-intake\/dev\/telnyx\/webhook-secrets line 1 is not a usable Ed25519 public key \(small-order point\)/,
    );
  });
});
