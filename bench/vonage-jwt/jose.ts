/**
 * Bench entry: the deployed Vonage webhook, plus the same check done with `jose` (issue 17 item 3):
 * `jwtVerify` with the HS256 allow-list and no clock tolerance (as @vonage/jwt), payload_hash ours.
 */
import { jwtVerify } from 'jose';
import { UnauthorizedError } from '../../lib/errors';
import { verifyPayloadHash } from '../../lib/providers/vonage/ingress';

export { handler } from '../../functions/vonage-webhook';

export async function verify(
  rawBody: Buffer,
  headers: Record<string, string>,
  secrets: string[],
  now: Date,
): Promise<void> {
  const token = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '')?.[1];
  if (token === undefined) throw new UnauthorizedError('missing Vonage JWT');
  let claims: Record<string, unknown> | undefined;
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
        algorithms: ['HS256'],
        currentDate: now,
        clockTolerance: 0,
      });
      claims ??= payload;
    } catch {
      // not this secret
    }
  }
  if (claims === undefined) throw new UnauthorizedError('invalid Vonage JWT');
  verifyPayloadHash(claims, rawBody);
}
