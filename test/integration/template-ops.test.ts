/**
 * The operations half of the packaged template: alarms on the DLQ, queue age, ingress 5xx, consumer
 * errors and silent providers, all notifying one SNS topic; the dashboard; the log metric filters —
 * and that the alarms watch exactly the metric names and dimensions lib/observe.ts emits.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../lib/metrics';
import { normalizers } from '../../lib/providers/registry';
import { packageInCopy } from '../support/package';

// biome-ignore lint/suspicious/noExplicitAny: template properties are arbitrary JSON
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; Condition?: string };
type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, Json> };

const STAGE = 'opscheck';
/** A customer-managed key for the SecureString secrets (`--param=kmsKeyArn=…`). */
const KMS_KEY_ARN = 'arn:aws:kms:ap-south-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PROVIDERS = Object.keys(normalizers).sort();
let dir: string;
let template: Template;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sls-ops-'));
  // Every provider deployed (the default), so each one's silence alarm is checked below; a KMS key for the secrets.
  const params = [`--param=kmsKeyArn=${KMS_KEY_ARN}`];
  const out = await packageInCopy(dir, STAGE, join(dir, 'package'), params);
  template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 150_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ofType = (type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];
const resource = (name: string): Resource => {
  const found = template.Resources[name];
  if (!found) throw new Error(`template has no ${name}`);
  return found;
};
const alarm = (name: string) => resource(name).Properties;
const dimensionsOf = (props: Json) =>
  Object.fromEntries(props.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]));

/** The EMF dimensions the deployed functions publish: service and stage from their environment. */
const emfDimensions = () => {
  const env = resource('ConsumerLambdaFunction').Properties.Environment.Variables;
  return { service: env.POWERTOOLS_SERVICE_NAME, stage: env.STAGE };
};

describe('alarms', () => {
  it('sends every alarm and its recovery to the stage-named AlarmTopic', () => {
    // Prepare
    const alarms = ofType('AWS::CloudWatch::Alarm');

    // Assess
    expect(resource('AlarmTopic').Properties.TopicName).toBe(`call-intake-${STAGE}-alarms`);
    // Per provider: its silence alarm and its rejected-share alarm.
    expect(alarms.length).toBe(6 + 2 * PROVIDERS.length);
    for (const [, { Properties: a }] of alarms) {
      expect(a.AlarmName).toMatch(new RegExp(`^call-intake-${STAGE}-`));
      expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(a.OKActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(a.AlarmDescription).toEqual(expect.any(String));
    }
    expect(new Set(alarms.map(([, r]) => r.Properties.AlarmName)).size).toBe(alarms.length);
  });

  it('subscribes an e-mail address only when alarmEmail is set', () => {
    // Prepare
    const subscription = resource('AlarmEmailSubscription');

    // Assess
    expect(subscription.Condition).toBe('HasAlarmEmail');
    expect(subscription.Properties).toMatchObject({ Protocol: 'email', TopicArn: { Ref: 'AlarmTopic' } });
    expect(template.Conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('alarms as soon as the dead-letter queue holds a message', () => {
    const a = alarm('DeadLetterQueueAlarm');
    expect(a).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    expect(dimensionsOf(a)).toEqual({
      QueueName: { 'Fn::GetAtt': ['DeliveriesDeadLetterQueue', 'QueueName'] },
    });
  });

  it('alarms again when a dead letter has waited 3 days, well before its 14 days run out', () => {
    const a = alarm('DeadLetterAgeAlarm');
    expect(a).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 3 * 86_400,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(dimensionsOf(a)).toEqual({
      QueueName: { 'Fn::GetAtt': ['DeliveriesDeadLetterQueue', 'QueueName'] },
    });
  });

  it('alarms when the oldest queued delivery is older than 15 minutes', () => {
    const a = alarm('QueueAgeAlarm');
    expect(a).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(dimensionsOf(a)).toEqual({ QueueName: { 'Fn::GetAtt': ['DeliveriesQueue', 'QueueName'] } });
  });

  it('alarms on 5xx answers of the HTTP API', () => {
    const a = alarm('IngressErrorsAlarm');
    expect(a).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Statistic: 'Sum' });
    expect(dimensionsOf(a)).toEqual({ ApiId: { Ref: 'HttpApi' } });
    expect(resource('HttpApi').Type).toBe('AWS::ApiGatewayV2::Api');
  });

  it('alarms on consumer function errors and on deliveries the consumer failed', () => {
    const errors = alarm('ConsumerErrorsAlarm');
    const failures = alarm('ConsumerFailuresAlarm');
    expect(errors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 });
    expect(dimensionsOf(errors)).toEqual({ FunctionName: { Ref: 'ConsumerLambdaFunction' } });
    expect(failures).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: METRIC.consumerFailures });
    expect(dimensionsOf(failures)).toEqual(emfDimensions());
  });

  it.each(PROVIDERS)(
    'alarms when %s has sent nothing for 60 minutes, counting no data as silence',
    (provider) => {
      // Prepare
      const [[, found]] = ofType('AWS::CloudWatch::Alarm').filter(
        ([, r]) => r.Properties.AlarmName === `call-intake-${STAGE}-${provider}-silent`,
      ) as [[string, Resource]];
      const a = found.Properties;

      // Assess
      expect(a).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.deliveriesReceived,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(dimensionsOf(a)).toEqual({ ...emfDimensions(), provider });
      expect(a.Period * a.EvaluationPeriods).toBe(60 * 60);
      expect(a.DatapointsToAlarm).toBe(a.EvaluationPeriods);
    },
  );

  it('gives the functions the metrics namespace and stage, and no PutMetricData (EMF needs none)', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        STAGE,
      });
    }
    expect(JSON.stringify(ofType('AWS::IAM::Role'))).not.toContain('cloudwatch:');
  });
});

describe('a customer-managed KMS key for the secrets (kmsKeyArn)', () => {
  const statementsOf = (role: string) =>
    resource(role).Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as {
      Action: string[];
      Resource: unknown;
      Condition?: unknown;
    }[];

  it.each(PROVIDERS)('lets the %s webhook decrypt with that key only, through SSM only', (provider) => {
    // Prepare
    const role = `${provider.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase())}WebhookRole`;

    // Act
    const kms = statementsOf(role).filter((s) => s.Action.some((action) => action.startsWith('kms:')));

    // Assess
    expect(kms).toHaveLength(1);
    expect(kms[0]).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: KMS_KEY_ARN });
    expect(JSON.stringify(kms[0]?.Condition)).toContain('kms:ViaService');
  });

  it('gives the consumer no KMS access', () => {
    expect(JSON.stringify(statementsOf('ConsumerRole'))).not.toContain('kms:');
  });
});

describe('dashboard and metric filters', () => {
  /** The dashboard JSON with its Fn::Sub variables checked and replaced by placeholders. */
  const dashboard = () => {
    const [body, variables] = resource('Dashboard').Properties.DashboardBody['Fn::Sub'] as [string, Json];
    const used = [...body.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] as string);
    for (const name of used) if (!name.startsWith('AWS::')) expect(variables).toHaveProperty(name);
    return { json: JSON.parse(body.replace(/\$\{([^}]+)\}/g, '<$1>')), variables };
  };

  it('is named after the stage and graphs every business metric per provider', () => {
    // Act
    const { json, variables } = dashboard();

    // Assess
    expect(resource('Dashboard').Properties.DashboardName).toBe(`call-intake-${STAGE}`);
    expect(variables).toMatchObject({ Stage: STAGE, Service: 'call-intake', ApiId: { Ref: 'HttpApi' } });
    const text = JSON.stringify(json);
    for (const name of Object.values(METRIC)) expect(text).toContain(`"${name}"`);
    for (const provider of PROVIDERS) {
      const titles = json.widgets.map((w: Json) => w.properties.title as string);
      expect(titles.filter((t: string) => t.startsWith(`${provider}:`)).length).toBeGreaterThanOrEqual(4);
      expect(text).toContain(`"provider","${provider}"`);
    }
    for (const metric of [
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      '5xx',
      'Errors',
    ])
      expect(text).toContain(`"${metric}"`);
  });

  it('shows the state of every alarm', () => {
    // Prepare
    const { json, variables } = dashboard();
    const alarmNames = ofType('AWS::CloudWatch::Alarm')
      .map(([name]) => name)
      .sort();

    // Act
    const widget = json.widgets.find((w: Json) => w.type === 'alarm');
    const shown = widget.properties.alarms.map((ref: string) => variables[ref.slice(1, -1)]['Fn::GetAtt'][0]);

    // Assess
    expect(shown.sort()).toEqual(alarmNames);
  });

  it('counts ERROR log lines of every function', () => {
    // Prepare
    const filters = ofType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties);
    // The API's access log (HttpApiLogGroup) has no level: its 5xx are the ingress-5xx alarm's.
    const functionLogGroups = ofType('AWS::Logs::LogGroup')
      .map(([name]) => name)
      .filter((name) => name !== 'HttpApiLogGroup');

    // Assess
    expect(filters.map((f) => f.LogGroupName.Ref).sort()).toEqual(functionLogGroups.sort());
    expect(functionLogGroups).toHaveLength(PROVIDERS.length + 1);
    for (const f of filters) {
      expect(f.FilterPattern).toBe('{ $.level = "ERROR" }');
      expect(f.MetricTransformations[0]).toMatchObject({
        MetricNamespace: METRICS_NAMESPACE,
        MetricValue: '1',
      });
    }
  });
});
