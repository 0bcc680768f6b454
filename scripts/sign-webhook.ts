/**
 * `npx tsx scripts/sign-webhook.ts <telnyx|vonage> <body file> [url]`: prints a curl command that
 * sends the file's exact bytes to the local stack signed as the provider signs them — Telnyx with
 * the dev key pair (RFC 8032 TEST 1, whose public key is TELNYX_PUBLIC_KEY's dev default; another
 * private seed in TELNYX_PRIVATE_SEED_HEX), Vonage with VONAGE_SIGNATURE_SECRET or its dev default.
 */
import { readFileSync } from 'node:fs';
import { DEV_PRIVATE_SEED_HEX, signTelnyx } from '../lib/providers/telnyx/sign';
import { signVonage } from '../lib/providers/vonage/sign';

const [provider, file, url] = process.argv.slice(2);
const signers: Record<string, (body: Buffer) => Record<string, string>> = {
  telnyx: (body) =>
    signTelnyx(
      body,
      String(Math.floor(Date.now() / 1000)),
      process.env.TELNYX_PRIVATE_SEED_HEX || DEV_PRIVATE_SEED_HEX,
    ),
  vonage: (body) =>
    signVonage(body, process.env.VONAGE_SIGNATURE_SECRET?.split('\n')[0] || 'dev-signature-secret'),
};
const signer = provider === undefined ? undefined : signers[provider];
if (signer === undefined || file === undefined) {
  console.error('usage: npx tsx scripts/sign-webhook.ts <telnyx|vonage> <body file> [url]');
  process.exit(2);
}
const body = readFileSync(file);
const target = url ?? `http://127.0.0.1:${process.env.PORT || 3000}/webhooks/${provider}`;
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const type = body.toString('utf8').trimStart().startsWith('{')
  ? 'application/json'
  : 'application/x-www-form-urlencoded';
const headers = Object.entries({ 'content-type': type, ...signer(body) }).map(
  ([name, value]) => `-H ${quote(`${name}: ${value}`)}`,
);
console.log(`curl -sS ${headers.join(' ')} --data-binary @${quote(file)} ${quote(target)}`);
