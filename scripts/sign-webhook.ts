/**
 * `npm run sign -- <provider> <body file>`: prints one curl command that sends the file's exact
 * bytes to the local stack as the provider would, for every provider of lib/providers/list.ts —
 * signed with the provider's own signature functions (lib/providers/<name>/ingress.ts, sign.ts)
 * under the secret the local stack uses (`local.secret(process.env)`: the same variables, the same
 * dev defaults), or with the Basic credentials / path token in the URL for Bandwidth and CallKaro.
 * `npm run sign -- twilio test/fixtures/twilio/status-completed.txt | sh` sends it.
 * `npm run sign -- twilio --algorithm HMAC_SHA256 <file>` signs as a Twilio SharedKey does (HMAC-SHA256
 * with the first secret of TWILIO_AUTH_TOKEN, and the `X-Twilio-Webhooks-Signature-Settings` header).
 *
 * URL: PUBLIC_BASE_URL when set (what Twilio and Plivo signatures are checked against), else
 * http://127.0.0.1:$PORT (3000), + the provider's route path. Telnyx signs with the private seed of
 * the dev key pair (TELNYX_PRIVATE_SEED_HEX for another one); Vapi follows the VAPI_* auth settings.
 * Timestamped schemes (Telnyx, Retell, Vapi HMAC) must be sent within 5 minutes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { closest, wantsHelp } from '../lib/cli/args';
import { failSign, SIGN_USAGE } from '../lib/cli/sign';
import { useRunningStack } from '../lib/local/stack-file';
import { bandwidthIngress } from '../lib/providers/bandwidth/ingress';
import { bandwidthV2Ingress } from '../lib/providers/bandwidth-v2/ingress';
import { callkaroIngress } from '../lib/providers/callkaro/ingress';
import { formPairs } from '../lib/providers/form';
import { PROVIDER_NAMES, PROVIDERS } from '../lib/providers/list';
import { plivoIngress, plivoSignatureV3 } from '../lib/providers/plivo/ingress';
import {
  SIGNATURE_HEADER as RETELL_HEADER,
  retellDigest,
  retellIngress,
} from '../lib/providers/retell/ingress';
import { telnyxIngress, verifyTelnyxSignature } from '../lib/providers/telnyx/ingress';
import { DEV_PRIVATE_SEED_HEX, signTelnyx } from '../lib/providers/telnyx/sign';
import {
  type TwilioAlgorithm,
  twilioIngress,
  twilioSignature,
  twilioSignatureAlgorithm,
} from '../lib/providers/twilio/ingress';
import type { ProviderIngress } from '../lib/providers/types';
import { vapiAuthSettings, vapiIngress, vapiSignature } from '../lib/providers/vapi/ingress';
import { vonageIngress } from '../lib/providers/vonage/ingress';
import { signVonage } from '../lib/providers/vonage/sign';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

interface Request {
  url: string;
  headers: Record<string, string>;
}

interface Signer {
  ingress: ProviderIngress;
  /** The request for `body` to the route's URL (`{param}`s unfilled), given the local secret. */
  sign(body: Buffer, routeUrl: string, secret: string): Request;
}

// The running npm start's port (.local/stack.json) unless PORT or PUBLIC_BASE_URL is set.
useRunningStack();
const env = process.env;
const seconds = () => String(Math.floor(Date.now() / 1000));
/** Telnyx's rule (parseTelnyxBody): a JSON document starts with `{` or `[`, anything else is a form. */
const typeOf = (body: Buffer) => (/^\s*[{[]/.test(body.toString('utf8')) ? JSON_TYPE : FORM);

/** A note on stderr when the seed does not sign for the key the local stack checks with. */
function warnUnlessPair(seedHex: string, publicKey: string) {
  const probe = Buffer.from('probe');
  try {
    verifyTelnyxSignature(probe, signTelnyx(probe, seconds(), seedHex), [publicKey], new Date());
  } catch {
    console.error(
      'warning: TELNYX_PRIVATE_SEED_HEX is not the private half of TELNYX_PUBLIC_KEY; the stack will answer 401',
    );
  }
}

/** The URL the provider calls carries the credentials (Basic user:pass@, path token). */
const inUrl = (ingress: ProviderIngress): Signer => ({
  ingress,
  sign: (_body, routeUrl, secret) => ({
    url: ingress.local?.webhookUrl?.(routeUrl, secret) ?? routeUrl,
    headers: { 'content-type': JSON_TYPE },
  }),
});

const SIGNERS: Readonly<Record<string, Signer>> = {
  bandwidth: inUrl(bandwidthIngress),
  'bandwidth-v2': inUrl(bandwidthV2Ingress),
  callkaro: inUrl(callkaroIngress),
  twilio: {
    ingress: twilioIngress,
    // HMAC_SHA256: a SharedKey's signature, named by the settings header (the key id is not checked).
    sign: (body, url, secret) => ({
      url,
      headers: {
        'content-type': FORM,
        ...(twilioAlgorithm === 'HMAC_SHA256' && {
          'x-twilio-webhooks-signature-settings': 'key=local-sharedkey,algorithm=HMAC_SHA256',
        }),
        'x-twilio-signature': twilioSignature(secret, url, formPairs(body.toString('utf8')), twilioAlgorithm),
      },
    }),
  },
  plivo: {
    ingress: plivoIngress,
    sign: (body, url, token) => {
      const nonce = randomBytes(10).toString('hex');
      return {
        url,
        headers: {
          'content-type': FORM,
          'x-plivo-signature-v3': plivoSignatureV3(token, url, formPairs(body.toString('utf8')), nonce),
          'x-plivo-signature-v3-nonce': nonce,
        },
      };
    },
  },
  telnyx: {
    ingress: telnyxIngress,
    // The local secret is the public key; signing needs the private seed of its pair.
    sign: (body, url, publicKey) => {
      const seedHex = env.TELNYX_PRIVATE_SEED_HEX || DEV_PRIVATE_SEED_HEX;
      warnUnlessPair(seedHex, publicKey);
      return { url, headers: { 'content-type': typeOf(body), ...signTelnyx(body, seconds(), seedHex) } };
    },
  },
  vonage: {
    ingress: vonageIngress,
    sign: (body, url, secret) => ({
      url,
      headers: { 'content-type': JSON_TYPE, ...signVonage(body, secret) },
    }),
  },
  retell: {
    ingress: retellIngress,
    sign: (body, url, apiKey) => {
      const ms = Date.now();
      return {
        url,
        headers: {
          'content-type': JSON_TYPE,
          [RETELL_HEADER]: `v=${ms},d=${retellDigest(body, ms, apiKey)}`,
        },
      };
    },
  },
  vapi: {
    ingress: vapiIngress,
    sign: (body, url, secret) => {
      const { mode, hmac } = vapiAuthSettings(env);
      const headers: Record<string, string> = { 'content-type': JSON_TYPE };
      if (mode === 'bearer') headers.authorization = `Bearer ${secret}`;
      else if (mode !== 'hmac') headers['x-vapi-secret'] = secret;
      else {
        const timestamp = hmac.payloadFormat.includes('{timestamp}') ? seconds() : '';
        if (timestamp !== '') headers[hmac.timestampHeader] = timestamp;
        headers[hmac.signatureHeader] = vapiSignature(hmac, body, timestamp, secret);
      }
      return { url, headers };
    },
  },
};

function usage(problem = 'expected <provider> <body file>'): never {
  failSign(2, problem);
}

const args = process.argv.slice(2);
if (wantsHelp(args)) {
  process.stdout.write(SIGN_USAGE);
  process.exit(0);
}
// `--algorithm <name>` (Twilio only): HMAC_SHA1 (the Auth Token's, the default) or HMAC_SHA256 (a SharedKey's).
const flag = args.indexOf('--algorithm');
const algorithmName =
  flag === -1 ? undefined : (args.splice(flag, 2)[1] ?? usage('--algorithm needs a name'));
const twilioAlgorithm: TwilioAlgorithm =
  (algorithmName === undefined ? 'HMAC_SHA1' : twilioSignatureAlgorithm(`algorithm=${algorithmName}`)) ??
  usage(`unsupported --algorithm "${algorithmName}" (HMAC_SHA1 or HMAC_SHA256)`);
const [provider = '', file] = args;
if (algorithmName !== undefined && provider !== 'twilio') usage('--algorithm applies to twilio only');
const signer = Object.hasOwn(SIGNERS, provider) ? SIGNERS[provider] : undefined;
const route = PROVIDERS.find((entry) => entry.name === provider);
if (args.length !== 2 || file === undefined) usage();
if (signer === undefined || route === undefined) {
  const guess = closest(provider, PROVIDER_NAMES);
  usage(
    `unknown provider "${provider}"${guess ? ` (did you mean ${guess}?)` : ''}; known: ${PROVIDER_NAMES.join(', ')}`,
  );
}
let body: Buffer;
try {
  body = readFileSync(file);
} catch (error) {
  usage(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
}

try {
  const baseUrl = (env.PUBLIC_BASE_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, '');
  const secrets = signer.ingress.local?.secret(env);
  const secret = secrets?.secrets[0];
  if (secret === undefined) throw new Error(`${provider} has no local secret`);
  const { url, headers } = signer.sign(body, `${baseUrl}${route.path}`, secret);
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const options = Object.entries(headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`);
  // The status on a line of its own after the response body: 200 means accepted. Any other
  // status makes curl exit 22 (the body still printed), so `| sh` fails too.
  const status = quote('\\nHTTP %{http_code}\\n');
  console.log(
    `curl -sS --fail-with-body -w ${status} ${options.join(' ')} --data-binary @${quote(file)} ${quote(url)}`,
  );
} catch (error) {
  // A bad setting (VAPI_AUTH_MODE=…, a ':' in a Basic user name): one line, as npm start says it.
  failSign(1, (error as Error).message);
}
