/**
 * Issue 18 item 4: what one unsigned form with ~131k distinct keys (1,045,486 bytes, just under the
 * body limit) costs the Twilio and Plivo webhooks, in process: the real pipeline (`receiveWebhook`,
 * API Gateway event with the base64 body) with a garbage signature, so the request is refused — the
 * question is how fast. A signed fixture request is timed in the same run as the ratio's baseline.
 *
 *   npx tsx bench/form-flood.ts [repeats]     (default 15; prints median and max per route)
 */
import { receiveWebhook } from '../lib/ingress';
import { toHttpApiEvent } from '../lib/local/api-gateway';
import { plivoIngress } from '../lib/providers/plivo/ingress';
import { twilioIngress } from '../lib/providers/twilio/ingress';
import type { ProviderIngress } from '../lib/providers/types';
import { staticSecrets } from '../lib/secrets';

const BODY_BYTES = 1_045_486;
const PUBLIC_BASE = 'https://calls.example.com';
const repeats = Number(process.argv[2] ?? 15);

/** `kXXXX=1&` pairs (8 bytes each, distinct keys) up to exactly BODY_BYTES. */
function floodBody(): { body: Buffer; pairs: number } {
  const parts: string[] = [];
  let size = 0;
  let pairs = 0;
  while (size + 8 <= BODY_BYTES) {
    parts.push(`k${pairs.toString(36).padStart(4, '0')}=1&`);
    size += 8;
    pairs += 1;
  }
  parts.push('x'.repeat(BODY_BYTES - size));
  return { body: Buffer.from(parts.join('')), pairs: pairs + 1 };
}

const event = (provider: string, body: Buffer, headers: Record<string, string>) =>
  toHttpApiEvent({
    method: 'POST',
    path: `/webhooks/${provider}`,
    route: `/webhooks/${provider}`,
    headers: { host: 'calls.example.com', 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

const GARBAGE: Record<string, Record<string, string>> = {
  twilio: { 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
  plivo: {
    'x-plivo-signature-v3': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    'x-plivo-signature-v3-nonce': '1',
  },
};

async function time(ingress: ProviderIngress, body: Buffer): Promise<{ ms: number[]; status: number }> {
  const ms: number[] = [];
  let status = 0;
  for (let i = 0; i < repeats; i += 1) {
    const request = event(ingress.name, body, GARBAGE[ingress.name] ?? {});
    const started = performance.now();
    const response = await receiveWebhook(ingress, request, {
      secrets: staticSecrets(['bench-token-current', 'bench-token-next']),
      enqueue: async () => 'never',
      publicBaseUrl: PUBLIC_BASE,
    });
    ms.push(performance.now() - started);
    status = response.statusCode ?? 0;
  }
  return { ms: ms.sort((a, b) => a - b), status };
}

const { body, pairs } = floodBody();
console.log(`unsigned form: ${body.length} bytes, ${pairs} pairs, ${repeats} repeats per route`);
for (const ingress of [twilioIngress, plivoIngress]) {
  const small = Buffer.from('CallStatus=completed&CallSid=CA0123456789abcdef0123456789abcdef');
  await time(ingress, body); // warm-up
  const flood = await time(ingress, body);
  const baseline = await time(ingress, small);
  const median = (ms: number[]) => ms[Math.floor(ms.length / 2)] ?? NaN;
  console.log(
    `/webhooks/${ingress.name}: ${flood.status}, median ${median(flood.ms).toFixed(1)} ms, max ${(flood.ms.at(-1) ?? NaN).toFixed(1)} ms` +
      ` (a small unsigned form: median ${median(baseline.ms).toFixed(2)} ms, ratio ${(median(flood.ms) / median(baseline.ms)).toFixed(0)}×)`,
  );
}
