/** Stored deliveries, for tests of the code that reads them (envelope, item mapping, normalizers). */
import type { Delivery } from '../../lib/envelope';

/**
 * A delivery of `body` as the ingress stores it, by default one of the CallKaro seed call;
 * objects are serialized, strings kept byte for byte.
 */
export const delivery = (body: unknown, overrides: Partial<Delivery> = {}): Delivery => ({
  deliveryId: 'delivery-1',
  provider: 'callkaro',
  receivedAt: '2025-12-19T10:33:08.123Z',
  requestId: 'request-1',
  eventType: 'call_ended',
  callId: '2303fa770b666a64ab1694c1e',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...overrides,
});
