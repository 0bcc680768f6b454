/**
 * Bandwidth v1 ingress: HTTP Basic authentication (v1 has no signatures; the credentials are in the
 * callback URL the user registers) and identification of the event. Loaded on every cold start of
 * the webhook Lambda, so it imports node:crypto and the repo's own modules only.
 */
import { BadRequestError, UnauthorizedError } from '../../errors';
import { matchesAnySecret, sameSecret } from '../secret-match';
import type { DeliveryIdentity, LocalWebhookSetup, ProviderIngress, WebhookRequest } from '../types';

const CHALLENGE = 'Basic realm="webhooks", charset="UTF-8"';

/** Events about one call: without their callId the consumer could not attach them to a call. */
const CALL_EVENTS: ReadonlySet<string> = new Set([
  'hangup',
  'answer',
  'incomingcall',
  'timeout',
  'playback',
  'gather',
  'dtmf',
  'speak',
  'recording',
  'transcription',
  'redirect',
  'reject',
]);

export const MAX_CALL_ID_LENGTH = 200;

const BASIC_AUTHORIZATION = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

// Fatal decoding so bytes that are not UTF-8 fail instead of silently becoming U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const unauthorized = () => new UnauthorizedError('missing or invalid credentials', CHALLENGE);

interface Credentials {
  user: string;
  pass: string;
}

/** RFC 7617: the user-id cannot contain a colon, so the first one separates it from the password. */
function splitCredentials(text: string): Credentials | null {
  const colon = text.indexOf(':');
  return colon < 0 ? null : { user: text.slice(0, colon), pass: text.slice(colon + 1) };
}

function credentialsOf(header: unknown): Credentials | null {
  if (typeof header !== 'string') return null;
  const match = BASIC_AUTHORIZATION.exec(header);
  const encoded = match?.[1];
  if (encoded === undefined) return null;
  try {
    return splitCredentials(utf8.decode(Buffer.from(encoded, 'base64')));
  } catch {
    return null;
  }
}

function authenticate(request: WebhookRequest, secrets: readonly string[]): void {
  const submitted = credentialsOf(request.headers.authorization);
  if (submitted === null) throw unauthorized();
  const matched = matchesAnySecret(secrets, (secret) => {
    const expected = splitCredentials(secret);
    if (expected === null) return false;
    // Both halves are always compared, so timing does not tell a right user from a right password.
    const userMatches = sameSecret(submitted.user, expected.user);
    const passMatches = sameSecret(submitted.pass, expected.pass);
    return userMatches && passMatches;
  });
  if (!matched) throw unauthorized();
}

const own = (body: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(body, key) ? body[key] : undefined;

function identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const eventType = own(body, 'eventType');
  if (typeof eventType !== 'string' || eventType === '') throw new BadRequestError('body has no eventType');
  const callId = own(body, 'callId');
  if (callId !== undefined && callId !== null && typeof callId !== 'string') {
    throw new BadRequestError('callId is not a string');
  }
  if (typeof callId === 'string' && callId.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`callId is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  const present = typeof callId === 'string' && callId !== '' ? callId : null;
  if (present === null && CALL_EVENTS.has(eventType)) {
    throw new BadRequestError(`${eventType} event has no callId`);
  }
  return { eventType, callId: present };
}

/** Local stack: Basic credentials from the environment; the registered URL carries them as user:pass@. */
const local: LocalWebhookSetup = {
  secret(env) {
    const user = env.BANDWIDTH_WEBHOOK_USERNAME || 'bandwidth';
    const pass = env.BANDWIDTH_WEBHOOK_PASSWORD || 'dev-password';
    if (user.includes(':')) throw new Error('BANDWIDTH_WEBHOOK_USERNAME cannot contain ":"');
    return {
      secret: `${user}:${pass}`,
      display: `${user}:${env.BANDWIDTH_WEBHOOK_PASSWORD ? '***' : pass}`,
      defaulted: !env.BANDWIDTH_WEBHOOK_USERNAME && !env.BANDWIDTH_WEBHOOK_PASSWORD,
      variables: ['BANDWIDTH_WEBHOOK_USERNAME', 'BANDWIDTH_WEBHOOK_PASSWORD'],
    };
  },
  webhookUrl(routeUrl, secret) {
    const url = new URL(routeUrl);
    const { user, pass } = splitCredentials(secret) ?? { user: secret, pass: '' };
    url.username = user;
    url.password = pass;
    return url.href;
  },
};

export const bandwidthIngress: ProviderIngress = { name: 'bandwidth', authenticate, identify, local };
