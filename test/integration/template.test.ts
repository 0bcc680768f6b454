/**
 * `serverless package` offline, then the CloudFormation template it would deploy: routes, queue and
 * DLQ, batch failure reporting, table protection, runtime and least-privilege IAM per function.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROVIDERS,
  secretsParameterSuffix,
  webhookFunctionName,
  webhookModule,
} from '../../lib/providers/list';
import queueSettings from '../../lib/queue-settings.json';
import tableSchema from '../../lib/table-schema.json';
import { packageInCopy } from '../support/package';

// CloudFormation JSON is untyped; the assertions below are what check its shape.
// biome-ignore lint/suspicious/noExplicitAny: template properties are arbitrary JSON
type Json = any;
type Resource = {
  Type: string;
  Properties: Record<string, Json>;
  DependsOn?: unknown;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Template = { Resources: Record<string, Resource> };

let dir: string;
const templates: Record<string, Template> = {};

async function packageStage(stage: string, flags: readonly string[] = []): Promise<Template> {
  const out = await packageInCopy(dir, stage, join(dir, stage), flags);
  return JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sls-package-'));
  // Sequential: two esbuild runs at once on two cores gain nothing.
  templates.dev = await packageStage('dev');
  templates.prod = await packageStage('prod');
  // A stage that deploys one provider: docs/deploy.md, "Deploy only your providers".
  templates['twilio-only'] = await packageStage('twilio-only', ['--param=providers=twilio']);
}, 360_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ofType = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];
const resource = (t: Template, name: string) => {
  const found = t.Resources[name];
  if (!found) throw new Error(`template has no ${name}`);
  return found;
};
/** CloudFormation's name for a webhook function's resources: `<Pascal name>Webhook…`. */
const logicalId = (provider: string) => webhookFunctionName(provider).replace(/^./, (c) => c.toUpperCase());
const statementsOf = (role: Resource) =>
  role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as {
    Effect: string;
    Action: string[];
    Resource: unknown;
  }[];

describe('packaged CloudFormation template', () => {
  it('routes POST /webhooks/bandwidth and POST /webhooks/callkaro/{token} to their functions', () => {
    // Prepare
    const routes = ofType(templates.dev as Template, 'AWS::ApiGatewayV2::Route').map(
      ([, r]) => r.Properties.RouteKey,
    );

    // Assess
    expect(routes).toContain('POST /webhooks/bandwidth');
    expect(routes).toContain('POST /webhooks/callkaro/{token}');
    expect(routes.sort()).toEqual(PROVIDERS.map((p) => `POST ${p.path}`).sort());
  });

  it('runs every function on nodejs22.x with its own role: one webhook per listed provider', () => {
    const functions = ofType(templates.dev as Template, 'AWS::Lambda::Function');
    expect(functions.map(([name]) => name).sort()).toEqual(
      [...PROVIDERS.map((p) => `${logicalId(p.name)}LambdaFunction`), 'ConsumerLambdaFunction'].sort(),
    );
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
    const roles = functions.map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(PROVIDERS.length + 1);
  });

  it.each(PROVIDERS.map((p) => [p.name] as const))(
    '%s: its function has its route, its own role and its own secrets parameter, as the list names them',
    (name) => {
      // Prepare
      const template = templates.dev as Template;
      const fn = resource(template, `${logicalId(name)}LambdaFunction`).Properties;
      const route = ofType(template, 'AWS::ApiGatewayV2::Route').find(
        ([, r]) => r.Properties.RouteKey === `POST ${PROVIDERS.find((p) => p.name === name)?.path}`,
      );
      const parameter = `/call-intake/dev${secretsParameterSuffix(name)}`;

      // Assess
      expect(fn.FunctionName).toBe(`call-intake-dev-${webhookFunctionName(name)}`);
      expect(fn.Handler).toBe(`${webhookModule(name)}.handler`);
      expect(fn.Role).toEqual({ 'Fn::GetAtt': [`${logicalId(name)}Role`, 'Arn'] });
      expect(fn.Environment.Variables.WEBHOOK_SECRETS_PARAMETER).toBe(parameter);
      expect(fn.Timeout).toBe(5);
      expect(JSON.stringify(route?.[1].Properties.Target)).toContain(`HttpApiIntegration${logicalId(name)}`);
      const statements = statementsOf(resource(template, `${logicalId(name)}Role`));
      expect(statements.flatMap((s) => s.Action).sort()).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ]);
      expect(
        JSON.stringify(statements.find((s) => s.Action.includes('ssm:GetParameter'))?.Resource),
      ).toContain(`:parameter${parameter}"`);
    },
  );

  it('gives the deliveries queue 1 MiB messages, encryption and a redrive to the DLQ', () => {
    const queue = resource(templates.dev as Template, 'DeliveriesQueue').Properties;
    const consumer = resource(templates.dev as Template, 'ConsumerLambdaFunction').Properties;
    expect(queue.MaximumMessageSize).toBe(1_048_576);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeliveriesDeadLetterQueue', 'Arn'] },
      maxReceiveCount: queueSettings.maxReceiveCount,
    });
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Timeout);
    expect(
      resource(templates.dev as Template, 'DeliveriesDeadLetterQueue').Properties.MaximumMessageSize,
    ).toBe(1_048_576);
  });

  it('feeds the consumer from the queue with ReportBatchItemFailures and a concurrency cap', () => {
    const [[, mapping]] = ofType(templates.dev as Template, 'AWS::Lambda::EventSourceMapping') as [
      [string, Resource],
    ];
    expect(mapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': ['DeliveriesQueue', 'Arn'] });
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.Properties.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
  });

  it('creates the table with the shared key schema and indexes, PITR and encryption', () => {
    const table = resource(templates.dev as Template, 'CallsTable').Properties;
    expect(table.KeySchema).toEqual(tableSchema.KeySchema);
    expect(table.GlobalSecondaryIndexes).toEqual(tableSchema.GlobalSecondaryIndexes);
    expect(table.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toEqual([
      'byFrom',
      'byTo',
      'byDay',
      'byAgent',
      'byBatch',
    ]);
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('protects the prod table from deletion but not the dev one', () => {
    expect(resource(templates.prod as Template, 'CallsTable').Properties.DeletionProtectionEnabled).toBe(
      true,
    );
    expect(resource(templates.dev as Template, 'CallsTable').Properties.DeletionProtectionEnabled).toBe(
      false,
    );
  });

  it('keeps the table, on every stage, when the stack is removed or the table would be replaced', () => {
    for (const template of Object.values(templates)) {
      // Prepare
      const table = resource(template, 'CallsTable');

      // Assess
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('keeps dead letters as long as SQS allows, and never shorter than the queue keeps deliveries', () => {
    // Prepare
    const queue = resource(templates.dev as Template, 'DeliveriesQueue').Properties;
    const deadLetters = resource(templates.dev as Template, 'DeliveriesDeadLetterQueue').Properties;

    // Assess: a dead letter expires 14 days after its original enqueue (docs/operations.md).
    expect(deadLetters.MessageRetentionPeriod).toBe(1_209_600);
    expect(deadLetters.MessageRetentionPeriod).toBeGreaterThanOrEqual(queue.MessageRetentionPeriod);
  });

  it('names every stateful resource after the stage', () => {
    for (const [stage, template] of Object.entries(templates)) {
      expect(resource(template, 'CallsTable').Properties.TableName).toBe(`call-intake-${stage}-calls`);
      expect(resource(template, 'DeliveriesQueue').Properties.QueueName).toBe(
        `call-intake-${stage}-deliveries`,
      );
    }
  });

  it.each([
    [
      'BandwidthWebhookRole',
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'ssm:GetParameter'],
    ],
    [
      'CallkaroWebhookRole',
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'ssm:GetParameter'],
    ],
    [
      'ConsumerRole',
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ],
    ],
  ])('grants %s only the actions it needs, on named resources', (roleName, expected) => {
    // Prepare
    const statements = statementsOf(resource(templates.dev as Template, roleName));

    // Assess
    expect(statements.flatMap((s) => s.Action).sort()).toEqual(expected);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Action.every((action) => !action.includes('*'))).toBe(true);
      expect(statement.Resource).not.toBe('*');
      expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"|:\*"$/);
    }
  });

  it('scopes each webhook to its own secret parameter and the consumer to the table without indexes', () => {
    const ssmResource = (role: string) =>
      JSON.stringify(
        statementsOf(resource(templates.dev as Template, role)).find((s) =>
          s.Action.includes('ssm:GetParameter'),
        )?.Resource,
      );
    expect(ssmResource('BandwidthWebhookRole')).toContain('/call-intake/dev/bandwidth/webhook-secrets');
    expect(ssmResource('CallkaroWebhookRole')).toContain('/call-intake/dev/callkaro/webhook-secrets');
    const dynamo = statementsOf(resource(templates.dev as Template, 'ConsumerRole')).find((s) =>
      s.Action.includes('dynamodb:PutItem'),
    );
    expect(dynamo?.Resource).toEqual({ 'Fn::GetAtt': ['CallsTable', 'Arn'] });
  });

  it('watches every deployed provider for silence: by default all of them', () => {
    // Act
    const silent = ofType(templates.dev as Template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties.AlarmName as string)
      .filter((name) => name.endsWith('-silent'));

    // Assess
    expect(silent.sort()).toEqual(PROVIDERS.map((p) => `call-intake-dev-${p.name}-silent`).sort());
  });

  it('keeps both queues, on every stage, when the stack is removed or a queue would be replaced', () => {
    for (const template of Object.values(templates)) {
      for (const name of ['DeliveriesQueue', 'DeliveriesDeadLetterQueue']) {
        // Prepare
        const queue = resource(template, name);

        // Assess
        expect(queue.DeletionPolicy).toBe('Retain');
        expect(queue.UpdateReplacePolicy).toBe('Retain');
      }
    }
  });

  it('writes a JSON access log line per API request (request id, route, status, latency), kept as long as the functions’ logs', () => {
    for (const [stage, template] of Object.entries(templates)) {
      // Prepare
      const [[, apiStage]] = ofType(template, 'AWS::ApiGatewayV2::Stage') as [[string, Resource]];
      const settings = apiStage.Properties.AccessLogSettings;
      const [[logGroupId, logGroup]] = ofType(template, 'AWS::Logs::LogGroup').filter(
        ([, g]) => g.Properties.LogGroupName === `/aws/http-api/call-intake-${stage}`,
      ) as [[string, Resource]];

      // Act
      const line = JSON.parse(settings.Format.replace(/\$context\.[A-Za-z.]+/g, 'x'));

      // Assess
      expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['requestId', 'routeKey', 'status', 'responseLatency']),
      );
      expect(settings.Format).toContain('"requestId":"$context.requestId"');
      // Never the path: CallKaro's secret token is a path segment.
      expect(settings.Format).not.toMatch(/\$context\.(path|http\.path|resourcePath)/);
      expect(logGroup.Properties.RetentionInDays).toBe(
        resource(template, 'ConsumerLogGroup').Properties.RetentionInDays,
      );
    }
  });

  it('throttles the HTTP API stage', () => {
    const [[, stage]] = ofType(templates.dev as Template, 'AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.Properties.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
  });
});

describe('a stage that deploys only the providers you use (--param=providers=twilio)', () => {
  const others = PROVIDERS.filter((p) => p.name !== 'twilio');
  const template = () => templates['twilio-only'] as Template;

  it('has one webhook function, Twilio’s, with its route, its role and its secrets parameter', () => {
    // Prepare
    const functions = ofType(template(), 'AWS::Lambda::Function').map(([name]) => name);
    const routes = ofType(template(), 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    const fn = resource(template(), 'TwilioWebhookLambdaFunction').Properties;

    // Assess
    expect(functions.sort()).toEqual(['ConsumerLambdaFunction', 'TwilioWebhookLambdaFunction']);
    expect(routes).toEqual(['POST /webhooks/twilio']);
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['TwilioWebhookRole', 'Arn'] });
    expect(fn.Environment.Variables.WEBHOOK_SECRETS_PARAMETER).toBe(
      `/call-intake/twilio-only${secretsParameterSuffix('twilio')}`,
    );
    expect(
      ofType(template(), 'AWS::IAM::Role')
        .map(([name]) => name)
        .sort(),
    ).toEqual(['ConsumerRole', 'TwilioWebhookRole']);
  });

  it('has Twilio’s silence alarm and log filter, and the stage’s shared alarms', () => {
    // Prepare
    const alarms = ofType(template(), 'AWS::CloudWatch::Alarm').map(([name]) => name);

    // Assess
    expect(alarms).toContain('TwilioSilentAlarm');
    expect(alarms.filter((name) => name.endsWith('SilentAlarm'))).toEqual(['TwilioSilentAlarm']);
    expect(alarms).toEqual(expect.arrayContaining(['DeadLetterQueueAlarm', 'IngressErrorsAlarm']));
    expect(template().Resources.TwilioWebhookErrorLogsFilter?.Type).toBe('AWS::Logs::MetricFilter');
  });

  it.each(others.map((p) => [p.name] as const))(
    'has nothing of %s: no resource, route, parameter, alarm or dashboard row',
    (name) => {
      // Prepare
      const text = JSON.stringify(template());
      const id = logicalId(name);

      // Assess
      expect(Object.keys(template().Resources).filter((key) => key.startsWith(id))).toEqual([]);
      expect(text).not.toContain(`/webhooks/${name}"`);
      expect(text).not.toContain(`/webhooks/${name}/`);
      expect(text).not.toContain(secretsParameterSuffix(name));
      expect(text).not.toContain(`-${name}-silent`);
      expect(text).not.toContain(`"provider","${name}"`);
      expect(text).not.toContain(`${name}: deliveries`);
    },
  );

  it('gives the consumer no other provider’s settings', () => {
    // Prepare
    const env = resource(template(), 'ConsumerLambdaFunction').Properties.Environment.Variables;

    // Assess
    for (const setting of others.flatMap((p) => p.consumerSettings))
      expect(env).not.toHaveProperty(setting.env);
  });
});
