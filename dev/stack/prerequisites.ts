/**
 * System packages the local stack and `npm run call` need, checked on PATH before anything
 * starts so that a missing one reads as an install command rather than as a stack trace.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** One required command and the Debian/Ubuntu packages that provide it. */
export interface Prerequisite {
  command: string;
  packages: string[];
  why: string;
}

export const ESPEAK: Prerequisite = { command: 'espeak-ng', packages: ['espeak-ng'], why: 'text-to-speech of the embedded assistant' };
export const POCKETSPHINX: Prerequisite = { command: 'pocketsphinx_continuous', packages: ['pocketsphinx', 'pocketsphinx-en-us'], why: 'speech-to-text of the embedded assistant' };
export const SIPP: Prerequisite = { command: 'sipp', packages: ['sip-tester'], why: 'places calls for npm run call' };
export const SOX: Prerequisite = { command: 'sox', packages: ['sox'], why: 'converts speech to 8 kHz mu-law for npm run call --say' };

/** What `npm start` needs (the media core's embedded speech). */
export const STACK_PREREQUISITES = [ESPEAK, POCKETSPHINX];
/** The one-line install command for everything the README mentions. */
export const INSTALL_ALL = 'sudo apt-get install espeak-ng pocketsphinx pocketsphinx-en-us sip-tester';

/** Full path of `command` on `path` (PATH syntax), or undefined. */
export function which(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The prerequisites whose command is not on `path`. */
export function missingPrerequisites(needed: Prerequisite[], path = process.env.PATH ?? ''): Prerequisite[] {
  return needed.filter((p) => !which(p.command, path));
}

/**
 * A human message naming each missing command, why it is needed, and the install command.
 * Returns '' when nothing is missing.
 */
export function formatMissing(missing: Prerequisite[]): string {
  if (missing.length === 0) return '';
  const packages = [...new Set(missing.flatMap((p) => p.packages))];
  return [
    `Missing system package${missing.length > 1 ? 's' : ''}:`,
    ...missing.map((p) => `  - ${p.command} (${p.why}), from package ${p.packages.join(' + ')}`),
    `Install with:  sudo apt-get install ${packages.join(' ')}`,
    `(everything at once: ${INSTALL_ALL})`,
  ].join('\n');
}

/** Thrown by startStack and call.ts when prerequisites are missing; `message` is the install advice. */
export class MissingPrerequisitesError extends Error {
  constructor(readonly missing: Prerequisite[]) {
    super(formatMissing(missing));
    this.name = 'MissingPrerequisitesError';
  }
}
