/**
 * A local fake of Vonage's list-calls API, as documented (reconcile-apis.md §4; Nexmo/api-specification
 * `definitions/voice.yml` getCalls; @vonage/voice `getCallsPage`): `GET /v1/calls`, Bearer JWT
 * (RS256, signed with the application's private key, `application_id` claim, not expired; 401
 * otherwise), `date_start`/`date_end` (ISO 8601; compared with the call's *start* time here, the
 * stricter reading of "records that occurred after/before"), `status`, `page_size` 1..100 (default
 * 10), `record_index`, `order` asc|desc. A page is `{count, page_size, record_index, _links,
 * _embedded: {calls}}`; an empty page has no `_embedded`. Faults: test/support/fake-api.ts.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { bearer, type FakeApi, json, startFakeApi } from '../support/fake-api';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

export const VONAGE_FAKE_CREDENTIALS = {
  applicationId: 'aaaaaaaa-0000-4000-8000-00000000fa6e',
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

export type VonageApiCall = Record<string, unknown> & { uuid: string; status: string; start_time: string };

/** A completed inbound call as the list returns it (`BasicCallDetail`, snake_case on the wire). */
export function vonageApiCall(
  spec: { uuid: string; endedAt: Date; status?: string } & Record<string, unknown>,
): VonageApiCall {
  const { uuid, endedAt, status = 'completed', ...rest } = spec;
  const start = new Date(endedAt.getTime() - 60_000);
  return {
    _links: { self: { href: `/v1/calls/${uuid}` } },
    uuid,
    conversation_uuid: `CON-${uuid}`,
    to: { type: 'phone', number: '447700900000' },
    from: { type: 'phone', number: '442079460000' },
    status,
    direction: 'inbound',
    rate: '0.00450000',
    price: '0.00450000',
    duration: status === 'completed' ? '60' : '0',
    start_time: start.toISOString(),
    end_time: endedAt.toISOString(),
    network: 'GB-FIXED',
    ...rest,
  } as VonageApiCall;
}

function verifiedClaims(token: string | null, key: KeyObject): Record<string, unknown> | null {
  const parts = token?.split('.') ?? [];
  if (parts.length !== 3) return null;
  const [header, claims, signature] = parts as [string, string, string];
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return null;
    if (!verify('sha256', Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, 'base64url')))
      return null;
    return JSON.parse(Buffer.from(claims, 'base64url').toString());
  } catch {
    return null;
  }
}

export interface VonageFake extends FakeApi {
  calls: VonageApiCall[];
  /** The application's public key: replace it to make every JWT fail (a rotated key). */
  publicKey: KeyObject;
  applicationId: string;
}

export async function startVonageFake(
  calls: VonageApiCall[] = [],
  options: { port?: number } = {},
): Promise<VonageFake> {
  const fake = {
    calls,
    publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
    applicationId: VONAGE_FAKE_CREDENTIALS.applicationId,
  } as VonageFake;
  const api = await startFakeApi((request) => {
    const claims = verifiedClaims(bearer(request.headers), fake.publicKey);
    if (
      claims === null ||
      claims.application_id !== fake.applicationId ||
      !(typeof claims.exp === 'number' && claims.exp * 1000 > Date.now())
    )
      return json(401, {
        type: 'https://developer.nexmo.com/api-errors#unauthorized',
        title: 'Unauthorized',
      });
    if (request.method !== 'GET' || request.path !== '/v1/calls') return json(404, { title: 'Not Found' });
    const q = request.query;
    const pageSize = Number(q.get('page_size') ?? 10);
    const index = Number(q.get('record_index') ?? 0);
    const order = q.get('order') ?? 'asc';
    if (
      !Number.isInteger(pageSize) ||
      pageSize < 1 ||
      pageSize > 100 ||
      !Number.isInteger(index) ||
      index < 0
    )
      return json(400, { title: 'Bad Request', detail: 'page_size must be 1 to 100' });
    if (order !== 'asc' && order !== 'desc') return json(400, { title: 'Bad Request', detail: 'order' });
    const bounds = ['date_start', 'date_end'].map((name) => {
      const raw = q.get(name);
      return raw === null ? null : Date.parse(raw);
    });
    if (bounds.some((b) => b !== null && Number.isNaN(b)))
      return json(400, { title: 'Bad Request', detail: 'date_start/date_end must be ISO 8601' });
    const [start, end] = bounds;
    const selected = fake.calls
      .filter((c) => {
        const at = Date.parse(c.start_time);
        return (start == null || at >= start) && (end == null || at <= end);
      })
      .filter((c) => q.get('status') === null || c.status === q.get('status'))
      .sort((a, b) => (Date.parse(a.start_time) - Date.parse(b.start_time)) * (order === 'asc' ? 1 : -1));
    const items = selected.slice(index, index + pageSize);
    const self = `/v1/calls?page_size=${pageSize}&record_index=${index}&order=${order}`;
    const next = `/v1/calls?page_size=${pageSize}&record_index=${index + pageSize}&order=${order}`;
    return json(200, {
      count: selected.length,
      page_size: pageSize,
      record_index: index,
      _links: { self: { href: self }, ...(index + pageSize < selected.length && { next: { href: next } }) },
      ...(items.length > 0 && { _embedded: { calls: items } }),
    });
  }, options);
  return Object.assign(fake, api);
}
