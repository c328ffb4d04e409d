/**
 * Routing: the called number (Request-URI user, with or without "+", visual separators
 * ignored) selects the integration through the numbers list (lib/store/numbers.ts: number ->
 * owning integration, as the hosted product's Phone number tab).
 *
 * The list comes from the state table when there is one, so every media core of a fleet
 * routes alike and an import (npm run numbers -- import) is picked up without a restart: the
 * router keeps the list for `ttlMs` (5 s by default); a call that arrives when the list is
 * older waits for one read (bounded by `readTimeoutMs`, 1 s), so at most one call in `ttlMs`
 * pays a DynamoDB read and an idle instance makes none. When a read fails or is late the last
 * list stays in force. Until the first read, and without a state table, the list is the
 * configuration's own: every integration's `number` plus `numbers.seed`.
 */
import type { NumberEntry } from '../../lib/store/numbers.ts';
import { integrationName, type IntegrationConfig, type MediaCoreConfig } from '../config/schema.ts';

/** "+1 (555) 010-0001", "15550100001", "+15550100001" -> "+15550100001"; undefined when not a number. */
export function toE164(user: string): string | undefined {
  const s = decodeURIComponent(user).trim().replace(/[\s().-]/g, '');
  const m = /^\+?([1-9]\d{1,14})$/.exec(s);
  return m ? `+${m[1]}` : undefined;
}

/** The numbers list the configuration file describes (seed of the state table; the list without one). */
export function configNumbers(config: Pick<MediaCoreConfig, 'integrations'> & { numbers?: MediaCoreConfig['numbers'] }): NumberEntry[] {
  return [
    ...config.integrations.map((i) => ({ phoneNumber: i.number, description: '', integration: integrationName(i) })),
    ...(config.numbers?.seed ?? []).map((s) => ({ phoneNumber: s.phone_number, description: s.description, integration: s.integration })),
  ];
}

export interface RouterOptions {
  /** The list until `source` answers (default: each integration's own number). */
  seed?: readonly NumberEntry[];
  /** Reads the list in force; undefined when none is stored (the seed stays). */
  source?: () => Promise<readonly NumberEntry[] | undefined>;
  /** How long a read list is used before reading again, ms (default 5000). */
  ttlMs?: number;
  /** Longest wait for one read, ms (default 1000); a later answer is still taken. */
  readTimeoutMs?: number;
  /** A read failed, or the list names integrations this media core does not have. */
  onProblem?: (message: string) => void;
}

/** `route(calledUser)` returns the integration or undefined (-> 404). */
export interface Router {
  (calledUser: string): IntegrationConfig | undefined;
  /** Reads the list now (concurrent calls share one read); resolves within readTimeoutMs. Never rejects. */
  refresh(): Promise<void>;
  /** True when there is a source and the list in memory is older than ttlMs: refresh() before routing. */
  readonly stale: boolean;
  /** Numbers routed now. */
  readonly size: number;
}

/** Builds the router; with a `source`, the first call (or refresh()) reads the list. */
export function createRouter(integrations: readonly IntegrationConfig[], opts: RouterOptions = {}): Router {
  const byName = new Map(integrations.map((i) => [integrationName(i), i]));
  const build = (entries: readonly NumberEntry[]) => {
    const m = new Map<string, IntegrationConfig>();
    const unknown = new Set<string>();
    for (const e of entries) {
      const i = byName.get(e.integration);
      if (i) m.set(e.phoneNumber, i);
      else unknown.add(e.integration);
    }
    if (unknown.size) opts.onProblem?.(`numbers list names integrations this configuration lacks: ${[...unknown].slice(0, 5).join(', ')}`);
    return m;
  };
  let byNumber = build(opts.seed ?? integrations.map((i) => ({ phoneNumber: i.number, description: '', integration: integrationName(i) })));
  const ttlMs = opts.ttlMs ?? 5000;
  let readAt = -Infinity;
  const readTimeoutMs = opts.readTimeoutMs ?? 1000;
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    const source = opts.source;
    if (!source) return Promise.resolve();
    const read = (inFlight ??= (async () => {
      try {
        const entries = await source();
        if (entries) byNumber = build(entries);
      } catch (err) {
        opts.onProblem?.(`numbers list not read, the last one stays: ${(err as Error).name}: ${(err as Error).message}`);
      } finally {
        readAt = performance.now();
        inFlight = undefined;
      }
    })());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        opts.onProblem?.(`numbers list read takes over ${readTimeoutMs} ms; routing by the last list meanwhile`);
        resolve();
      }, readTimeoutMs);
    });
    return Promise.race([read, late]).finally(() => clearTimeout(timer));
  };

  const route = ((calledUser: string) => {
    let n: string | undefined;
    try {
      n = toE164(calledUser);
    } catch {
      return undefined;
    }
    return n ? byNumber.get(n) : undefined;
  }) as Router;
  route.refresh = refresh;
  Object.defineProperty(route, 'size', { get: () => byNumber.size });
  Object.defineProperty(route, 'stale', { get: () => opts.source !== undefined && performance.now() - readAt > ttlMs });
  return route;
}
