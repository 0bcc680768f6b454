/** One structured logger for every function; never given raw bodies, transcripts or auth headers. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'call-intake' });
