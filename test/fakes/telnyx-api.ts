/**
 * A local fake of Telnyx's Detail Records API for Call Control, as documented (reconcile-apis.md §3;
 * telnyx-node `resources/detail-records.ts`): `GET /v2/detail_records` with Bearer API key (401
 * otherwise), `filter[record_type]` required (`call-control` here; 400 without it),
 * `filter[finished_at][gte|gt|lte|lt]`, `page[number]` (from 1) and `page[size]` 1..50 (default 20),
 * `sort=finished_at`; `{ data: [...], meta: { page_number, page_size, total_pages, total_results } }`.
 * A record's fields follow Telnyx's detail-record example (`telnyx_leg_id`, `cli`, `cld`, …).
 * Faults: test/support/fake-api.ts.
 */
import { bearer, type FakeApi, json, startFakeApi } from '../support/fake-api';

export const TELNYX_FAKE_API_KEY = 'KEYfake0123456789telnyx';

export type TelnyxDetailRecord = Record<string, unknown> & { id: string; finished_at: string };

/** A call-control detail record of an answered outbound call that ended at `endedAt`. */
export function telnyxDetailRecord(
  spec: Partial<TelnyxDetailRecord> & { id: string; leg?: string | null; endedAt?: Date; seconds?: number },
): TelnyxDetailRecord {
  const { leg, endedAt = new Date('2026-11-30T10:01:00.000Z'), seconds = 60, ...rest } = spec;
  const started = new Date(endedAt.getTime() - seconds * 1000 - 4_000);
  return {
    record_type: 'call-control',
    ...(leg !== null && { telnyx_leg_id: leg ?? `leg-${spec.id}` }),
    telnyx_session_id: `session-${spec.id}`,
    telnyx_call_control_id: `v3:control-${spec.id}`,
    cli: '+13129457420',
    cld: '+35319605860',
    direction: 'outbound',
    started_at: started.toISOString(),
    answered_at: new Date(started.getTime() + 4_000).toISOString(),
    finished_at: endedAt.toISOString(),
    call_sec: seconds,
    billed_sec: seconds,
    hangup_cause: 'normal_clearing',
    ...rest,
  } as TelnyxDetailRecord;
}

export interface TelnyxFake extends FakeApi {
  records: TelnyxDetailRecord[];
  apiKey: string;
}

const OPERATORS: [string, (a: number, b: number) => boolean][] = [
  ['gte', (a, b) => a >= b],
  ['gt', (a, b) => a > b],
  ['lte', (a, b) => a <= b],
  ['lt', (a, b) => a < b],
];

export async function startTelnyxFake(
  records: TelnyxDetailRecord[] = [],
  apiKey = TELNYX_FAKE_API_KEY,
  options: { port?: number } = {},
): Promise<TelnyxFake> {
  const fake = { records, apiKey } as TelnyxFake;
  const error = (status: number, code: string, title: string, detail: string) =>
    json(status, { errors: [{ code, title, detail }] });
  const api = await startFakeApi((request) => {
    if (bearer(request.headers) !== fake.apiKey)
      return error(401, '10009', 'Authentication failed', 'The API key is missing or invalid.');
    if (request.method !== 'GET' || request.path !== '/v2/detail_records')
      return error(404, '10005', 'Resource not found', 'The requested resource was not found.');
    const type = request.query.get('filter[record_type]');
    if (type === null) return error(400, '10015', 'Bad Request', 'filter[record_type] is required');
    const number = Number(request.query.get('page[number]') ?? 1);
    const size = Number(request.query.get('page[size]') ?? 20);
    if (!Number.isInteger(number) || number < 1 || !Number.isInteger(size) || size < 1 || size > 50)
      return error(400, '10015', 'Bad Request', 'page[size] must be between 1 and 50');
    let selected = fake.records.filter((r) => r.record_type === type);
    for (const [op, compare] of OPERATORS) {
      const raw = request.query.get(`filter[finished_at][${op}]`);
      if (raw === null) continue;
      const bound = Date.parse(raw);
      if (Number.isNaN(bound))
        return error(400, '10015', 'Bad Request', `filter[finished_at][${op}] is not a date`);
      selected = selected.filter((r) => compare(Date.parse(r.finished_at), bound));
    }
    selected.sort((a, b) => Date.parse(a.finished_at) - Date.parse(b.finished_at) || (a.id < b.id ? -1 : 1));
    const totalPages = Math.max(1, Math.ceil(selected.length / size));
    return json(200, {
      data: selected.slice((number - 1) * size, number * size),
      meta: { page_number: number, page_size: size, total_pages: totalPages, total_results: selected.length },
    });
  }, options);
  return Object.assign(fake, api);
}
