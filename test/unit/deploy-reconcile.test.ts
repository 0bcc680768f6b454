/**
 * The stage params lib/deploy/reconcile.cjs reads, without packaging (the packaged template:
 * test/integration/template-reconcile.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Generated = { functions: Record<string, { events: { schedule: { rate: string } }[] }> };
type Generate = (options: { resolveVariable: (name: string) => Promise<string> }) => Promise<Generated>;
const generate = createRequire(import.meta.url)('../../lib/deploy/reconcile.cjs') as Generate;

const withParams = (params: Record<string, string>) => {
  const values: Record<string, string> = {
    providers: 'all',
    reconcileProviders: 'twilio',
    rejectedShareAlarmProviders: 'deployed',
    kmsKeyArn: '',
    reconcileMinutes: '15',
    rejectedShareMinutes: '15',
    ...params,
  };
  return generate({
    resolveVariable: async (name) => values[name.replace(/^param:/, '').replace(/, ''$/, '')] ?? '',
  });
};

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
