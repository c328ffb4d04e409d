/**
 * Writes a call's session history (lib/store/session-history.ts) without blocking the audio
 * path: each write goes to the store's write-behind queue (lib/store/write-queue.ts: batched,
 * retried with backoff, bounded) and failures are logged, never thrown. Entries are separate
 * items sorted by their sequence number, so they need not be written in order.
 */
import type { Logger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import type { Store } from '../../lib/store/client.ts';
import { appendTurn, createSession, flushSession, setAgentMessage, type SessionMeta, type TranscriptEntry } from '../../lib/store/session-history.ts';

/** Default wait of {@link HistoryWriter.flush} before a transfer, ms (HISTORY_FLUSH_TIMEOUT_MS). */
export const HISTORY_FLUSH_TIMEOUT_MS = Number(process.env.HISTORY_FLUSH_TIMEOUT_MS || 2000);

export class HistoryWriter {
  private seq = 0;
  /** Writes that were lost (for tests and metrics). */
  failures = 0;
  constructor(
    private readonly store: Store | undefined,
    readonly key: string,
    private readonly log: Logger,
  ) {}

  private enqueue(what: string, op: (s: Store) => Promise<void>): void {
    const store = this.store;
    if (!store) return;
    op(store).catch((err: Error) => {
      this.failures++;
      this.log.error({ err: err.message, key: redactKey(this.key), what }, 'session history write failed');
    });
  }

  start(meta: SessionMeta): void {
    this.enqueue('meta', (s) => createSession(s, this.key, meta));
  }

  /** Queues one entry; `at` defaults to now. */
  append(entry: Omit<TranscriptEntry, 'seq' | 'at'> & { at?: string }): void {
    const e: TranscriptEntry = { ...entry, seq: ++this.seq, at: entry.at ?? new Date().toISOString() };
    this.enqueue(`turn ${e.seq}`, (s) => appendTurn(s, this.key, e));
  }

  /**
   * Writes message_to_human_agent onto the meta item. Call it after {@link flush}: the meta
   * item is a whole-item put, which would replace an update written before it.
   * @returns when it is written or failed (logged); never rejects.
   */
  agentMessage(text: string): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    return setAgentMessage(store, this.key, text).catch((err: Error) => {
      this.failures++;
      this.log.error({ err: err.message, key: redactKey(this.key), what: 'agent message' }, 'session history write failed');
    });
  }

  /**
   * Resolves when every write queued so far is done (written or lost), or after `timeoutMs`
   * (ms): a transfer waits for it so the screen pop shows the whole conversation, but a store
   * outage never holds the caller longer than that.
   * @returns true when flushed, false on timeout (the writes stay queued).
   */
  async flush(timeoutMs = HISTORY_FLUSH_TIMEOUT_MS): Promise<boolean> {
    if (!this.store) return true;
    const done = await flushSession(this.store, this.key, timeoutMs);
    if (!done) this.log.warn({ key: redactKey(this.key), timeoutMs }, 'session history not flushed before the transfer; writes stay queued');
    return done;
  }
}
