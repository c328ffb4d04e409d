/**
 * `npm run numbers -- import numbers.csv | list | export [file]`: the phone numbers the
 * integration answers (lib/store/numbers.ts), as the hosted product's Phone number tab.
 *
 * - import: reads a CSV (lib/numbers-csv.ts: `phone_number,description[,integration]` with a
 *   header row) and replaces the whole list; any bad row is reported by line number and then
 *   nothing is applied. `--dry-run` checks only.
 * - list: the numbers in force, one a line.
 * - export: the list as a CSV that import takes back (to stdout, or to a file).
 *
 * The integrations (their names) and `numbers.defaultCountry` come from the media core's
 * configuration (CONFIG_FILE, default media-core/config/demo.json); the table from
 * STATE_TABLE / DYNAMODB_ENDPOINT, else the local stack's (scripts/state-store.ts).
 * Media cores pick the new list up within `numbers.cacheTtlMs` (5 s), without a restart.
 * Exit codes: 0 done, 1 bad rows or the table failed, 2 usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatNumbersCsv, parseNumbersCsv } from '../lib/numbers-csv.ts';
import type { Store } from '../lib/store/client.ts';
import { listNumbers, replaceNumbers } from '../lib/store/numbers.ts';
import { loadConfigFile } from '../media-core/config/load.ts';
import { integrationName } from '../media-core/config/schema.ts';
import { REPO_ROOT } from '../dev/repo-root.ts';
import { toolStore } from './state-store.ts';

export const NUMBERS_USAGE = 'usage: npm run numbers -- import <file.csv> [--dry-run] | list | export [<file.csv>]';

/** Largest CSV file read, bytes (10,000 numbers with long descriptions fit easily). */
export const MAX_CSV_BYTES = 4 * 1024 * 1024;

export type NumbersCommand = { cmd: 'import'; file: string; dryRun: boolean } | { cmd: 'list' } | { cmd: 'export'; file?: string };

/** @throws Error with the usage line. */
export function parseNumbersArgs(argv: string[]): NumbersCommand {
  const [cmd, ...rest] = argv;
  const dryRun = rest.includes('--dry-run');
  const args = rest.filter((a) => a !== '--dry-run');
  if (cmd === 'import' && args.length === 1) return { cmd, file: args[0]!, dryRun };
  if (cmd === 'list' && rest.length === 0) return { cmd };
  if (cmd === 'export' && args.length <= 1 && !dryRun) return { cmd, file: args[0] };
  throw new Error(NUMBERS_USAGE);
}

export interface NumbersToolDeps {
  store: Store;
  where: string;
  /** Configured integration names and default country. */
  integrations: string[];
  defaultCountry?: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs one command. @returns the exit code. */
export async function runNumbersCommand(c: NumbersCommand, d: NumbersToolDeps): Promise<number> {
  if (c.cmd === 'import') {
    let text: string;
    try {
      const buf = readFileSync(c.file);
      if (buf.length > MAX_CSV_BYTES) {
        d.err(`${c.file}: ${buf.length} bytes; at most ${MAX_CSV_BYTES}`);
        return 1;
      }
      text = buf.toString('utf8');
    } catch (err) {
      d.err(`${c.file}: ${(err as Error).message}`);
      return 1;
    }
    const r = parseNumbersCsv(text, { integrations: d.integrations, defaultCountry: d.defaultCountry });
    if ('problems' in r) {
      for (const p of r.problems.slice(0, 100)) d.err(`${c.file}:${p.line}: ${p.message}`);
      if (r.problems.length > 100) d.err(`... and ${r.problems.length - 100} more`);
      d.err(`${r.problems.length} bad row${r.problems.length === 1 ? '' : 's'}; nothing imported, the list in force is unchanged`);
      return 1;
    }
    if (c.dryRun) {
      d.out(`${c.file}: ${r.entries.length} numbers, all valid (dry run: nothing imported)`);
      return 0;
    }
    const version = await replaceNumbers(d.store, r.entries);
    d.out(`imported ${r.entries.length} numbers into ${d.where} (version ${version}); they replace the previous list`);
    return 0;
  }
  const list = await listNumbers(d.store);
  if (c.cmd === 'export') {
    const csv = formatNumbersCsv(list.entries);
    if (c.file) {
      writeFileSync(c.file, csv);
      d.err(`exported ${list.entries.length} numbers to ${c.file}`);
    } else {
      process.stdout.write(csv);
    }
    return 0;
  }
  if (!list.version) {
    d.out(`no numbers list in ${d.where} yet (a media core seeds it from its configuration at start)`);
    return 0;
  }
  const w = Math.max(12, ...list.entries.map((e) => e.phoneNumber.length));
  const iw = Math.max(11, ...list.entries.map((e) => e.integration.length));
  d.out(`${'phone number'.padEnd(w)}  ${'integration'.padEnd(iw)}  description`);
  for (const e of list.entries) d.out(`${e.phoneNumber.padEnd(w)}  ${e.integration.padEnd(iw)}  ${e.description}`);
  d.out(`${list.entries.length} numbers (${d.where}, set ${list.updatedAt ?? '?'})`);
  return 0;
}

async function main(): Promise<number> {
  let c: NumbersCommand;
  try {
    c = parseNumbersArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const { config } = loadConfigFile(process.env.CONFIG_FILE ?? join(REPO_ROOT, 'media-core/config/demo.json'));
  const { store, where } = toolStore();
  try {
    return await runNumbersCommand(c, {
      store,
      where,
      integrations: config.integrations.map(integrationName),
      defaultCountry: config.numbers.defaultCountry,
      out: (l) => process.stdout.write(`${l}\n`),
      err: (l) => process.stderr.write(`${l}\n`),
    });
  } catch (err) {
    process.stderr.write(`${where}: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => process.exit(code));
}
