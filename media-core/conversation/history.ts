/**
 * Writes a call's session history (lib/store/session-history.ts) without blocking the audio
 * path: each write is queued behind the previous one of the same session (so entries keep
 * their order) and failures are logged, never thrown.
 */
import type { Logger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import type { Store } from '../../lib/store/client.ts';
import { appendTurn, createSession, setAgentMessage, type SessionMeta, type TranscriptEntry } from '../../lib/store/session-history.ts';

export class HistoryWriter {
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;
  /** Writes that failed (for tests and metrics). */
  failures = 0;
  constructor(
    private readonly store: Store | undefined,
    readonly key: string,
    private readonly log: Logger,
  ) {}

  private enqueue(what: string, op: (s: Store) => Promise<void>): void {
    const store = this.store;
    if (!store) return;
    this.chain = this.chain.then(() =>
      op(store).catch((err: Error) => {
        this.failures++;
        this.log.error({ err: err.message, key: redactKey(this.key), what }, 'session history write failed');
      }),
    );
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
   * Queues message_to_human_agent onto the meta item (after the meta's own write).
   * @returns when it is written or failed (logged), so a transfer can wait for it.
   */
  agentMessage(text: string): Promise<void> {
    this.enqueue('agent message', (s) => setAgentMessage(s, this.key, text));
    return this.chain;
  }

  /** Resolves when every queued write has finished (tests, drain). */
  flush(): Promise<void> {
    return this.chain;
  }
}
