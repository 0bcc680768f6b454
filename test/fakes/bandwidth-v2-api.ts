/**
 * A local fake of Bandwidth Voice API v2's list-calls API, as documented (reconcile-apis.md §5;
 * bandwidth-sdk `api/calls-api.ts`, `bandwidth.yml`): `GET /accounts/{accountId}/calls`, HTTP Basic
 * with an API user's username and password (401 otherwise, 403 for another account),
 * `minStartTime`/`maxStartTime` (inclusive, ISO 8601; there is no end-time filter), `pageSize`
 * 1..10000 (default 1000), oldest first, a bare array of call states, the next page in a
 * `Link: <…?pageToken=…>; rel="next"` header. Calls that hung up more than 7 days ago are gone.
 * Faults: test/support/fake-api.ts.
 */
import { basicCredentials, type FakeApi, json, startFakeApi } from '../support/fake-api';

export const BANDWIDTH_V2_FAKE_CREDENTIALS = {
  accountId: '9900000',
  username: 'fake-bandwidth-api-user',
  password: 'fake-bandwidth-api-password',
};

export type BandwidthV2ApiCall = Record<string, unknown> & {
  callId: string;
  startTime: string;
  endTime: string | null;
  state: string;
};

/** A call state as `GET /accounts/{id}/calls` returns it (bandwidth-sdk `models/call-state.ts`). */
export function bandwidthV2ApiCall(
  spec: Partial<BandwidthV2ApiCall> & { callId: string; endedAt?: Date; seconds?: number },
): BandwidthV2ApiCall {
  const { endedAt = new Date('2026-11-30T10:01:00.000Z'), seconds = 60, ...rest } = spec;
  const start = new Date(endedAt.getTime() - seconds * 1000 - 5_000);
  return {
    applicationId: '04e88489-df02-4e34-a0ee-27a91849555f',
    accountId: BANDWIDTH_V2_FAKE_CREDENTIALS.accountId,
    to: '+19195551234',
    from: '+19195554321',
    direction: 'outbound',
    state: 'disconnected',
    stirShaken: { verstat: 'TN-Verification-Passed', attestationIndicator: 'A' },
    identity: null,
    enqueuedTime: new Date(start.getTime() - 1_000).toISOString(),
    startTime: start.toISOString(),
    answerTime: new Date(start.getTime() + 5_000).toISOString(),
    endTime: endedAt.toISOString(),
    disconnectCause: 'hangup',
    errorMessage: null,
    errorId: null,
    lastUpdate: endedAt.toISOString(),
    parentCallId: null,
    ...rest,
  } as BandwidthV2ApiCall;
}

export interface BandwidthV2Fake extends FakeApi {
  calls: BandwidthV2ApiCall[];
  credentials: { accountId: string; username: string; password: string };
}

const RETENTION_MS = 7 * 86_400_000;

export async function startBandwidthV2Fake(
  calls: BandwidthV2ApiCall[] = [],
  credentials = { ...BANDWIDTH_V2_FAKE_CREDENTIALS },
  options: { port?: number } = {},
): Promise<BandwidthV2Fake> {
  const fake = { calls, credentials } as BandwidthV2Fake;
  const error = (status: number, type: string, description: string) => json(status, { type, description });
  const api = await startFakeApi((request) => {
    const basic = basicCredentials(request.headers);
    if (basic === null || basic[0] !== fake.credentials.username || basic[1] !== fake.credentials.password)
      return error(401, 'unauthorized', 'Authentication Failed');
    const match = /^\/accounts\/([^/]+)\/calls$/.exec(request.path);
    if (request.method !== 'GET' || match === null) return error(404, 'not-found', 'Not Found');
    if (match[1] !== fake.credentials.accountId)
      return error(403, 'forbidden', 'Access to this account is forbidden');
    const pageSize = Number(request.query.get('pageSize') ?? 1000);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
      return error(400, 'validation', 'pageSize must be between 1 and 10000');
    const bound = (name: string) => {
      const raw = request.query.get(name);
      return raw === null ? null : Date.parse(raw);
    };
    const min = bound('minStartTime');
    const max = bound('maxStartTime');
    if (Number.isNaN(min) || Number.isNaN(max))
      return error(400, 'validation', 'minStartTime and maxStartTime must be ISO 8601');
    const gone = Date.now() - RETENTION_MS;
    const selected = fake.calls
      .filter((c) => c.endTime === null || Date.parse(c.endTime) >= gone)
      .filter(
        (c) =>
          (min === null || Date.parse(c.startTime) >= min) &&
          (max === null || Date.parse(c.startTime) <= max),
      )
      .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime) || (a.callId < b.callId ? -1 : 1));
    const offset = Number(request.query.get('pageToken') ?? 0);
    if (!Number.isInteger(offset) || offset < 0) return error(400, 'validation', 'invalid pageToken');
    const page = selected.slice(offset, offset + pageSize);
    const headers: Record<string, string> = {};
    if (offset + pageSize < selected.length) {
      const next = new URLSearchParams(request.query);
      next.set('pageToken', String(offset + pageSize));
      headers.link = `<${api.url}${request.path}?${next}>; rel="next"`;
    }
    return { ...json(200, page), headers };
  }, options);
  return Object.assign(fake, api);
}
