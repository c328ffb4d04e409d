/**
 * How full the speech queues are, for admission by headroom: each bounded speech queue
 * (speech-to-text decoders, text-to-speech syntheses) registers a probe, and admission asks
 * whether any is at or over its bound before it admits a new call.
 */

/** A queue's fill: requests waiting (not yet running) and the bound on them, and its pace. */
export interface SpeechQueueLoad {
  /** Requests waiting for a worker, count. */
  depth: number;
  /** Waiting requests the queue accepts before it refuses, count. */
  bound: number;
  /** Workers (requests served at once), count. */
  concurrency: number;
  /** Requests accepted since start, count (cumulative). */
  requests: number;
  /** Median time one of the last 32 requests held a worker, ms (at least the queue's expected time). */
  serviceMs: number;
}

const probes = new Map<string, () => SpeechQueueLoad>();

/** Registers (or replaces) the probe of a named queue, e.g. "stt" or "tts". Returns its removal. */
export function registerSpeechQueue(name: string, probe: () => SpeechQueueLoad): () => void {
  probes.set(name, probe);
  return () => {
    if (probes.get(name) === probe) probes.delete(name);
  };
}

/** Every registered queue's current fill, by name. */
export function speechQueueLoads(): Record<string, SpeechQueueLoad> {
  const out: Record<string, SpeechQueueLoad> = {};
  for (const [name, probe] of probes) out[name] = probe();
  return out;
}

/**
 * The name of the first queue whose waiting requests have reached `fraction` of its bound
 * (0-1, default 1), or undefined when all have room.
 */
export function speechQueueOverBound(fraction = 1): string | undefined {
  for (const [name, probe] of probes) {
    const { depth, bound } = probe();
    if (depth >= bound * fraction) return name;
  }
  return undefined;
}
