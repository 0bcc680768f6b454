/** Builds the event API Gateway HTTP API (payload format 2.0) would hand a Lambda for a request. */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface HttpRequestParts {
  method: string;
  /** Path as requested, e.g. /webhooks/callkaro/abc */
  path: string;
  /** Route template as in serverless.yml, e.g. /webhooks/callkaro/{token} */
  route: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string | string[] | undefined>;
  rawQueryString?: string;
  body: Buffer;
  sourceIp?: string;
}

// HTTP API passes these as text and base64-encodes every other body (or one without a type) —
// form bodies (application/x-www-form-urlencoded: Twilio, Plivo, TeXML) included, as real AWS does.
// A body that is not valid UTF-8 is base64-encoded whatever its type: decoding it as text would hand
// the handler U+FFFD instead of the bytes received (and it would accept what it must refuse).
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)\b|[^;]*\+(json|xml)\b)/i;

export function toHttpApiEvent(request: HttpRequestParts): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '') && isUtf8(request.body);
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: `${request.method} ${request.route}`,
    rawPath: request.path,
    rawQueryString: request.rawQueryString ?? '',
    headers,
    pathParameters: request.pathParameters,
    isBase64Encoded: !isText,
    body:
      request.body.length === 0
        ? undefined
        : isText
          ? request.body.toString('utf8')
          : request.body.toString('base64'),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${request.method} ${request.route}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}
