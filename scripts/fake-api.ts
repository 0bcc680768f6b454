/**
 * `npm run fake-api -- <twilio|retell|vapi|plivo|vonage|bandwidth-v2|telnyx> [--calls N] [--hours H] [--port P]`: a local fake of the
 * provider's list-calls API (test/fakes/), seeded with N ended calls over the last H hours, for the
 * docs/reconcile.md's backfill walkthrough. Prints the two variables that point backfill at it; Ctrl-C stops.
 */
import { parseArgs } from 'node:util';
import {
  BANDWIDTH_V2_FAKE_CREDENTIALS,
  bandwidthV2ApiCall,
  startBandwidthV2Fake,
} from '../test/fakes/bandwidth-v2-api';
import { PLIVO_FAKE_CREDENTIALS, plivoApiCall, startPlivoFake } from '../test/fakes/plivo-api';
import { RETELL_FAKE_API_KEY, retellApiCall, startRetellFake } from '../test/fakes/retell-api';
import { startTelnyxFake, TELNYX_FAKE_API_KEY, telnyxDetailRecord } from '../test/fakes/telnyx-api';
import { seedTwilioCalls, startTwilioFake, TWILIO_FAKE_CREDENTIALS } from '../test/fakes/twilio-api';
import { startVapiFake, VAPI_FAKE_API_KEY, vapiApiCall } from '../test/fakes/vapi-api';
import { startVonageFake, VONAGE_FAKE_CREDENTIALS, vonageApiCall } from '../test/fakes/vonage-api';

const USAGE =
  'usage: npm run fake-api -- <twilio|retell|vapi|plivo|vonage|bandwidth-v2|telnyx> [--calls N] [--hours H] [--port P]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    calls: { type: 'string', default: '20' },
    hours: { type: 'string', default: '24' },
    port: { type: 'string', default: '0' },
  },
});
const provider = positionals[0];
const count = Number(values.calls);
const hours = Number(values.hours);
const port = Number(values.port);
if (!Number.isInteger(count) || count < 0 || !(hours > 0) || !Number.isInteger(port)) {
  console.error(USAGE);
  process.exit(2);
}
const until = new Date(Date.now() - 5 * 60_000);
const since = new Date(until.getTime() - hours * 3_600_000);
const at = (i: number) =>
  new Date(
    since.getTime() + Math.floor(((i + 0.5) * (until.getTime() - since.getTime())) / Math.max(1, count)),
  );

const fakeUuid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

let fake: { url: string; close(): Promise<void> };
let credentials: unknown;
if (provider === 'twilio') {
  fake = await startTwilioFake(seedTwilioCalls(count, since, until), TWILIO_FAKE_CREDENTIALS, { port });
  credentials = {
    accountSid: TWILIO_FAKE_CREDENTIALS.accountSid,
    authToken: TWILIO_FAKE_CREDENTIALS.authToken,
  };
} else if (provider === 'retell') {
  const calls = Array.from({ length: count }, (_, i) =>
    retellApiCall({ call_id: `call_fake${i}`, end_timestamp: at(i).getTime() }),
  );
  fake = await startRetellFake(calls, RETELL_FAKE_API_KEY, { port });
  credentials = { apiKey: RETELL_FAKE_API_KEY };
} else if (provider === 'vapi') {
  const calls = Array.from({ length: count }, (_, i) =>
    vapiApiCall({ id: `fake-call-${i}`, endedAt: at(i).toISOString() }),
  );
  fake = await startVapiFake(calls, VAPI_FAKE_API_KEY, { port });
  credentials = { apiKey: VAPI_FAKE_API_KEY };
} else if (provider === 'plivo') {
  // UUIDs from the index, so a re-started fake lists the same calls.
  const calls = Array.from({ length: count }, (_, i) =>
    plivoApiCall({ callUuid: fakeUuid(i), endedAt: new Date(Math.floor(at(i).getTime() / 1000) * 1000) }),
  );
  fake = await startPlivoFake(calls, { ...PLIVO_FAKE_CREDENTIALS }, { port });
  credentials = PLIVO_FAKE_CREDENTIALS;
} else if (provider === 'vonage') {
  const calls = Array.from({ length: count }, (_, i) => vonageApiCall({ uuid: fakeUuid(i), endedAt: at(i) }));
  fake = await startVonageFake(calls, { port });
  credentials = VONAGE_FAKE_CREDENTIALS;
} else if (provider === 'bandwidth-v2') {
  const calls = Array.from({ length: count }, (_, i) =>
    bandwidthV2ApiCall({ callId: `c-fake-${i}`, endedAt: at(i) }),
  );
  fake = await startBandwidthV2Fake(calls, { ...BANDWIDTH_V2_FAKE_CREDENTIALS }, { port });
  credentials = BANDWIDTH_V2_FAKE_CREDENTIALS;
} else if (provider === 'telnyx') {
  const records = Array.from({ length: count }, (_, i) =>
    telnyxDetailRecord({ id: `fake-record-${i}`, leg: `fake-leg-${i}`, endedAt: at(i) }),
  );
  fake = await startTelnyxFake(records, TELNYX_FAKE_API_KEY, { port });
  credentials = { apiKey: TELNYX_FAKE_API_KEY };
} else {
  console.error(USAGE);
  process.exit(2);
}
const prefix = provider.toUpperCase().replace(/-/g, '_');
console.log(
  `fake ${provider} API with ${count} ended calls from ${since.toISOString()} to ${until.toISOString()}`,
);
console.log('point backfill (or npm start) at it:');
console.log(`export ${prefix}_API_BASE_URL=${fake.url}`);
console.log(`export ${prefix}_API_CREDENTIALS='${JSON.stringify(credentials)}'`);
const stop = () => fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
