/**
 * The stage params lib/deploy/providers.cjs reads: `providers` (what the stage deploys) and
 * `silentAlarms`; a bad value, or the retired silentAlarmProviders, stops `package`/`deploy` with one
 * line naming it. (The packaged template itself: test/integration/template.test.ts.)
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { stageParams } from '../support/stage-params';

type Generated = {
  functions: Record<string, unknown>;
  resources: { Resources: Record<string, { Type: string }> };
  consumerEnvironment: Record<string, unknown>;
};
type Generate = (options: { resolveVariable: (name: string) => Promise<string> }) => Promise<Generated>;
const generate = createRequire(import.meta.url)('../../lib/deploy/providers.cjs') as Generate;

/** serverless.yml's defaults, with `params` on top. */
const withParams = (params: Record<string, string> = {}) =>
  generate({ resolveVariable: stageParams(params) });
const silentAlarms = ({ resources }: Generated) =>
  Object.keys(resources.Resources).filter((name) => name.endsWith('SilentAlarm'));

describe('providers (stage param)', () => {
  it('deploys all nine by default, each with its silence alarm', async () => {
    // Act
    const generated = await withParams();

    // Assess
    expect(Object.keys(generated.functions)).toHaveLength(9);
    expect(silentAlarms(generated)).toHaveLength(9);
  });

  it('deploys only the named ones, whitespace tolerated', async () => {
    // Act
    const generated = await withParams({ providers: ' twilio , vapi' });

    // Assess
    expect(Object.keys(generated.functions).sort()).toEqual(['twilioWebhook', 'vapiWebhook']);
    expect(silentAlarms(generated).sort()).toEqual(['TwilioSilentAlarm', 'VapiSilentAlarm']);
  });

  it.each([
    ['an unknown name', 'twilio,twillio', /providers names unknown providers: twillio \(known: bandwidth, /],
    ['nothing', ' , ', /providers names no provider/],
  ])('refuses %s', async (_case, providers, message) => {
    await expect(withParams({ providers })).rejects.toThrow(message);
  });
});

describe('silentAlarms (stage param)', () => {
  it('turns every silence alarm off for a stage with false', async () => {
    // Act
    const generated = await withParams({ providers: 'twilio', silentAlarms: 'false' });

    // Assess
    expect(silentAlarms(generated)).toEqual([]);
    expect(JSON.stringify(generated.resources)).not.toContain('SilentAlarm');
  });

  it('refuses anything but true or false', async () => {
    await expect(withParams({ silentAlarms: 'no' })).rejects.toThrow(/silentAlarms must be true or false/);
  });

  it('stops a deploy that still passes the retired silentAlarmProviders, saying what replaced it', async () => {
    await expect(withParams({ silentAlarmProviders: 'bandwidth,callkaro' })).rejects.toThrow(
      /silentAlarmProviders is retired: .*providers=.*silentAlarms=false/,
    );
  });
});

describe('the dashboard', () => {
  it("shows the reconciler's alarms and every rejected-share alarm beside the silence alarms", async () => {
    // Act
    const { resources } = await withParams({ providers: 'twilio,vapi', reconcileProviders: 'twilio' });

    // Assess
    const body = JSON.stringify(resources.Resources.Dashboard);
    for (const alarm of [
      'TwilioSilentAlarm',
      'TwilioRejectedShareAlarm',
      'VapiRejectedShareAlarm',
      'TwilioCallsRecoveredAlarm',
      'TwilioReconcileFailingAlarm',
    ])
      expect(body).toContain(`\${${alarm}Arn}`);
    expect(body).not.toContain('RetellRejectedShareAlarm');
  });
});
