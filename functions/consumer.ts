/** SQS → one call record per call in DynamoDB; failed messages are reported one by one. */
import { awsConsumerDeps } from '../lib/aws-consumer';
import { lazy } from '../lib/config';
import { createConsumerHandler } from '../lib/consumer';
import { withObservability } from '../lib/observe';

export const handler = withObservability(createConsumerHandler(lazy(awsConsumerDeps)));
