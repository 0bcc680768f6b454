/** Scheduled: the provider's list API → calls without a record → the deliveries queue (lib/aws-reconcile.ts). */
import { awsReconcileJob, reconcileOnce } from '../lib/aws-reconcile';
import { lazy } from '../lib/config';
import { withObservability } from '../lib/observe';

const job = lazy(() => awsReconcileJob());

export const handler = withObservability(async () => reconcileOnce(job()));
