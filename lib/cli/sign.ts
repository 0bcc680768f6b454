/**
 * `npm run -s sign`'s usage and failures. Its stdout is meant for `| sh`, so a failure must fail
 * the pipe too: besides the one line on stderr, it prints `exit <status>` on stdout when stdout is
 * not a terminal, and sh exits with that status instead of running nothing and exiting 0.
 */
import { PROVIDER_NAMES } from '../providers/list';
import { USAGE_EXIT, usageLine } from './args';

export const SIGN_COMMAND = 'npm run -s sign --';

export const SIGN_USAGE = `usage: npm run -s sign -- <provider> <body file> | sh
       npm run -s sign -- twilio --algorithm <HMAC_SHA1|HMAC_SHA256> <body file> | sh

Prints one curl command that sends the file's exact bytes to the running local stack (npm start) as
the provider would: signed with the provider's own algorithm under the secret the stack uses (the
same variables and dev defaults), or with the Basic credentials / path token in the URL.
\`| sh\` runs it; curl prints the response body, then "HTTP <status>", and exits 22 unless the
status is 2xx (--fail-with-body). When sign itself fails it prints "exit <status>" for sh.

providers: ${PROVIDER_NAMES.join(', ')}

environment (all optional):
  PORT                     the stack's HTTP port (default: the running npm start's, else 3000)
  PUBLIC_BASE_URL          sign for and send to this base URL instead of http://127.0.0.1:$PORT
  <provider secrets>       as npm start reads them (TWILIO_AUTH_TOKEN, VAPI_WEBHOOK_SECRET, …)
  TELNYX_PRIVATE_SEED_HEX  Telnyx: the Ed25519 private seed (64 hex digits) to sign with; default:
                           the dev key pair's, whose public half is npm start's default
                           TELNYX_PUBLIC_KEY. Set it with TELNYX_PUBLIC_KEY when you set that.
  VAPI_AUTH_MODE, VAPI_HMAC_*  Vapi: sign as the stack checks (see the provider table)

--algorithm HMAC_SHA256 signs Twilio as a SharedKey does (X-Twilio-Webhooks-Signature-Settings and
HMAC-SHA256 with the first line of TWILIO_AUTH_TOKEN); default HMAC_SHA1 (the Auth Token's).

Timestamped schemes (Telnyx, Retell, Vapi HMAC) must be sent within 5 minutes.
Exit status: 0 printed, 1 cannot sign (a setting), 2 bad arguments.
`;

/** Ends sign: one line on stderr, and `exit <status>` for a `| sh` reading stdout. */
export function failSign(status: number, message: string, stdoutIsTerminal = process.stdout.isTTY): never {
  process.stderr.write(status === USAGE_EXIT ? usageLine(SIGN_COMMAND, message) : `error: ${message}\n`);
  if (!stdoutIsTerminal) process.stdout.write(`exit ${status}\n`);
  process.exit(status);
}
