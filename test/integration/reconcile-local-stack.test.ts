/**
 * `npm start` and reconciliation: no reconciler without `<PROVIDER>_API_CREDENTIALS`, the banner
 * says which providers can be backfilled; with Twilio's credential (and TWILIO_API_BASE_URL at the
 * fake), a run at start stores the calls the webhooks missed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { type LocalStack, startLocalStack } from '../../lib/local/stack';
import { normalizers } from '../../lib/providers/registry';
import { buildCallStore } from '../../lib/store';
import {
  startTwilioFake,
  TWILIO_FAKE_CREDENTIALS,
  type TwilioFake,
  twilioApiCall,
} from '../fakes/twilio-api';

const running: LocalStack[] = [];
const fakes: TwilioFake[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function start(env: Record<string, string>, logs: string[]) {
  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'call-intake-reconcile-')),
    env,
    log: (line) => logs.push(line),
  });
  running.push(stack);
  return stack;
}

describe('npm start and the list APIs', () => {
  it('runs no reconciler without credentials and says how to enable backfill', async () => {
    const logs: string[] = [];
    await start({}, logs);
    const banner = logs.join('\n');
    expect(banner).toContain('backfill/reconcile: no provider API credentials set, no reconciler runs');
    expect(banner).toContain(
      'to backfill twilio, retell, vapi, plivo, vonage: set TWILIO_API_CREDENTIALS, RETELL_API_CREDENTIALS, VAPI_API_CREDENTIALS, PLIVO_API_CREDENTIALS, VONAGE_API_CREDENTIALS',
    );
    expect(logs.some((line) => line.startsWith('reconcile:'))).toBe(false);
  });

  it('reconciles Twilio at start when TWILIO_API_CREDENTIALS is set', async () => {
    const sid = `CA${'e'.repeat(32)}`;
    const ended = new Date(Date.now() - 10 * 60_000);
    const fake = await startTwilioFake([
      twilioApiCall({ sid, startTime: new Date(ended.getTime() - 60_000), endTime: ended }),
    ]);
    fakes.push(fake);
    const logs: string[] = [];
    const stack = await start(
      { TWILIO_API_CREDENTIALS: JSON.stringify(TWILIO_FAKE_CREDENTIALS), TWILIO_API_BASE_URL: fake.url },
      logs,
    );
    expect(logs.join('\n')).toMatch(/backfill\/reconcile: twilio \(every 15 min over the last 60 min/);

    const reader = { store: buildCallStore(stack.dynamo, 'call-intake-local-calls'), normalizers };
    let record = null;
    for (let i = 0; i < 100 && record === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await stack.drain();
      record = await getCall(reader, 'twilio', sid);
    }
    expect(record).toMatchObject({ callId: sid, sources: ['api'], outcome: 'completed' });
    expect(logs).toContain('reconcile: twilio: listed 1, already recorded 0, enqueued 1, failed 0');
  });

  it('refuses to start on a credential that is not JSON, naming the variable', async () => {
    const error = await start({ VAPI_API_CREDENTIALS: 'not json' }, []).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^VAPI_API_CREDENTIALS is not JSON/);
  });
});
