/**
 * A Bandwidth v2 `initiate` or `answer` callback reaches only a URL that must answer with BXML (the
 * application's call-initiated URL, createCall's answerUrl): the intake registered there fails the
 * call. The webhook still acknowledges and keeps it, and logs one WARN per container and interval
 * saying what to register instead. The log lines are Powertools' JSON, captured from stdout.
 */
import { describe, expect, it } from 'vitest';
import { type IngressOutcome, receiveWebhook } from '../../lib/ingress';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { CALL_ANSWER_URL_WARNING, observeIngress, warningGate } from '../../lib/observe';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';
import { staticSecrets } from '../../lib/secrets';
import { rawFixture } from '../fixtures';
import { captureLogs } from '../support/log-capture';
import { basic } from '../support/requests';

// biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
type Json = any;

const logs = captureLogs();

const warnings = (): Json[] => logs.lines().filter((line) => line.level === 'WARN');

const v2Request = (fixture: string) =>
  toHttpApiEvent({
    method: 'POST',
    path: '/webhooks/bandwidth-v2',
    route: '/webhooks/bandwidth-v2',
    headers: { 'content-type': 'application/json', authorization: basic('bw2-user:bw2-pass') },
    body: Buffer.from(rawFixture('bandwidth-v2', fixture)),
  });

/** The webhook with a clock the test moves: `clock.ms` is "now" for the warning gate. */
function webhook() {
  const clock = { ms: 1_000_000 };
  const gate = warningGate(10 * 60_000, () => clock.ms);
  const deps = {
    secrets: staticSecrets(['bw2-user:bw2-pass']),
    enqueue: async () => 'sqs-message-1',
    observe: (outcome: IngressOutcome) => observeIngress(outcome, logs.sinks(), gate),
  };
  return { clock, post: (fixture: string) => receiveWebhook(bandwidthV2Ingress, v2Request(fixture), deps) };
}

describe('a callback that only a call-answer URL receives', () => {
  it.each(['initiate', 'answer'])(
    'acknowledges and keeps a Bandwidth v2 %s, and warns that the intake is registered as the call-answer URL',
    async (event) => {
      // Prepare
      const { post } = webhook();

      // Act
      const response = await post(event);

      // Assess
      expect(response.statusCode).toBe(200);
      const [warning, ...others] = warnings();
      expect(others).toEqual([]);
      expect(warning).toMatchObject({
        message: CALL_ANSWER_URL_WARNING,
        provider: 'bandwidth-v2',
        eventType: event,
      });
      expect(JSON.stringify(warning)).not.toContain('bw2-pass');
    },
  );

  it('warns once per container and interval, not on every call, and again after the interval', async () => {
    // Prepare
    const { clock, post } = webhook();

    // Act
    for (let call = 0; call < 5; call += 1) await post('initiate');
    clock.ms += 10 * 60_000;
    await post('answer');

    // Assess
    expect(warnings().map((w) => w.eventType)).toEqual(['initiate', 'answer']);
  });

  it('does not warn for the status callback Bandwidth sends where the intake belongs (disconnect)', async () => {
    // Act
    const response = await webhook().post('disconnect');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(warnings()).toEqual([]);
  });
});
