/**
 * Signed requests for the providers that sign the URL they called (Twilio, Plivo), as API Gateway
 * hands them over: form bodies base64-encoded with `isBase64Encoded: true`, the raw query verbatim.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { receiveWebhook } from '../../lib/ingress';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { formPairs } from '../../lib/providers/form';
import { plivoSignatureV3 } from '../../lib/providers/plivo/ingress';
import { twilioSignature } from '../../lib/providers/twilio/ingress';
import type { ProviderIngress } from '../../lib/providers/types';
import { staticSecrets } from '../../lib/secrets';

export const TWILIO_SECRETS = ['twilio-auth-token-current', 'twilio-auth-token-next'] as const;
export const PLIVO_SECRETS = ['plivo-auth-token-current', 'plivo-auth-token-next'] as const;
/** The public base URL the tests' handlers are configured with (PUBLIC_BASE_URL / publicBaseUrl). */
export const PUBLIC_BASE = 'https://calls.example.com';
export const PLIVO_NONCE = '31627761595286130198';

/** A form fixture's exact bytes (`test/fixtures/<provider>/<name>.txt`). */
export const rawFormFixture = (provider: string, name: string): string =>
  readFileSync(new URL(`../fixtures/${provider}/${name}.txt`, import.meta.url), 'utf8');

/** `form` with the fields in `changes` replaced (undefined removes one), order otherwise kept. */
export function withFields(form: string, changes: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams(form);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  return params.toString();
}

export interface SignedRequestOptions {
  /** Raw query string as sent, without `?`. */
  query?: string;
  /** The secret the signature is made with. */
  secret?: string;
  /** The URL the signature is made over (default: the public URL of the route + query). */
  signedUrl?: string;
  /** Headers replacing (or, when undefined, removing) the signed ones. */
  headers?: Record<string, string | undefined>;
  contentType?: string;
  /** API Gateway base64-encodes form bodies (providers-next.md §8.5); false sends them as text. */
  base64?: boolean;
}

function gatewayEvent(
  path: string,
  body: string,
  headers: Record<string, string | undefined>,
  { query = '', contentType = 'application/x-www-form-urlencoded', base64 = true }: SignedRequestOptions,
): APIGatewayProxyEventV2 {
  const event = toHttpApiEvent({
    method: 'POST',
    path,
    route: path,
    rawQueryString: query,
    headers: { host: new URL(PUBLIC_BASE).host, 'content-type': contentType, ...headers },
    body: Buffer.from(body, 'utf8'),
  });
  if (!base64 || event.body === undefined) return event;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  return { ...event, isBase64Encoded: true, body: bytes.toString('base64') };
}

const routeUrl = (path: string, query: string) => `${PUBLIC_BASE}${path}${query ? `?${query}` : ''}`;

/** A Twilio status callback signed like Twilio signs it (form params, or the bodySHA256 JSON variant). */
export function twilioRequest(body: string, options: SignedRequestOptions = {}): APIGatewayProxyEventV2 {
  const path = '/webhooks/twilio';
  const signedUrl = options.signedUrl ?? routeUrl(path, options.query ?? '');
  const params = signedUrl.includes('bodySHA256=') ? [] : formPairs(body);
  const signature = twilioSignature(options.secret ?? TWILIO_SECRETS[0], signedUrl, params);
  return gatewayEvent(path, body, { 'x-twilio-signature': signature, ...options.headers }, options);
}

/** A Plivo callback signed with signature V3 (POST) and PLIVO_NONCE. */
export function plivoRequest(body: string, options: SignedRequestOptions = {}): APIGatewayProxyEventV2 {
  const path = '/webhooks/plivo';
  const signedUrl = options.signedUrl ?? routeUrl(path, options.query ?? '');
  const signature = plivoSignatureV3(
    options.secret ?? PLIVO_SECRETS[0],
    signedUrl,
    formPairs(body),
    PLIVO_NONCE,
  );
  const headers = {
    'x-plivo-signature-v3': signature,
    'x-plivo-signature-v3-nonce': PLIVO_NONCE,
    ...options.headers,
  };
  return gatewayEvent(path, body, headers, options);
}

/**
 * One request through receiveWebhook (the real pipeline) with an enqueue that always succeeds and
 * PUBLIC_BASE as the public URL: the response and the envelopes queued.
 */
export async function sendSigned(
  ingress: ProviderIngress,
  secrets: readonly string[],
  event: APIGatewayProxyEventV2,
): Promise<{ statusCode: number; queued: string[] }> {
  const queued: string[] = [];
  const response = await receiveWebhook(ingress, event, {
    secrets: staticSecrets(secrets),
    enqueue: async (message) => {
      queued.push(message);
    },
    publicBaseUrl: PUBLIC_BASE,
  });
  return { statusCode: response.statusCode ?? 0, queued };
}
