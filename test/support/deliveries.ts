/** Stored deliveries, for tests of the code that reads them (envelope, item mapping, normalizers). */
import type { Delivery } from '../../lib/envelope';

/** The event type the ingress would have identified: CallKaro's `event` or Bandwidth's `eventType`. */
function eventTypeOf(body: unknown): string {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return 'call_ended';
    }
  }
  const fields = (value ?? {}) as { event?: unknown; eventType?: unknown };
  const named = typeof fields.event === 'string' ? fields.event : fields.eventType;
  return typeof named === 'string' && named !== '' ? named : 'call_ended';
}

/**
 * A delivery of `body` as the ingress stores it, by default one of the CallKaro seed call;
 * objects are serialized, strings kept byte for byte, the event type read as the ingress reads it.
 */
export const delivery = (body: unknown, overrides: Partial<Delivery> = {}): Delivery => ({
  deliveryId: 'delivery-1',
  provider: 'callkaro',
  receivedAt: '2025-12-19T10:33:08.123Z',
  requestId: 'request-1',
  eventType: eventTypeOf(body),
  callId: '2303fa770b666a64ab1694c1e',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...overrides,
});
