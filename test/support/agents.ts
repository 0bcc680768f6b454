/** Signed Retell and Vapi requests, as API Gateway would hand them to the webhook functions. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { retellDigest } from '../../lib/providers/retell/ingress';
import { DEFAULT_HMAC_PLAN, vapiSignature } from '../../lib/providers/vapi/ingress';

export const RETELL_SECRETS = ['key_retell_current_0001', 'key_retell_next_0002'] as const;
export const VAPI_SECRETS = ['vapi-secret-current', 'vapi-secret-next'] as const;

type Body = string | Buffer | Record<string, unknown>;
const toBuffer = (body: Body) =>
  Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));

/** `x-retell-signature` as Retell builds it: `v=<ms>,d=<hex HMAC-SHA256(key, body + ms)>`. */
export const retellSignature = (raw: Buffer | string, key: string = RETELL_SECRETS[0], now = new Date()) =>
  `v=${now.getTime()},d=${retellDigest(Buffer.from(raw), now.getTime(), key)}`;

/** A Retell request signed for `now`; `signature: null` sends none. */
export function retellRequest(
  body: Body,
  {
    key = RETELL_SECRETS[0] as string,
    now = new Date(),
    signature = undefined as string | undefined | null,
    contentType = 'application/json',
  } = {},
): APIGatewayProxyEventV2 {
  const raw = toBuffer(body);
  const header = signature === undefined ? retellSignature(raw, key, now) : signature;
  return toHttpApiEvent({
    method: 'POST',
    path: '/webhooks/retell',
    route: '/webhooks/retell',
    headers: { 'content-type': contentType, ...(header !== null && { 'x-retell-signature': header }) },
    body: raw,
  });
}

/** Vapi's default HMAC plan headers for `raw`: x-timestamp in Unix seconds, x-signature hex. */
export function vapiHmacHeaders(raw: Buffer | string, secret: string = VAPI_SECRETS[0], now = new Date()) {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    'x-timestamp': timestamp,
    'x-signature': vapiSignature(DEFAULT_HMAC_PLAN, Buffer.from(raw), timestamp, secret),
  };
}

/** A Vapi request, signed with the default HMAC plan unless `headers` are given. */
export function vapiRequest(
  body: Body,
  { headers = undefined as Record<string, string> | undefined, contentType = 'application/json' } = {},
): APIGatewayProxyEventV2 {
  const raw = toBuffer(body);
  return toHttpApiEvent({
    method: 'POST',
    path: '/webhooks/vapi',
    route: '/webhooks/vapi',
    headers: { 'content-type': contentType, ...(headers ?? vapiHmacHeaders(raw)) },
    body: raw,
  });
}
