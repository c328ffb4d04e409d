/** Lambda: applies a media-core outcome to NICE CXone (signal with p1); see functions/outcome-function.ts. */
import { loadApplier } from '../../adapters/nice-cxone/applier.ts';
import { outcomeFunction } from '../outcome-function.ts';

export const handler = outcomeFunction('nice_cxone', 'nice-cxone', loadApplier);
