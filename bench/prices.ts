/**
 * AWS list prices used by the cost model: us-east-1, on-demand, no free tier, first pricing tier.
 * Update the date with the figures; everything in bench/cost.ts derives from this one table.
 */
export const prices = {
  region: 'us-east-1',
  /** When these figures were read off the public AWS pricing pages. */
  asOf: '2026-11-23',
  apiGatewayHttpApi: {
    /** First 300 million requests a month. */
    usdPerMillionRequests: 1.0,
    /** A request is metered in 512 KB increments. */
    requestIncrementBytes: 512 * 1024,
  },
  lambda: {
    architecture: 'arm64',
    usdPerMillionRequests: 0.2,
    /** arm64, first 7.5 billion GB-s a month. */
    usdPerGbSecond: 0.0000133334,
    /** Duration is billed per millisecond, rounded up. */
    billingGranularityMs: 1,
  },
  sqs: {
    /** Standard queue, after the first million requests a month. */
    usdPerMillionRequests: 0.4,
    /** Every 64 KB chunk of a request's payload is billed as one request. */
    chunkBytes: 64 * 1024,
  },
  dynamodb: {
    /** On-demand, Standard table class (after the November 2024 price cut). */
    usdPerMillionWriteRequestUnits: 0.625,
    usdPerMillionReadRequestUnits: 0.125,
    /** One WRU writes up to 1 KB; one RRU is a strongly consistent read of up to 4 KB. */
    writeUnitBytes: 1024,
    readUnitBytes: 4096,
    usdPerGbMonth: 0.25,
    /** A GSI entry's size counts the index keys, projected attributes, table keys and this overhead. */
    indexEntryOverheadBytes: 100,
  },
  cloudwatchLogs: {
    /** Standard log class ingestion. */
    usdPerGbIngested: 0.5,
  },
} as const;

export type Prices = typeof prices;
