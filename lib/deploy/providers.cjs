/**
 * serverless.yml's per-provider parts, generated from lib/providers/providers.json so that adding a
 * provider never copies a block: per deployed provider (stage param `providers`) a webhook function
 * (route, own role, own SSM parameter), a "silent provider" alarm (unless `silentAlarms=false`), an
 * ERROR-log metric filter and its dashboard row. Each resource kind is one function below.
 * osls calls this through `${file(./lib/deploy/providers.cjs):<part>}`.
 * Names follow lib/providers/list.ts (the template test checks that both agree).
 */
const { providers } = require('../providers/providers.json');

const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (name) => camel(name).replace(/^./, (c) => c.toUpperCase());
const functionName = (name) => `${camel(name)}Webhook`;
/** What osls names a function's resources: `<Fn>LambdaFunction`, `<Fn>LogGroup`. */
const logicalId = (name) => `${pascal(name)}Webhook`;
const secretsParameter = (name) => `\${self:custom.secretsPath}/${name}/webhook-secrets`;
const setting = ({ param, default: fallback }) => `\${param:${param}, '${fallback}'}`;
const settingsEnvironment = (settings) =>
  Object.fromEntries(settings.map((entry) => [entry.env, setting(entry)]));

const arnSub = (text) => ({ 'Fn::Sub': text });

function webhookFunction(provider) {
  return {
    handler: `functions/${provider.name}-webhook.handler`,
    description: `${provider.title} webhooks → SQS (${provider.verifiedBy.replace(/`/g, '')})`,
    // 512 MB buys the CPU that makes cold starts short; the handler itself runs for milliseconds.
    memorySize: 512,
    // Secrets ≤ 1.5 s + SQS send ≤ 2.5 s (lib/secrets.ts, lib/queue.ts): a provider never waits
    // longer than CallKaro's 5 s deadline.
    timeout: 5,
    role: `${logicalId(provider.name)}Role`,
    environment: {
      QUEUE_URL: { Ref: 'DeliveriesQueue' },
      WEBHOOK_SECRETS_PARAMETER: secretsParameter(provider.name),
      SECRETS_MAX_AGE_SECONDS: '${param:secretsMaxAgeSeconds}',
      // Providers that sign the URL they called (Twilio, Plivo) verify against this when set.
      PUBLIC_BASE_URL: '${param:publicBaseUrl}',
      ...settingsEnvironment(provider.webhookSettings),
    },
    events: [{ httpApi: { method: 'POST', path: provider.path } }],
  };
}

/** A KMS key ARN (an alias cannot be an IAM resource for kms:Decrypt), or '' for the AWS-managed key. */
function checkKmsKeyArn(value) {
  const arn = String(value ?? '').trim();
  if (arn !== '' && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(arn)) {
    throw new Error(
      `kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not ${JSON.stringify(arn)}`,
    );
  }
  return arn;
}

/** kms:Decrypt on the secrets' customer-managed key, only when SSM asks on the function's behalf. */
const decryptSecrets = (kmsKeyArn) => ({
  Effect: 'Allow',
  Action: ['kms:Decrypt'],
  Resource: kmsKeyArn,
  Condition: { StringEquals: { 'kms:ViaService': arnSub('ssm.${AWS::Region}.amazonaws.com') } },
});

/**
 * Least privilege: its own log group, SendMessage on the queue, GetParameter on its own secrets,
 * and kms:Decrypt on the secrets' key when they use a customer-managed one (`kmsKeyArn`).
 */
function webhookRole(provider, kmsKeyArn) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: require('../lambda-trust.json'),
      Policies: [
        {
          PolicyName: `${provider.name}-webhook`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: arnSub(
                  `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/\${self:service}-\${sls:stage}-${functionName(provider.name)}:*`,
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
                  `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${secretsParameter(provider.name)}`,
                ),
              },
              ...(kmsKeyArn ? [decryptSecrets(kmsKeyArn)] : []),
            ],
          },
        },
      ],
    },
  };
}

const alarmActions = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };
const dimensions = (provider) => [
  { Name: 'service', Value: '${self:service}' },
  { Name: 'stage', Value: '${sls:stage}' },
  ...(provider ? [{ Name: 'provider', Value: provider }] : []),
];

/** No webhook request at all for `silentProviderMinutes` (missing data breaches). */
function silentAlarm(provider) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `\${self:service}-\${sls:stage}-${provider.name}-silent`,
      AlarmDescription: `No ${provider.title} webhook request for \${param:silentProviderMinutes} minutes. Check the URL registered in ${provider.title} and its credentials (docs/providers/), and the API's 4xx.`,
      Namespace: 'CallIntake',
      MetricName: 'DeliveriesReceived',
      Dimensions: dimensions(provider.name),
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: '${param:silentProviderMinutes}',
      DatapointsToAlarm: '${param:silentProviderMinutes}',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      ...alarmActions,
    },
  };
}

/** ERROR-level log lines per function (Powertools JSON `level`), for the dashboard. */
const errorLogsFilter = (logGroup) => ({
  Type: 'AWS::Logs::MetricFilter',
  Properties: {
    LogGroupName: { Ref: logGroup },
    FilterPattern: '{ $.level = "ERROR" }',
    MetricTransformations: [
      {
        MetricNamespace: 'CallIntake',
        MetricName: 'ErrorLogLines',
        MetricValue: '1',
        Unit: 'Count',
        Dimensions: [{ Key: 'function', Value: '$.function_name' }],
      },
    ],
  },
});

const CORE_ALARMS = [
  'DeadLetterQueueAlarm',
  'DeadLetterAgeAlarm',
  'QueueAgeAlarm',
  'IngressErrorsAlarm',
  'ConsumerErrorsAlarm',
  'ConsumerFailuresAlarm',
];

/** The dashboard body: alarms, then a row per provider, then queues, API and functions. */
function dashboardBody(deployed, watched, moreAlarms) {
  const metric = (name, provider, extra) => [
    'CallIntake',
    name,
    'service',
    '${Service}',
    'stage',
    '${Stage}',
    'provider',
    provider,
    extra,
  ];
  const widget = (x, y, width, title, properties) => ({
    type: 'metric',
    x,
    y,
    width,
    height: 6,
    properties: {
      title,
      region: '${AWS::Region}',
      view: 'timeSeries',
      stacked: false,
      period: 300,
      ...properties,
    },
  });
  const alarms = alarmIds(watched, moreAlarms).map((alarm) => `\${${alarm}Arn}`);
  const widgets = [
    { type: 'alarm', x: 0, y: 0, width: 24, height: 3, properties: { title: 'Alarms', alarms } },
  ];
  deployed.forEach((provider, index) => {
    const y = 3 + index * 6;
    const p = provider.name;
    widgets.push(
      widget(0, y, 6, `${p}: deliveries`, {
        stat: 'Sum',
        metrics: [
          metric('DeliveriesReceived', p, { label: 'received' }),
          metric('DeliveriesEnqueued', p, { label: 'enqueued' }),
          metric('DeliveriesRejected', p, { label: 'rejected' }),
          // Issue 20: calls the reconciler found that no webhook delivered (lib/deploy/reconcile.cjs).
          metric('CallsRecovered', p, { label: 'recovered from the list API', color: '#d62728' }),
        ],
      }),
      widget(6, y, 6, `${p}: rejections by reason`, {
        stat: 'Sum',
        metrics: [
          [
            {
              expression: `SEARCH('{CallIntake,service,stage,provider,reason} MetricName="DeliveriesRejected" service="\${Service}" stage="\${Stage}" provider="${p}"', 'Sum', 300)`,
              id: `reasons${index}`,
              label: '',
            },
          ],
        ],
      }),
      widget(12, y, 6, `${p}: consumer`, {
        stat: 'Sum',
        metrics: [
          metric('DeliveriesProcessed', p, { label: 'processed' }),
          metric('RecordsCreated', p, { label: 'created' }),
          metric('RecordsUpdated', p, { label: 'updated' }),
          metric('DuplicateDeliveries', p, { label: 'duplicates' }),
          metric('ConsumerFailures', p, { label: 'failures', color: '#d62728' }),
        ],
      }),
      widget(18, y, 6, `${p}: ingest lag, received → stored (ms)`, {
        stat: 'p50',
        metrics: [
          metric('IngestLag', p, { stat: 'p50', label: 'p50' }),
          metric('IngestLag', p, { stat: 'p99', label: 'p99' }),
          metric('IngestLag', p, { stat: 'Maximum', label: 'max' }),
        ],
      }),
    );
  });
  const y = 3 + deployed.length * 6;
  const fn = (name) => `\${${name}Function}`;
  widgets.push(
    widget(0, y, 12, 'Deliveries queue and dead-letter queue', {
      stat: 'Maximum',
      period: 60,
      metrics: [
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          '${QueueName}',
          { label: 'queue: visible' },
        ],
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          '${DeadLetterQueueName}',
          { label: 'DLQ: visible', color: '#d62728' },
        ],
        [
          'AWS/SQS',
          'ApproximateAgeOfOldestMessage',
          'QueueName',
          '${QueueName}',
          { label: 'queue: oldest message (s)', yAxis: 'right' },
        ],
      ],
    }),
    widget(12, y, 12, 'HTTP API (requests / 4xx / 5xx) and latency', {
      stat: 'Sum',
      metrics: [
        ['AWS/ApiGateway', 'Count', 'ApiId', '${ApiId}', { label: 'requests' }],
        ['AWS/ApiGateway', '4xx', 'ApiId', '${ApiId}', { label: '4xx' }],
        ['AWS/ApiGateway', '5xx', 'ApiId', '${ApiId}', { label: '5xx', color: '#d62728' }],
        [
          'AWS/ApiGateway',
          'Latency',
          'ApiId',
          '${ApiId}',
          { label: 'latency p99 (ms)', stat: 'p99', yAxis: 'right' },
        ],
      ],
    }),
    widget(0, y + 6, 12, 'Lambda errors and throttles', {
      stat: 'Sum',
      metrics: [
        ['AWS/Lambda', 'Errors', 'FunctionName', fn('Consumer'), { label: 'consumer errors' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', fn('Consumer'), { label: 'consumer throttles' }],
        ['CallIntake', 'ErrorLogLines', 'function', fn('Consumer'), { label: 'consumer ERROR log lines' }],
        ...deployed.flatMap((p) => [
          [
            'AWS/Lambda',
            'Errors',
            'FunctionName',
            fn(logicalId(p.name)),
            { label: `${p.name} webhook errors` },
          ],
          [
            'CallIntake',
            'ErrorLogLines',
            'function',
            fn(logicalId(p.name)),
            { label: `${p.name} ERROR log lines` },
          ],
        ]),
      ],
    }),
    widget(12, y + 6, 12, 'Lambda duration p99 (ms)', {
      stat: 'p99',
      metrics: [
        ...deployed.map((p) => [
          'AWS/Lambda',
          'Duration',
          'FunctionName',
          fn(logicalId(p.name)),
          { label: `${p.name} webhook` },
        ]),
        ['AWS/Lambda', 'Duration', 'FunctionName', fn('Consumer'), { label: 'consumer' }],
      ],
    }),
  );
  return JSON.stringify({ widgets });
}

/** Every alarm of the stage: the core ones, the silence alarms, and those of lib/deploy/reconcile.cjs. */
const alarmIds = (watched, moreAlarms) => [
  ...CORE_ALARMS,
  ...watched.map((p) => `${pascal(p.name)}SilentAlarm`),
  ...moreAlarms,
];

function dashboard(deployed, watched, moreAlarms = []) {
  const variables = {
    Service: '${self:service}',
    Stage: '${sls:stage}',
    ApiId: { Ref: 'HttpApi' },
    QueueName: { 'Fn::GetAtt': ['DeliveriesQueue', 'QueueName'] },
    DeadLetterQueueName: { 'Fn::GetAtt': ['DeliveriesDeadLetterQueue', 'QueueName'] },
    ConsumerFunction: { Ref: 'ConsumerLambdaFunction' },
  };
  for (const alarm of alarmIds(watched, moreAlarms)) {
    variables[`${alarm}Arn`] = { 'Fn::GetAtt': [alarm, 'Arn'] };
  }
  for (const p of deployed)
    variables[`${logicalId(p.name)}Function`] = { Ref: `${logicalId(p.name)}LambdaFunction` };
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: '${self:service}-${sls:stage}',
      DashboardBody: { 'Fn::Sub': [dashboardBody(deployed, watched, moreAlarms), variables] },
    },
  };
}

const knownNames = () => providers.map((p) => p.name).join(', ');

/**
 * `providers`: what this stage deploys, `all` (the default) or comma-separated names. A provider
 * left out gets no function, route, role, secrets grant, log filter, alarm or dashboard row.
 */
function deployedProviders(value) {
  const names = String(value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new Error(`providers names no provider (use all, or some of: ${knownNames()})`);
  const unknown = names.filter((name) => name !== 'all' && !providers.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new Error(`providers names unknown providers: ${unknown.join(', ')} (known: ${knownNames()})`);
  }
  return names.includes('all') ? providers : providers.filter((p) => names.includes(p.name));
}

/** `silentAlarms`: true (the default) gives every deployed provider its silence alarm; false none. */
function checkSilentAlarms(value) {
  const text = String(value ?? '').trim();
  if (text !== 'true' && text !== 'false') {
    throw new Error(`silentAlarms must be true or false, not ${JSON.stringify(text)}`);
  }
  return text === 'true';
}

/** The retired `silentAlarmProviders` would silently do nothing now: say what replaced it instead. */
function refuseRetiredSilentAlarmProviders(value) {
  if (String(value ?? '').trim() === '') return;
  throw new Error(
    'silentAlarmProviders is retired: every provider in `providers` gets its silence alarm; deploy only the providers you registered (--param="providers=twilio,vapi") and turn the alarms off for a stage with --param="silentAlarms=false"',
  );
}

const webhookFunctions = (deployed = providers) =>
  Object.fromEntries(deployed.map((p) => [functionName(p.name), webhookFunction(p)]));

/** One provider's resources besides its function (osls makes the function, route and log group). */
function providerResources(provider, { kmsKeyArn, silentAlarms }) {
  const id = logicalId(provider.name);
  return {
    [`${id}Role`]: webhookRole(provider, kmsKeyArn),
    [`${id}ErrorLogsFilter`]: errorLogsFilter(`${id}LogGroup`),
    ...(silentAlarms ? { [`${pascal(provider.name)}SilentAlarm`]: silentAlarm(provider) } : {}),
  };
}

/** The stage's settings this file reads, checked: a bad value stops `package`/`deploy` with one line. */
async function stageSettings(resolveVariable) {
  refuseRetiredSilentAlarmProviders(await resolveVariable("param:silentAlarmProviders, ''"));
  return {
    deployed: deployedProviders(await resolveVariable('param:providers')),
    silentAlarms: checkSilentAlarms(await resolveVariable('param:silentAlarms')),
    kmsKeyArn: checkKmsKeyArn(await resolveVariable('param:kmsKeyArn')),
  };
}

module.exports = async ({ resolveVariable }) => {
  const { deployed, silentAlarms, kmsKeyArn } = await stageSettings(resolveVariable);
  const watched = silentAlarms ? deployed : [];
  // Required here, not at the top: reconcile.cjs requires this file (deployedProviders).
  const reconcileAlarms = await require('./reconcile.cjs').alarmNames(resolveVariable);
  const Resources = { Dashboard: dashboard(deployed, watched, reconcileAlarms) };
  for (const provider of deployed) {
    Object.assign(Resources, providerResources(provider, { kmsKeyArn, silentAlarms }));
  }
  return {
    functions: webhookFunctions(deployed),
    resources: { Resources },
    consumerEnvironment: {
      TABLE_NAME: { Ref: 'CallsTable' },
      ...settingsEnvironment(deployed.flatMap((p) => p.consumerSettings)),
    },
  };
};

/** For tools that read serverless.yml's functions without osls (bench/bundles.ts). */
module.exports.webhookFunctions = () => webhookFunctions(providers);
module.exports.deployedProviders = deployedProviders;
