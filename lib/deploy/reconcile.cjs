/**
 * serverless.yml's reconciliation parts (spec §7, issue 20), self-contained beside providers.cjs:
 * per provider named in the stage param `reconcileProviders` a scheduled function (every
 * `reconcileMinutes`), its least-privilege role, a `CallsRecovered` alarm and a failing-runs alarm; per provider in
 * `reconcileProviders` or `rejectedShareAlarmProviders` an alarm on the share of its webhook
 * requests answered 401/403. osls calls this through `${file(./lib/deploy/reconcile.cjs):<part>}`.
 */
const { providers } = require('../providers/providers.json');
const { deployedProviders } = require('./providers.cjs');

/** The providers with a list API (lib/providers/api-registry.ts; the template test checks both agree). */
const API_PROVIDERS = ['twilio', 'retell', 'vapi', 'plivo', 'vonage', 'bandwidth-v2', 'telnyx'];

const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (name) => camel(name).replace(/^./, (c) => c.toUpperCase());
const functionName = (name) => `${camel(name)}Reconcile`;
const logicalId = (name) => `${pascal(name)}Reconcile`;
const upper = (name) => name.toUpperCase().replace(/-/g, '_');
const apiParameter = (name) => `\${self:custom.secretsPath}/${name}-api`;
const arnSub = (text) => ({ 'Fn::Sub': text });
const alarmActions = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };
const dimensions = (provider, extra = []) => [
  { Name: 'service', Value: '${self:service}' },
  { Name: 'stage', Value: '${sls:stage}' },
  { Name: 'provider', Value: provider },
  ...extra,
];

function namesOf(param, value, allowed, what) {
  const names = String(value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const all = names.includes('all') ? allowed : names;
  const unknown = all.filter((name) => !allowed.includes(name));
  if (unknown.length > 0)
    throw new Error(`${param} names ${unknown.join(', ')}: not ${what} (${allowed.join(', ')})`);
  return [...new Set(all)];
}

function reconcileFunction(name, minutes) {
  return {
    handler: 'functions/reconcile.handler',
    description: `Lists ${name}'s calls and enqueues those no webhook delivered (spec §7)`,
    memorySize: 512,
    // A lookback of calls, their existence checks and 429 back-offs; the next run retries a failed window.
    timeout: 300,
    role: `${logicalId(name)}Role`,
    // A failed run is not retried by Lambda: the next scheduled run lists the same window again.
    maximumRetryAttempts: 0,
    environment: {
      RECONCILE_PROVIDER: name,
      TABLE_NAME: { Ref: 'CallsTable' },
      QUEUE_URL: { Ref: 'DeliveriesQueue' },
      SECRETS_PATH: '${self:custom.secretsPath}',
      RECONCILE_LOOKBACK_MINUTES: '${param:reconcileLookbackMinutes}',
      [`${upper(name)}_API_BASE_URL`]: `\${param:${camel(name)}ApiBaseUrl, ''}`,
      // The settings its normalizer reads, as the consumer gets them (Plivo: PLIVO_TIMEZONE).
      ...Object.fromEntries(
        (providers.find((p) => p.name === name)?.consumerSettings ?? []).map(
          ({ env, param, default: fallback }) => [env, `\${param:${param}, '${fallback}'}`],
        ),
      ),
    },
    // EventBridge wants the singular unit for 1 (`rate(1 minute)`); it refuses `rate(1 minutes)`.
    events: [{ schedule: { rate: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})` } }],
  };
}

/**
 * Least privilege: its log group; SendMessage on the queue; GetParameter on `<provider>-api` only;
 * on the table, BatchGetItem of its provider's call keys and Get/PutItem of its own RECONCILE# item
 * (dynamodb:LeadingKeys); kms:Decrypt via SSM when the secrets use a customer-managed key.
 */
function reconcileRole(name, kmsKeyArn) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: require('../lambda-trust.json'),
      Policies: [
        {
          PolicyName: `${name}-reconcile`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: arnSub(
                  `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/\${self:service}-\${sls:stage}-${functionName(name)}:*`,
                ),
              },
              {
                Effect: 'Allow',
                Action: ['sqs:SendMessage'],
                Resource: { 'Fn::GetAtt': ['DeliveriesQueue', 'Arn'] },
              },
              {
                Effect: 'Allow',
                Action: ['ssm:GetParameter'],
                Resource: arnSub(
                  `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${apiParameter(name)}`,
                ),
              },
              {
                Effect: 'Allow',
                Action: ['dynamodb:BatchGetItem'],
                Resource: { 'Fn::GetAtt': ['CallsTable', 'Arn'] },
                Condition: {
                  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`CALL#${name}#*`] },
                  // An existence check projects the key only: no transcript leaves the table.
                  'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk'] },
                  StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
                },
              },
              {
                Effect: 'Allow',
                Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
                Resource: { 'Fn::GetAtt': ['CallsTable', 'Arn'] },
                Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`RECONCILE#${name}`] } },
              },
              ...(kmsKeyArn
                ? [
                    {
                      Effect: 'Allow',
                      Action: ['kms:Decrypt'],
                      Resource: kmsKeyArn,
                      Condition: {
                        StringEquals: { 'kms:ViaService': arnSub('ssm.${AWS::Region}.amazonaws.com') },
                      },
                    },
                  ]
                : []),
            ],
          },
        },
      ],
    },
  };
}

/** Any call the list API had and no webhook delivered means webhooks are failing for that provider. */
function callsRecoveredAlarm(name) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `\${self:service}-\${sls:stage}-${name}-calls-recovered`,
      AlarmDescription: `The ${name} reconciler found ended calls no webhook had delivered (now stored from the API). Webhooks are being lost: check the URL registered at ${name}, the rejected-requests alarm, the ingress 5xx and the queue (docs/reconcile.md).`,
      Namespace: 'CallIntake',
      MetricName: 'CallsRecovered',
      Dimensions: dimensions(name),
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...alarmActions,
    },
  };
}

/**
 * Two failed runs in a row (a rotated or revoked API credential, a provider outage, a 429 storm): the
 * window keeps being retried, but nothing is reconciled until someone looks.
 */
function reconcileFailingAlarm(name, minutes) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `\${self:service}-\${sls:stage}-${name}-reconcile-failing`,
      AlarmDescription: `The ${name} reconciler failed twice in a row; its window is retried each run but nothing is recovered meanwhile. Its ERROR log line says why (a refused credential names the SSM parameter).`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${logicalId(name)}LambdaFunction` } }],
      Statistic: 'Sum',
      Period: minutes * 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...alarmActions,
    },
  };
}

/**
 * 401s (reason `unauthorized`: bad signature or credentials) as a share of all of a provider's
 * webhook requests over `rejectedShareMinutes`; a few stray requests do not count (at least 5).
 * HTTP Basic's credential-less first tries (reason `challenged`: Bandwidth v2 sends every callback so)
 * count only beyond the deliveries enqueued: a healthy challenge → retry → 200 adds nothing, while a
 * provider with no or wrong credentials configured (challenged, never followed by a delivery) does.
 */
function rejectedShareAlarm(name, periodSeconds) {
  const metric = (id, metricName, extra) => ({
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: { Namespace: 'CallIntake', MetricName: metricName, Dimensions: dimensions(name, extra) },
      Period: periodSeconds,
      Stat: 'Sum',
    },
  });
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `\${self:service}-\${sls:stage}-${name}-rejected-share`,
      AlarmDescription: `Over \${param:rejectedSharePercent}% of ${name}'s webhook requests were refused as unauthorized. A signature misconfiguration (wrong secret, a custom domain without publicBaseUrl) loses every call: check the secret and publicBaseUrl (docs/providers/).`,
      Metrics: [
        metric('rejected', 'DeliveriesRejected', [{ Name: 'reason', Value: 'unauthorized' }]),
        metric('challenged', 'DeliveriesRejected', [{ Name: 'reason', Value: 'challenged' }]),
        metric('enqueued', 'DeliveriesEnqueued'),
        metric('received', 'DeliveriesReceived'),
        {
          Id: 'share',
          Label: 'unauthorized % of requests',
          Expression:
            'IF(received >= 5, 100 * (FILL(rejected, 0) + MAX([FILL(challenged, 0) - FILL(enqueued, 0), 0 * FILL(challenged, 0)])) / received, 0)',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 1,
      Threshold: '${param:rejectedSharePercent}',
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...alarmActions,
    },
  };
}

async function generate(resolveVariable) {
  const reconciled = namesOf(
    'reconcileProviders',
    await resolveVariable('param:reconcileProviders'),
    API_PROVIDERS,
    'providers with a list API',
  );
  // `deployed` (the default): every provider the stage deploys (param `providers`, lib/deploy/providers.cjs).
  const watchedParam = String((await resolveVariable('param:rejectedShareAlarmProviders')) ?? '').trim();
  const watched =
    watchedParam === 'deployed'
      ? deployedProviders(await resolveVariable('param:providers')).map((p) => p.name)
      : namesOf(
          'rejectedShareAlarmProviders',
          watchedParam,
          providers.map((p) => p.name),
          'providers',
        );
  const kmsKeyArn = String((await resolveVariable('param:kmsKeyArn')) ?? '').trim();
  const reconcileMinutes = Number(await resolveVariable('param:reconcileMinutes'));
  if (!Number.isInteger(reconcileMinutes) || reconcileMinutes < 1)
    throw new Error(`reconcileMinutes must be a whole number of minutes, not ${reconcileMinutes}`);
  const periodMinutes = Number(await resolveVariable('param:rejectedShareMinutes'));
  if (!Number.isInteger(periodMinutes) || periodMinutes < 1)
    throw new Error(`rejectedShareMinutes must be a whole number of minutes, not ${periodMinutes}`);
  const functions = Object.fromEntries(
    reconciled.map((name) => [functionName(name), reconcileFunction(name, reconcileMinutes)]),
  );
  const Resources = {};
  for (const name of reconciled) {
    Resources[`${logicalId(name)}Role`] = reconcileRole(name, kmsKeyArn);
    Resources[`${pascal(name)}CallsRecoveredAlarm`] = callsRecoveredAlarm(name);
    Resources[`${pascal(name)}ReconcileFailingAlarm`] = reconcileFailingAlarm(name, reconcileMinutes);
  }
  for (const name of new Set([...reconciled, ...watched])) {
    Resources[`${pascal(name)}RejectedShareAlarm`] = rejectedShareAlarm(name, periodMinutes * 60);
  }
  // osls merges a list of function maps; an empty one is fine.
  return { functions, resources: { Resources } };
}

module.exports = async ({ resolveVariable }) => generate(resolveVariable);

/** The alarms this file adds, for the dashboard's alarm widget (lib/deploy/providers.cjs). */
module.exports.alarmNames = async (resolveVariable) =>
  Object.entries((await generate(resolveVariable)).resources.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map(([id]) => id);

module.exports.API_PROVIDERS = API_PROVIDERS;
