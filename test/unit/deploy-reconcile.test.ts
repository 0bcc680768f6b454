/**
 * The stage params lib/deploy/reconcile.cjs reads, without packaging (the packaged template:
 * test/integration/template-reconcile.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { stageParams } from '../support/stage-params';

type Generated = { functions: Record<string, { events: { schedule: { rate: string } }[] }> };
type Generate = (options: { resolveVariable: (name: string) => Promise<string> }) => Promise<Generated>;
const generate = createRequire(import.meta.url)('../../lib/deploy/reconcile.cjs') as Generate;

const withParams = (params: Record<string, string>) =>
  generate({ resolveVariable: stageParams({ reconcileProviders: 'twilio', ...params }) });

describe('reconcileMinutes', () => {
  it.each([
    ['15', 'rate(15 minutes)'],
    // EventBridge refuses `rate(1 minutes)`: a value of 1 takes the singular unit.
    ['1', 'rate(1 minute)'],
  ])('%s → %s', async (minutes, rate) => {
    const { functions } = await withParams({ reconcileMinutes: minutes });
    expect(functions.twilioReconcile?.events[0]?.schedule.rate).toBe(rate);
  });
});
