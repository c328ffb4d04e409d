/**
 * Builds the pocketsphinx decoder pool the runtime uses: long-lived helper processes
 * (media-core/native/stt_decoder.c) where `npm run build:native` built the helper, else one
 * pocketsphinx_continuous process per utterance (same pool, same bounds, more CPU).
 */
import { existsSync } from 'node:fs';
import { helperBinaryPath, OneShotWorker, SttHelperProcess } from './stt-helper.ts';
import { runPocketsphinx } from './stt-pocketsphinx.ts';
import { SttDecoderPool } from './stt-pool.ts';

export interface DecoderPoolOptions {
  hmm: string;
  dict: string;
  /** Queue name ("stt"). */
  name?: string;
  /** Decoder processes; 0 or undefined: one per core. */
  size?: number;
  queueBound?: number;
  deadlineMs?: number;
  /** Nice value of the helpers (default 10). */
  nice?: number;
  onWorkerError?: (err: Error) => void;
}

/** Which worker kind a pool built now would use. */
export function decoderKind(): 'helper' | 'pocketsphinx_continuous' {
  return existsSync(helperBinaryPath()) ? 'helper' : 'pocketsphinx_continuous';
}

export function createDecoderPool(o: DecoderPoolOptions): SttDecoderPool {
  const helper = decoderKind() === 'helper';
  return new SttDecoderPool({
    name: o.name,
    size: o.size || undefined,
    queueBound: o.queueBound,
    deadlineMs: o.deadlineMs,
    onWorkerError: o.onWorkerError,
    spawn: helper ? () => SttHelperProcess.start({ hmm: o.hmm, dict: o.dict, nice: o.nice }) : async () => new OneShotWorker({ hmm: o.hmm, dict: o.dict }, runPocketsphinx),
  });
}
