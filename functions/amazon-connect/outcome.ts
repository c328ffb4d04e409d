/** Lambda: applies a media-core outcome to Amazon Connect (UpdateContactAttributes); see functions/outcome-function.ts. */
import { loadApplier } from '../../adapters/amazon-connect/applier.ts';
import { outcomeFunction } from '../outcome-function.ts';

export const handler = outcomeFunction('amazon_connect', 'amazon-connect', loadApplier);
