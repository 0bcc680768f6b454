/**
 * Backfill of Retell and Vapi on the local stack (fauxqs + dynalite, the real consumer), against
 * their fakes: Retell's list lacks the transcript, so each missing call is fetched whole; a Vapi
 * call under PCI mode has no transcript to recover and its record says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import type { QueuePoller } from '../../lib/local/poller';
import { normalizers } from '../../lib/providers/registry';
import { RETELL_FAKE_API_KEY, retellApiCall, startRetellFake } from '../fakes/retell-api';
import { startVapiFake, VAPI_FAKE_API_KEY, vapiApiCall } from '../fakes/vapi-api';
import { runBackfill } from '../support/backfill';
import type { FakeApi } from '../support/fake-api';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let poller: QueuePoller;
const fakes: FakeApi[] = [];
beforeEach(async () => {
  stack = await startTestStack();
  poller = await stack.startPoller();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await stack.stop();
});

const ended = new Date(Date.now() - 30 * 60_000);

const backfill = async (provider: string, env: Record<string, string>) => {
  const { code, out } = await runBackfill(
    stack,
    poller,
    ['--provider', provider, '--since', new Date(Date.now() - 3_600_000).toISOString()],
    env,
  );
  return { code, out };
};

const reader = () => ({ store: stack.store, normalizers });

describe('backfill of the AI-agent providers', () => {
  it('retell: a call only the API knows gets its full record, transcript included (get-call)', async () => {
    const call = retellApiCall({
      call_id: 'call_missed1',
      end_timestamp: ended.getTime(),
      disconnection_reason: 'dial_no_answer',
    });
    const fake = await startRetellFake([call]);
    fakes.push(fake);

    const result = await backfill('retell', {
      RETELL_API_BASE_URL: fake.url,
      RETELL_API_CREDENTIALS: JSON.stringify({ apiKey: RETELL_FAKE_API_KEY }),
    });

    expect(result).toEqual({ code: 0, out: 'retell: listed 1, already recorded 0, enqueued 1, failed 0\n' });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v3/list-calls',
      'GET /v2/get-call/call_missed1',
    ]);
    expect(await getCall(reader(), 'retell', 'call_missed1')).toMatchObject({
      sources: ['api'],
      outcome: 'no_answer',
      hangupCause: 'dial_no_answer',
      endedAt: ended.toISOString(),
      durationSeconds: 60,
      details: { transcript: expect.stringContaining('Doing pretty well') },
    });
    const [raw] = await getRawDeliveries(reader(), 'retell', 'call_missed1');
    expect(JSON.parse(raw?.body ?? '')).toEqual(call);
  });

  it('vapi: records both calls; under PCI mode the record says no transcript can be recovered', async () => {
    const plain = vapiApiCall({ id: 'vapi-plain', endedAt: ended.toISOString() });
    const pci = vapiApiCall({
      id: 'vapi-pci',
      endedAt: ended.toISOString(),
      artifact: {},
      assistant: { compliancePlan: { pciEnabled: true } },
    });
    const fake = await startVapiFake([plain, pci]);
    fakes.push(fake);

    const result = await backfill('vapi', {
      VAPI_API_BASE_URL: fake.url,
      VAPI_API_CREDENTIALS: JSON.stringify({ apiKey: VAPI_FAKE_API_KEY }),
    });

    expect(result.out).toBe('vapi: listed 2, already recorded 0, enqueued 2, failed 0\n');
    expect(await getCall(reader(), 'vapi', 'vapi-plain')).toMatchObject({
      sources: ['api'],
      direction: 'outbound',
      from: '+14155550100',
      to: '+14155550123',
      outcome: 'completed',
      durationSeconds: 60,
      details: { transcript: 'AI: Hello.\nUser: Hi.', transcriptNote: null },
    });
    expect(await getCall(reader(), 'vapi', 'vapi-pci')).toMatchObject({
      details: {
        transcript: null,
        transcriptNote: 'Vapi stores no transcript under PCI mode (compliancePlan.pciEnabled)',
      },
    });
  });
});
