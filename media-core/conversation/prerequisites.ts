/**
 * Checks, at start, that the programs the configured embedded speech needs are installed,
 * so a missing one reads as the apt-get command that installs it, not as a failed call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { MediaCoreConfig } from '../config/schema.ts';

interface Need {
  program: string;
  packages: string;
}

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** @returns one message per missing prerequisite (empty when all are there). */
export function missingSpeechPrerequisites(config: MediaCoreConfig): string[] {
  const needs = new Map<string, Need>();
  const models = new Set<string>();
  for (const s of Object.values(config.speech)) {
    if (s.tts.provider === 'espeak') {
      needs.set('espeak-ng', { program: 'espeak-ng', packages: 'espeak-ng' });
      needs.set('sox', { program: 'sox', packages: 'sox' });
    }
    if (s.stt.provider === 'pocketsphinx') {
      needs.set('pocketsphinx_continuous', { program: 'pocketsphinx_continuous', packages: 'pocketsphinx pocketsphinx-en-us' });
      models.add(s.stt.hmm);
      models.add(s.stt.dict);
    }
  }
  const out: string[] = [];
  for (const n of needs.values()) if (!onPath(n.program)) out.push(`${n.program} not found: install it with \`apt-get install -y ${n.packages}\``);
  for (const m of models) if (!existsSync(m)) out.push(`pocketsphinx model ${m} not found: install it with \`apt-get install -y pocketsphinx-en-us\``);
  return out;
}
