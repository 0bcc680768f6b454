/**
 * `serverless package --param="reconcileProviders=twilio"` offline: the scheduled reconciler, its
 * least-privilege role and its two alarms (spec §7); without the param, none of them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PROVIDER_NAMES } from '../../lib/providers/api-registry';
import { PROVIDER_NAMES } from '../../lib/providers/list';
import { packageInCopy } from '../support/package';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
type Json = any;
type Template = { Resources: Record<string, { Type: string; Properties: Json }> };

let dir: string;
let template: Template;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sls-reconcile-'));
  const out = await packageInCopy(dir, 'dev', join(dir, 'out'), ['--param=reconcileProviders=twilio']);
  template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const resource = (name: string) => {
  const found = template.Resources[name];
  if (!found) throw new Error(`template has no ${name}`);
  return found;
};

describe('reconcileProviders=twilio', () => {
  it('schedules the twilio reconciler every 15 minutes with a 60-minute lookback, no Lambda retries', () => {
    const fn = resource('TwilioReconcileLambdaFunction').Properties;
    expect(fn.Handler).toBe('functions/reconcile.handler');
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['TwilioReconcileRole', 'Arn'] });
    expect(fn.Environment.Variables).toMatchObject({
      RECONCILE_PROVIDER: 'twilio',
      TABLE_NAME: { Ref: 'CallsTable' },
      QUEUE_URL: { Ref: 'DeliveriesQueue' },
      SECRETS_PATH: '/call-intake/dev',
      RECONCILE_LOOKBACK_MINUTES: '60',
    });
    expect(resource('TwilioReconcileEventsRuleSchedule1').Properties.ScheduleExpression).toBe(
      'rate(15 minutes)',
    );
    expect(resource('TwilioReconcileLambdaEvConf').Properties.MaximumRetryAttempts).toBe(0);
    // One reconciler only: the other providers with a list API were not named.
    const reconcilers = Object.keys(template.Resources).filter((k) => /ReconcileLambdaFunction$/.test(k));
    expect(reconcilers).toEqual(['TwilioReconcileLambdaFunction']);
  });

  it('gives its role exactly the twilio-api parameter, SendMessage, and key-scoped table access', () => {
    const statements: Json[] = resource('TwilioReconcileRole').Properties.Policies.flatMap(
      (p: Json) => p.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ].sort(),
    );
    const ssm = statements.find((s) => s.Action.includes('ssm:GetParameter'));
    expect(ssm.Resource['Fn::Sub']).toMatch(/:parameter\/call-intake\/dev\/twilio-api$/);
    const batchGet = statements.find((s) => s.Action.includes('dynamodb:BatchGetItem'));
    expect(batchGet.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']).toEqual(['CALL#twilio#*']);
    const mark = statements.find((s) => s.Action.includes('dynamodb:PutItem'));
    expect(mark.Condition['ForAllValues:StringEquals']['dynamodb:LeadingKeys']).toEqual(['RECONCILE#twilio']);
    expect(statements.find((s) => s.Action.includes('sqs:SendMessage')).Resource).toEqual({
      'Fn::GetAtt': ['DeliveriesQueue', 'Arn'],
    });
  });

  it('alarms on any recovered call and on a share of unauthorized webhook requests', () => {
    const recovered = resource('TwilioCallsRecoveredAlarm').Properties;
    expect(recovered).toMatchObject({
      Namespace: 'CallIntake',
      MetricName: 'CallsRecovered',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(recovered.Dimensions).toEqual([
      { Name: 'service', Value: 'call-intake' },
      { Name: 'stage', Value: 'dev' },
      { Name: 'provider', Value: 'twilio' },
    ]);
    const share = resource('TwilioRejectedShareAlarm').Properties;
    const byId = Object.fromEntries(share.Metrics.map((m: Json) => [m.Id, m]));
    expect(byId.rejected.MetricStat.Metric.Dimensions).toContainEqual({
      Name: 'reason',
      Value: 'unauthorized',
    });
    expect(byId.received.MetricStat.Metric.MetricName).toBe('DeliveriesReceived');
    // A Basic challenge (no credentials on the first try) counts only when no delivery follows it.
    expect(byId.challenged.MetricStat.Metric.Dimensions).toContainEqual({
      Name: 'reason',
      Value: 'challenged',
    });
    expect(byId.enqueued.MetricStat.Metric.MetricName).toBe('DeliveriesEnqueued');
    expect(byId.share.Expression).toBe(
      'IF(received >= 5, 100 * (FILL(rejected, 0) + MAX([FILL(challenged, 0) - FILL(enqueued, 0), 0 * FILL(challenged, 0)])) / received, 0)',
    );
    expect(share).toMatchObject({ Threshold: 50, ComparisonOperator: 'GreaterThanThreshold' });
    // And one when the reconciler itself keeps failing (a revoked credential would stop it silently).
    expect(resource('TwilioReconcileFailingAlarm').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'TwilioReconcileLambdaFunction' } }],
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
  });

  it('alarms on the unauthorized share of every deployed provider by default, reconciled or not', () => {
    const shares = Object.keys(template.Resources).filter((k) => /RejectedShareAlarm$/.test(k));
    expect(shares.sort()).toEqual(
      PROVIDER_NAMES.map(
        (name) => `${name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}RejectedShareAlarm`,
      ).sort(),
    );
  });

  it('knows the same providers with a list API as the code', () => {
    const { API_PROVIDERS } = createRequire(import.meta.url)('../../lib/deploy/reconcile.cjs') as {
      API_PROVIDERS: string[];
    };
    expect([...API_PROVIDERS].sort()).toEqual([...API_PROVIDER_NAMES].sort());
  });

  it('reconcileProviders=plivo,vonage: a function and role each; Plivo reads its times in plivoTimezone', async () => {
    const generate = createRequire(import.meta.url)('../../lib/deploy/reconcile.cjs') as (deps: {
      resolveVariable(name: string): Promise<string>;
    }) => Promise<{ functions: Json; resources: { Resources: Json } }>;
    const params: Record<string, string> = {
      'param:reconcileProviders': 'plivo,vonage',
      'param:reconcileMinutes': '15',
      'param:rejectedShareMinutes': '60',
    };
    const { functions, resources } = await generate({ resolveVariable: async (name) => params[name] ?? '' });
    expect(Object.keys(functions)).toEqual(['plivoReconcile', 'vonageReconcile']);
    expect(functions.plivoReconcile.environment).toMatchObject({
      RECONCILE_PROVIDER: 'plivo',
      PLIVO_API_BASE_URL: `\${param:plivoApiBaseUrl, ''}`,
      PLIVO_TIMEZONE: `\${param:plivoTimezone, 'UTC'}`,
    });
    expect(functions.vonageReconcile.environment.VONAGE_API_BASE_URL).toBe(`\${param:vonageApiBaseUrl, ''}`);
    for (const name of ['PlivoReconcileRole', 'VonageReconcileRole', 'VonageCallsRecoveredAlarm'])
      expect(resources.Resources[name]).toBeDefined();
  });
});
