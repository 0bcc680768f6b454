/** API Gateway HTTP API (payload 2.0) ↔ the webhook pipeline: one place decides status codes. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequestError, UnauthorizedError, WebhookError } from './errors';
import type { WebhookRequest } from './providers/types';

/**
 * The path of the route a request matched (`/webhooks/twilio`), without the `/<stage>` prefix a
 * named stage puts on rawPath; templated routes keep the request's own path.
 */
function routePath(event: APIGatewayProxyEventV2): string {
  const route = event.routeKey?.split(' ')[1];
  if (route?.startsWith('/') && !route.includes('{')) return route;
  const stage = event.requestContext?.stage;
  const prefix = stage && stage !== '$default' ? `/${stage}` : '';
  const path = event.rawPath ?? '/';
  return prefix && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/**
 * The URL the provider called (spec §6): `publicBaseUrl` + the route path, else what API Gateway
 * saw, `https://<host><rawPath>`; then `?` + the raw query string exactly as received.
 */
export function publicUrl(event: APIGatewayProxyEventV2, publicBaseUrl?: string): string {
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  if (publicBaseUrl) return `${publicBaseUrl.replace(/\/+$/, '')}${routePath(event)}${query}`;
  const host = event.headers?.host ?? event.requestContext?.domainName ?? '';
  return `https://${host}${event.rawPath ?? '/'}${query}`;
}

export function toWebhookRequest(event: APIGatewayProxyEventV2, publicBaseUrl?: string): WebhookRequest {
  // No prototype: a header name a setting names (`constructor`, `__proto__`) reads as absent, not as Object's.
  const headers: Record<string, string | undefined> = Object.create(null);
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = event.body ?? '';
  return {
    method: event.requestContext?.http?.method ?? 'POST',
    headers,
    pathParameters: { ...event.pathParameters },
    // HTTP API base64-encodes bodies it does not consider text; the raw bytes are what we verify.
    rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    rawQueryString: event.rawQueryString ?? '',
    url: publicUrl(event, publicBaseUrl),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text: strictly UTF-8 (no silent U+FFFD) and not empty, whatever Content-Type claimed. */
export function decodeBody(rawBody: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw new BadRequestError('body is not valid UTF-8');
  }
  if (text.trim() === '') throw new BadRequestError('body is empty');
  return text;
}

/** The body as a JSON object, whatever Content-Type claimed. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BadRequestError('body is not a JSON object');
  }
  return json as Record<string, unknown>;
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
