/**
 * Secret reads against a local server speaking SSM's JSON protocol, through the real SSM client with
 * the production settings (lib/secrets.ts boundedSsmProvider): a throttled cold start still gets its
 * secrets while the retry budget lasts; an SSM that keeps throttling or never answers is a 503
 * within the secrets deadline, never a hang.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../lib/errors';
import { receiveWebhook } from '../../lib/ingress';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import { boundedSsmProvider, SECRETS_DEADLINE_MS, SECRETS_RETRY, ssmSecretSource } from '../../lib/secrets';
import { callkaroCallEnded } from '../fixtures';
import { callkaroRequest } from '../support/requests';
import { CALLKARO_SECRETS } from '../support/stack';

const PARAMETER = '/call-intake/test/callkaro/webhook-secrets';
type Answer = 'value' | 'throttle' | 'denied' | 'silent';

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** SSM's GetParameter as the SDK speaks it (awsJson1_1); `script(n)` decides the n-th answer (1-based). */
async function fakeSsm(script: (n: number) => Answer) {
  const requests: string[] = [];
  const silent: ServerResponse[] = [];
  const reply = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': `req-${requests.length}`,
      ...(errorType && { 'x-amzn-errortype': errorType }),
    });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      requests.push(String(req.headers['x-amz-target']));
      const { Name } = JSON.parse(text) as { Name: string };
      const answer = script(requests.length);
      if (answer === 'silent') return void silent.push(res);
      if (answer === 'throttle')
        return reply(
          res,
          400,
          { __type: 'ThrottlingException', message: 'Rate exceeded' },
          'ThrottlingException',
        );
      if (answer === 'denied')
        return reply(
          res,
          400,
          { __type: 'AccessDeniedException', message: 'not allowed' },
          'AccessDeniedException',
        );
      reply(res, 200, {
        Parameter: {
          Name,
          Type: 'SecureString',
          Value: CALLKARO_SECRETS.join('\n'),
          Version: 1,
          DataType: 'text',
          ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${Name}`,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push(async () => {
    for (const res of silent) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  const provider = boundedSsmProvider({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  });
  return { provider, requests };
}

const webhook = (secrets: ReturnType<typeof ssmSecretSource>) =>
  receiveWebhook(callkaroIngress, callkaroRequest(JSON.stringify(callkaroCallEnded())), {
    secrets,
    enqueue: async () => 'message-1',
  });

describe('webhook secrets from a throttling or dead SSM', () => {
  it('answers 200 when SSM throttles the first reads of a cold start, retrying within the budget', async () => {
    // Prepare
    const { provider, requests } = await fakeSsm((n) => (n <= 3 ? 'throttle' : 'value'));

    // Act
    const response = await webhook(ssmSecretSource(PARAMETER, { provider }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(requests).toEqual(Array(4).fill('AmazonSSM.GetParameter'));
  });

  it('answers 503 within the deadline, after at most the budgeted attempts, when SSM keeps throttling', async () => {
    // Prepare
    const { provider, requests } = await fakeSsm(() => 'throttle');
    const started = Date.now();

    // Act
    const response = await webhook(ssmSecretSource(PARAMETER, { provider }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(SECRETS_DEADLINE_MS + 250);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.length).toBeLessThanOrEqual(SECRETS_RETRY.maxAttempts);
  });

  it('answers 503 within the deadline when SSM accepts connections and never answers', async () => {
    // Prepare
    const { provider } = await fakeSsm(() => 'silent');
    const started = Date.now();

    // Act
    const response = await webhook(ssmSecretSource(PARAMETER, { provider }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(SECRETS_DEADLINE_MS + 250);
  });

  it('does not retry what another attempt cannot fix (AccessDenied): one read, then 503', async () => {
    // Prepare
    const { provider, requests } = await fakeSsm(() => 'denied');

    // Act
    const error = await ssmSecretSource(PARAMETER, { provider })().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(requests).toHaveLength(1);
  });

  it('refreshes with one attempt once it has secrets, and keeps serving them when that one is throttled', async () => {
    // Prepare
    const { provider, requests } = await fakeSsm((n) => (n === 1 ? 'value' : 'throttle'));
    const secrets = ssmSecretSource(PARAMETER, { provider, maxAgeSeconds: 0 });
    await secrets();

    // Act
    const refreshed = await secrets();

    // Assess
    expect(refreshed).toEqual([...CALLKARO_SECRETS]);
    expect(requests).toHaveLength(2);
  });
});
