/**
 * Signing Telnyx requests as Telnyx does, for tests and for trying the local stack
 * (scripts/sign-webhook.ts). Not imported by the webhook: Telnyx holds the only real private key.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './ingress';

/** RFC 8032 TEST 1 private seed, whose public key is the local stack's dev default (DEV_PUBLIC_KEY). */
export const DEV_PRIVATE_SEED_HEX = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

// DER PKCS#8 header for an Ed25519 private key, followed by the 32-byte seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The two headers Telnyx sends: base64 Ed25519 signature over `<timestamp>|<body>`, and the timestamp. */
export function signTelnyx(
  body: string | Buffer,
  timestamp: string,
  seedHex: string = DEV_PRIVATE_SEED_HEX,
): Record<string, string> {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), Buffer.from(body)]);
  return {
    [SIGNATURE_HEADER]: sign(null, signed, key).toString('base64'),
    [TIMESTAMP_HEADER]: timestamp,
  };
}
