/** The consumer's view of the providers: a new provider adds its normalizer here. */

import { bandwidthNormalizer } from './bandwidth/normalize';
import { bandwidthV2Normalizer } from './bandwidth-v2/normalize';
import { callkaroNormalizer } from './callkaro/normalize';
import { plivoNormalizer } from './plivo/normalize';
import { retellNormalizer } from './retell/normalize';
import { telnyxNormalizer } from './telnyx/normalize';
import { twilioNormalizer } from './twilio/normalize';
import type { ProviderNormalizer } from './types';
import { vapiNormalizer } from './vapi/normalize';
import { vonageNormalizer } from './vonage/normalize';

export const normalizers: Readonly<Record<string, ProviderNormalizer>> = Object.freeze({
  [bandwidthNormalizer.name]: bandwidthNormalizer,
  [callkaroNormalizer.name]: callkaroNormalizer,
  [twilioNormalizer.name]: twilioNormalizer,
  [plivoNormalizer.name]: plivoNormalizer,
  [telnyxNormalizer.name]: telnyxNormalizer,
  [vonageNormalizer.name]: vonageNormalizer,
  [bandwidthV2Normalizer.name]: bandwidthV2Normalizer,
  [retellNormalizer.name]: retellNormalizer,
  [vapiNormalizer.name]: vapiNormalizer,
});
