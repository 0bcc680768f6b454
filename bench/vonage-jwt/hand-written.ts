/** Bench entry: the deployed Vonage webhook, plus its JWT check as shipped (hand-written, node:crypto). */
import { verifyVonageSignature } from '../../lib/providers/vonage/ingress';

export { handler } from '../../functions/vonage-webhook';

export async function verify(
  rawBody: Buffer,
  headers: Record<string, string>,
  secrets: string[],
  now: Date,
): Promise<void> {
  verifyVonageSignature(rawBody, headers, secrets, now);
}
