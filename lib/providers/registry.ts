/** The consumer's view of the providers: a new provider adds its normalizer here. */

import { bandwidthNormalizer } from './bandwidth/normalize';
import { bandwidthV2Normalizer } from './bandwidth-v2/normalize';
import { callkaroNormalizer } from './callkaro/normalize';
import { telnyxNormalizer } from './telnyx/normalize';
import type { ProviderNormalizer } from './types';
import { vonageNormalizer } from './vonage/normalize';

export const normalizers: Readonly<Record<string, ProviderNormalizer>> = Object.freeze({
  [bandwidthNormalizer.name]: bandwidthNormalizer,
  [callkaroNormalizer.name]: callkaroNormalizer,
  [telnyxNormalizer.name]: telnyxNormalizer,
  [vonageNormalizer.name]: vonageNormalizer,
  [bandwidthV2Normalizer.name]: bandwidthV2Normalizer,
});
