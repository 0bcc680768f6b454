/**
 * HTTP Basic authentication for providers that put `user:pass@` in the URL they call (Bandwidth v1
 * and v2). The 401 always carries `WWW-Authenticate: Basic`: Bandwidth v2 sends a request without
 * credentials first and only retries with them after that challenge (RFC 7235).
 */
import { UnauthorizedError } from '../errors';
import { matchesAnySecret, sameSecret } from './secret-match';
import type { LocalWebhookSetup, WebhookRequest } from './types';

const CHALLENGE = 'Basic realm="webhooks", charset="UTF-8"';

const BASIC_AUTHORIZATION = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

// Fatal decoding so bytes that are not UTF-8 fail instead of silently becoming U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const unauthorized = (absent = false) =>
  new UnauthorizedError('missing or invalid credentials', CHALLENGE, { absent });

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

/** Throws a challenging 401 unless the Authorization header holds one of `secrets` (`user:pass` each). */
export function authenticateBasic(request: WebhookRequest, secrets: readonly string[]): void {
  const submitted = credentialsOf(request.headers.authorization);
  // No Authorization header: the challenge a Basic client waits for. Any other unreadable one is wrong.
  if (submitted === null) throw unauthorized(request.headers.authorization === undefined);
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

/** Local stack: `user:pass` from two variables (dev defaults when unset); the URL carries them as user:pass@. */
export function localBasicAuth(
  [userVariable, passVariable]: readonly [string, string],
  devUser: string,
): LocalWebhookSetup {
  return {
    secret(env) {
      // Half a pair is a mistake, not a wish for the other half's dev default.
      for (const [set, unset] of [
        [userVariable, passVariable],
        [passVariable, userVariable],
      ] as const) {
        if (env[set] && !env[unset])
          throw new Error(`${set} is set but ${unset} is not: set both (or neither, for the dev defaults)`);
      }
      const user = env[userVariable] || devUser;
      const pass = env[passVariable] || 'dev-password';
      if (user.includes(':')) throw new Error(`${userVariable} cannot contain ":"`);
      return {
        secrets: [`${user}:${pass}`],
        display: `${user}:${env[passVariable] ? '***' : pass}`,
        defaulted: !env[userVariable] && !env[passVariable],
        variables: [userVariable, passVariable],
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
}
