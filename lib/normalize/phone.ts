import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A provider's party address as the record stores it: E.164 with `+` for phone numbers (digits
 * without `+` included), `sip:user@host` for SIP addresses, anything else (e.g. "Anonymous",
 * `client:alice`) trimmed but kept. Non-strings and empty strings become null. Never throws.
 */
export function normalizeAddress(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^sips?:/i.test(trimmed)) return trimmed;
  if (trimmed.includes('@')) return `sip:${trimmed}`;
  // Providers send international numbers with or without the leading '+'; both mean E.164 digits.
  const candidate = trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
  try {
    const phone = parsePhoneNumberFromString(candidate);
    return phone?.isPossible() ? phone.number : trimmed;
  } catch {
    // The library on untrusted text: a failure keeps the value as sent, never drops the event.
    return trimmed;
  }
}
