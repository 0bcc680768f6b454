/**
 * Plivo's documented formats (issue 18, spec §6), checked after the signature. Signature V3 signs
 * the sorted `key+value` pairs with no separator, so one captured request can be re-split under its
 * own signature (`CallUUID=<uuid>Directionoutbound`); what no Plivo callback carries is refused with
 * 400 instead. Enumerated values (`CallStatus`, `Direction`, `Event`, `HangupCauseName`, …) are
 * never checked: spec §1 acknowledges their new members. Sources:
 * - CallUUID, ALegUUID, ALegRequestUUID, RequestUUID: UUIDs (8-4-4-4-12 hex) in every example of
 *   Plivo's docs (plivo.com/docs/voice/api/call, e.g. `eba53b9e-8fbd-45c1-9444-696d2172fbc8`) and
 *   of plivo-go's signature vectors (utils_test.go; shared/providers-next.md §5).
 * - From/To/ForwardedFrom: "the phone number … with the country code" (plivo.com/docs/voice/xml/request),
 *   E.164 digits without `+` (`14157654321`) or a SIP URI (`sip:john1234@phone.plivo.com`,
 *   plivo.com/docs/voice/api/call/make-a-call); a withheld caller as a name (`Anonymous`, …).
 * - StartTime/AnswerTime/EndTime/SessionStart: `yyyy-MM-dd HH:mm:ss` (SessionStart with microseconds,
 *   `2020-04-08 11:34:33.238707`) with no zone (shared/providers-next.md §5); AnswerTime is empty when
 *   the call was not answered.
 * - Duration, BillDuration: integer seconds.
 * Values that are absent or empty are not checked.
 */
import { BadRequestError } from '../../errors';
import { ownField } from '../identity';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ADDRESS = /^(?:\+?\d{1,20}|sips?:[^\s\p{Cc}]+|[A-Za-z]{1,32})$/u;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;
const WHOLE_NUMBER = /^\d{1,10}$/;

const FORMATS: readonly (readonly [string, RegExp, string])[] = [
  ...['CallUUID', 'ALegUUID', 'ALegRequestUUID', 'RequestUUID'].map(
    (field) => [field, UUID, 'is not a UUID'] as const,
  ),
  ...['From', 'To', 'ForwardedFrom'].map(
    (field) => [field, ADDRESS, 'is not a phone number, sip: or a withheld-caller name'] as const,
  ),
  ...['StartTime', 'AnswerTime', 'EndTime', 'SessionStart'].map(
    (field) => [field, LOCAL_TIME, 'is not a yyyy-MM-dd HH:mm:ss time'] as const,
  ),
  ...['Duration', 'BillDuration'].map(
    (field) => [field, WHOLE_NUMBER, 'is not a whole number of seconds'] as const,
  ),
];

/** Throws BadRequestError (one line naming the field) for a value outside Plivo's documented format. */
export function checkPlivoFormats(fields: Readonly<Record<string, unknown>>): void {
  for (const [field, format, reason] of FORMATS) {
    const value = ownField(fields, field);
    if (typeof value === 'string' && value !== '' && !format.test(value)) {
      throw new BadRequestError(`${field} ${reason}`);
    }
  }
}
