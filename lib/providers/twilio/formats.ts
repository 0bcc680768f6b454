/**
 * Twilio's documented formats (issue 18, spec §6), checked after the signature. Twilio signs the
 * sorted `key+value` pairs with no separator, so one captured request can be re-split under its own
 * signature (`CallSid=CA…MachineDetectionDuration4000`, a `From` swallowing the next pair); what no
 * Twilio callback carries is refused with 400 instead. Enumerated values (`CallStatus`,
 * `Direction`, `AnsweredBy`, …) are never checked: spec §1 acknowledges their new members.
 * Sources:
 * - SIDs: "Twilio identifies every resource with a 34-character String Identifier (SID) … a
 *   two-letter prefix followed by 32 hexadecimal digits", CA = Call, AC = Account
 *   (twilio.com/docs/glossary/what-is-a-sid); "CallSid … 34 characters long, and always starts with
 *   the letters CA", "AccountSid … always starts with the letters AC" (twilio.com/docs/api/twiml/twilio_request).
 * - From/To/Caller/Called/ForwardedFrom: E.164 numbers, `client:<identity>`, `sip:<uri>`
 *   (shared/providers-next.md §1; twilio.com/docs/api/twiml/twilio_request), a withheld caller as a
 *   name (`Anonymous`, `Restricted`, … — also kept as sent by the records, spec §6); digits without
 *   `+` are let through too, since not every caller id reaching Twilio is E.164; `To`/`Called` are
 *   empty on some client calls (left unchecked when empty).
 * - Timestamp: "the time of the event, given as UTC in RFC 2822 format" (status callback docs,
 *   twilio.com/docs/voice/api/call-resource#statuscallback; shared/providers-next.md §1).
 * - CallDuration, SequenceNumber: whole numbers (seconds; the callback's order) as text.
 * Values that are absent or empty are not checked; non-string values (the JSON `bodySHA256` variant)
 * are left to the reader, which treats them as unreadable.
 */
import { BadRequestError } from '../../errors';
import { ownField } from '../identity';

const sid = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);
const ADDRESS = /^(?:\+?\d{1,20}|(?:client|sip|sips):[^\s\p{Cc}]+|[A-Za-z]{1,32})$/u;
const RFC_2822 =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}$/;
const WHOLE_NUMBER = /^\d{1,10}$/;

const ADDRESS_REASON = 'is not a phone number, client:, sip: or a withheld-caller name';
const FORMATS: readonly (readonly [string, RegExp, string])[] = [
  ['CallSid', sid('CA'), 'is not CA followed by 32 hex digits'],
  ['ParentCallSid', sid('CA'), 'is not CA followed by 32 hex digits'],
  ['AccountSid', sid('AC'), 'is not AC followed by 32 hex digits'],
  ...['From', 'To', 'Caller', 'Called', 'ForwardedFrom'].map(
    (field) => [field, ADDRESS, ADDRESS_REASON] as const,
  ),
  ['Timestamp', RFC_2822, 'is not an RFC 2822 date'],
  ['CallDuration', WHOLE_NUMBER, 'is not a whole number of seconds'],
  ['SequenceNumber', WHOLE_NUMBER, 'is not a whole number'],
];

/** Throws BadRequestError (one line naming the field) for a value outside Twilio's documented format. */
export function checkTwilioFormats(fields: Readonly<Record<string, unknown>>): void {
  for (const [field, format, reason] of FORMATS) {
    const value = ownField(fields, field);
    if (typeof value === 'string' && value !== '' && !format.test(value)) {
      throw new BadRequestError(`${field} ${reason}`);
    }
  }
}
