/**
 * The deployed consumer's DynamoDB client is bounded: a stalled connection is abandoned and retried
 * on a fresh one, and a DynamoDB that never answers fails the one request (so its message) in
 * seconds, not the whole batch at the function's 30 s timeout.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumerDynamoClient } from '../../lib/aws-consumer';
import { type Emulator, LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from '../../lib/local/emulators';
import { startFaultProxy, type TcpFaultProxy } from '../support/faults';

let dynamo: Emulator;
let proxy: TcpFaultProxy;
beforeAll(async () => {
  dynamo = await startDynamo();
  proxy = await startFaultProxy(dynamo.port);
});
afterAll(async () => {
  await proxy.stop();
  await dynamo.stop();
});

const client = () =>
  createConsumerDynamoClient({
    endpoint: proxy.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });

describe("the consumer's DynamoDB client", () => {
  it('abandons a stalled connection and succeeds on a fresh one', async () => {
    // Prepare
    const dynamoClient = client();
    proxy.setMode('forward');
    proxy.stallNext(1);
    const started = Date.now();

    // Act
    const result = await dynamoClient.send(new ListTablesCommand({}));

    // Assess
    expect(result.TableNames).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    dynamoClient.destroy();
  }, 20_000);

  it('fails a request to a DynamoDB that never answers within 10 s, after a bounded number of attempts', async () => {
    // Prepare
    const dynamoClient = client();
    proxy.setMode('blackhole');
    const acceptedBefore = proxy.accepted;
    const started = Date.now();

    // Act
    const outcome = await dynamoClient.send(new ListTablesCommand({})).then(
      () => 'answered',
      () => 'failed',
    );

    // Assess
    expect(outcome).toBe('failed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proxy.accepted - acceptedBefore).toBe(3);
    dynamoClient.destroy();
  }, 20_000);
});
