/**
 * `npm run mau -- --month 2026-12`: prints the monthly active users of a month (UTC), the
 * number of distinct callers counted by lib/store/mau.ts. Without --month, the current month.
 * Reads the state table of STATE_TABLE / DYNAMODB_ENDPOINT, else the local stack's
 * (scripts/state-store.ts). Exit codes: 0 printed, 2 usage, 1 the table could not be read.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monthOf, monthlyActiveUsers } from '../lib/store/mau.ts';
import { toolStore } from './state-store.ts';

export const MAU_USAGE = 'usage: npm run mau -- [--month yyyy-mm]';

/** Parses the arguments. @returns the month ("yyyy-mm"). @throws Error with the usage line. */
export function parseMauArgs(argv: string[], now = Date.now()): string {
  let month = monthOf(now);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--month' && i + 1 < argv.length) month = argv[++i]!;
    else if (a.startsWith('--month=')) month = a.slice('--month='.length);
    else throw new Error(`unknown argument ${JSON.stringify(a.slice(0, 40))}\n${MAU_USAGE}`);
  }
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`--month must be yyyy-mm, e.g. 2026-12\n${MAU_USAGE}`);
  return month;
}

async function main(): Promise<number> {
  let month: string;
  try {
    month = parseMauArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const { store, where } = toolStore();
  try {
    const users = await monthlyActiveUsers(store, month);
    process.stdout.write(`monthly active users ${month}: ${users}\n(${where}; callers counted once per month by the keyed hash of their E.164 number)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`cannot read ${where}: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
