/** API Gateway HTTP API (payload 2.0) ↔ the webhook pipeline: one place decides status codes. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequestError, UnauthorizedError, WebhookError } from './errors';
import type { WebhookRequest } from './providers/types';

export function toWebhookRequest(event: APIGatewayProxyEventV2): WebhookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = event.body ?? '';
  return {
    headers,
    pathParameters: { ...event.pathParameters },
    // HTTP API base64-encodes bodies it does not consider text; the raw bytes are what we verify.
    rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as a JSON object, whatever Content-Type claimed. */
export function parseJsonObject(rawBody: Buffer): { text: string; json: Record<string, unknown> } {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw new BadRequestError('body is not valid UTF-8');
  }
  if (text.trim() === '') throw new BadRequestError('body is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BadRequestError('body is not a JSON object');
  }
  return { text, json: json as Record<string, unknown> };
}

const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const acknowledged = (deliveryId: string) => jsonResponse(200, { received: true, id: deliveryId });

/** Named errors carry their status and a one-line reason; anything else is a bare 500. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof WebhookError) {
    const headers: Record<string, string> =
      error instanceof UnauthorizedError && error.challenge ? { 'www-authenticate': error.challenge } : {};
    return jsonResponse(error.statusCode, { error: error.message }, headers);
  }
  return jsonResponse(500, { error: 'internal error' });
}
