/** Genuine HTTP API v2 events for webhook requests, built like API Gateway would build them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import type { AuthContext, WebhookRequest } from '../../lib/providers/types';
import { BANDWIDTH_SECRETS, CALLKARO_SECRETS } from './stack';

type Body = string | Buffer | Record<string, unknown>;
const toBuffer = (body: Body) =>
  Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));

export const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

export function bandwidthRequest(
  body: Body,
  { authorization = basic(BANDWIDTH_SECRETS[0]), contentType = 'application/json', method = 'POST' } = {},
): APIGatewayProxyEventV2 {
  return toHttpApiEvent({
    method,
    path: '/webhooks/bandwidth',
    route: '/webhooks/bandwidth',
    headers: { 'content-type': contentType, ...(authorization && { authorization }) },
    body: toBuffer(body),
  });
}

export function callkaroRequest(
  body: Body,
  {
    token = CALLKARO_SECRETS[0] as string | undefined,
    contentType = 'application/json',
    method = 'POST',
  } = {},
): APIGatewayProxyEventV2 {
  return toHttpApiEvent({
    method,
    path: `/webhooks/callkaro/${token ?? ''}`,
    route: '/webhooks/callkaro/{token}',
    pathParameters: token === undefined ? undefined : { token },
    headers: { 'content-type': contentType },
    body: toBuffer(body),
  });
}

export const jsonBody = (response: { body?: string }) => JSON.parse(response.body ?? 'null');

/** A provider-level request (what lib/http.ts hands authenticate), for unit tests of one scheme. */
export const webhookRequest = (
  parts: Partial<WebhookRequest> & Pick<WebhookRequest, 'rawBody'>,
): WebhookRequest => ({
  method: 'POST',
  headers: {},
  pathParameters: {},
  rawQueryString: '',
  url: 'https://example.com/webhooks/test',
  ...parts,
});

export const authContext = (
  now = new Date(),
  settings: Readonly<Record<string, string | undefined>> = {},
): AuthContext => ({ now, settings });
