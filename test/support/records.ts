/**
 * Expected call records, written out once as literal data: what the consumer must make of each seed
 * payload (test/fixtures/<provider>/), and a sample record for code that only reads records.
 */
import { expect } from 'vitest';
import type { CallRecord } from '../../lib/record';

/** Any receivedAt the ingress stamps (ISO 8601 UTC with milliseconds), for records it made. */
export const anyReceivedAt = (): string => expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

/** The Bandwidth seed hangup, normalized, as received at `receivedAt`. */
export const bandwidthSeedRecord = (receivedAt: string): CallRecord => ({
  provider: 'bandwidth',
  callId: '{callId}',
  from: '+13233326955',
  to: '+13233326955',
  direction: null,
  startedAt: null,
  answeredAt: null,
  endedAt: '2012-11-14T15:56:12.636Z',
  durationSeconds: null,
  outcome: 'completed',
  answered: true,
  hangupCause: 'NORMAL_CLEARING',
  receivedAt,
  details: {
    callUri: 'https://api.catapult.inetwork.com/v1/users/{userId}/calls/{callId}',
    callState: null,
  },
});

/** The CallKaro seed call_ended, normalized (its IST times in UTC), as received at `receivedAt`. */
export const callkaroSeedRecord = (receivedAt: string): CallRecord => ({
  provider: 'callkaro',
  callId: '2303fa770b666a64ab1694c1e',
  from: '+919876543210',
  to: '+918765432109',
  direction: 'outbound',
  startedAt: '2025-12-19T10:31:07.000Z',
  answeredAt: null,
  endedAt: '2025-12-19T10:33:07.000Z',
  durationSeconds: 120,
  outcome: 'completed',
  answered: true,
  hangupCause: 'CLIENT_INITIATED',
  receivedAt,
  details: {
    callType: 'outbound',
    agentId: '6803fa770b666a64ab1694c1e',
    agentVersionId: '1203fa770b666a64ab1694c1e',
    batchId: '0303fa770b666a64ab1694c1e',
    recordingUrl: 'https://example.com/recording.mp3',
    transcription: 'Full call transcript...',
    metadata: { name: 'Jatin', age: 25 },
    tryCount: 0,
    postCall: { lead_status: 'interested' },
    postCallDetail: { lead_status: { value: 'interested', comment: 'Customer showed interest' } },
    functionsCalled: [{ name: 'update_crm', success: true, timestamp: '2025-12-19T15:25:00.000Z' }],
    dispositionReason: 'Customer requested callback',
    converted: true,
    nextCallScheduled: false,
    callLink: 'https://callkaro.ai/dashboard/call-history?call_id=abc123',
  },
});

/** A record shaped like the CallKaro seed's, with short details, for code that only reads records. */
export const sampleRecord = (overrides: Partial<CallRecord> = {}): CallRecord => ({
  ...callkaroSeedRecord('2025-12-19T10:33:08.000Z'),
  details: { agentId: 'agent-1', transcription: 'Agent: hello\nCustomer: hi' },
  ...overrides,
});
