/**
 * The Lambda that applies a media-core outcome for one API vendor (route 'lambda' in
 * adapters/registry.ts). Invoked by the media core with Lambda Invoke (RequestResponse);
 * event = OutcomeEvent JSON (events/outcome.ts); returns an AdapterReply. Never throws: every
 * failure is a reply, so the media core always gets an answer inside OUTCOME_DEADLINE_MS
 * (plus one store write). Each vendor's entry file (functions/<vendor>/outcome.ts) is one
 * call of {@link outcomeFunction}, so its bundle carries only that vendor's client.
 */
import middy from '@middy/core';
import type { AdapterReply, Vendor } from '../events/outcome.ts';
import type { LoadApplier, OutcomeApplier } from '../adapters/vendor-descriptor.ts';
import { rejectedReply } from '../adapters/common/reply.ts';
import { getStore } from '../lib/store/client.ts';
import { createLogger } from '../lib/log.ts';
import { redactKey } from '../lib/redact.ts';
import { functionMetrics } from './middleware/metrics.ts';

/**
 * The handler of `vendor`'s outcome function.
 * @param name the vendor's folder name (logger `<name>-outcome`, metric `<name>.outcome`).
 * @param loadApplier the vendor's apply step (adapters/<vendor>/applier.ts); built once per warm function.
 */
export function outcomeFunction(vendor: Vendor, name: string, loadApplier: LoadApplier) {
  const log = createLogger(`${name}-outcome`);
  let applier: Promise<OutcomeApplier> | undefined;

  async function outcome(event: unknown): Promise<AdapterReply> {
    const startedAt = Date.now();
    let a: OutcomeApplier;
    try {
      a = await (applier ??= loadApplier());
    } catch (err) {
      applier = undefined;
      log.error({ err: (err as Error).message }, 'configuration invalid');
      const id = (event as { outcomeId?: unknown })?.outcomeId;
      return rejectedReply({ outcomeId: typeof id === 'string' ? id : 'unknown', vendor }, 'not_configured', (err as Error).message, 0);
    }
    const reply = await a.apply(event, { store: getStore(), log, startedAt });
    const e = (event ?? {}) as { kind?: string; sessionHistoryKey?: string };
    log.info({ outcomeId: reply.outcomeId, kind: e.kind, key: redactKey(e.sessionHistoryKey), status: reply.status, reason: reply.status === 'rejected' ? reply.reason : undefined, attempts: reply.attempts, ms: Date.now() - startedAt }, 'outcome');
    return reply;
  }

  return middy<unknown, AdapterReply>().use(functionMetrics(`${name}.outcome`).middleware).handler(outcome);
}
