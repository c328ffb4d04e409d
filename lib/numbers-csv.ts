/**
 * The numbers CSV of `npm run numbers -- import|export` (the hosted product's "Upload a CSV
 * file" of phone numbers): a header row, then one number a row,
 *
 *     phone_number,description,integration
 *     +1 958 555 0123,Support line,amazon-connect
 *
 * `integration` may be left out (column or value) when the configuration has exactly one
 * integration; with several it is required. Numbers are normalized to E.164 (lib/phone.ts; a
 * number without "+" needs the configured default country). Every bad row is reported with
 * its line number, and a file with any bad row yields no list at all, so nothing is applied.
 */
import { csvField, CsvError, parseCsv } from './csv.ts';
import { PhoneNumberError, toE164Strict } from './phone.ts';
import { MAX_DESCRIPTION_CHARS, MAX_NUMBERS, type NumberEntry } from './store/numbers.ts';

/** One problem, with the 1-based line of the file it is on. */
export interface CsvProblem {
  line: number;
  message: string;
}

export interface NumbersCsvOptions {
  /** Names of the configured integrations. */
  integrations: readonly string[];
  /** ISO 3166-1 alpha-2 country for numbers written without "+"; absent: such numbers are refused. */
  defaultCountry?: string;
}

const COLUMNS = ['phone_number', 'description', 'integration'] as const;

/**
 * Reads a numbers CSV.
 * @returns the entries, or every problem found (then nothing may be applied)
 */
export function parseNumbersCsv(text: string, o: NumbersCsvOptions): { entries: NumberEntry[] } | { problems: CsvProblem[] } {
  let records;
  try {
    records = parseCsv(text, MAX_NUMBERS + 1);
  } catch (err) {
    if (err instanceof CsvError) return { problems: [{ line: err.line, message: err.message.replace(/^line \d+: /, '') }] };
    throw err;
  }
  const header = records[0];
  if (!header) return { problems: [{ line: 1, message: 'the file is empty; expected the header phone_number,description[,integration]' }] };
  const names = header.fields.map((f) => f.trim().toLowerCase());
  if (names[0] !== 'phone_number' || names[1] !== 'description' || (names.length === 3 && names[2] !== 'integration') || names.length > 3) {
    return { problems: [{ line: header.line, message: `header must be phone_number,description[,integration], not ${JSON.stringify(header.fields.join(',').slice(0, 80))}` }] };
  }
  const problems: CsvProblem[] = [];
  const entries: NumberEntry[] = [];
  const firstLine = new Map<string, number>();
  const only = o.integrations.length === 1 ? o.integrations[0] : undefined;
  for (const r of records.slice(1)) {
    const bad = (message: string) => problems.push({ line: r.line, message });
    if (r.fields.length > names.length) {
      bad(`${r.fields.length} fields; the header has ${names.length}`);
      continue;
    }
    const [rawNumber = '', rawDescription = '', rawIntegration = ''] = r.fields;
    let phoneNumber: string;
    try {
      phoneNumber = toE164Strict(rawNumber, o.defaultCountry);
    } catch (err) {
      if (!(err instanceof PhoneNumberError)) throw err;
      bad(err.message);
      continue;
    }
    const description = rawDescription.trim();
    if (description.length > MAX_DESCRIPTION_CHARS) {
      bad(`description is over ${MAX_DESCRIPTION_CHARS} characters`);
      continue;
    }
    if (/[\u0000-\u001f\u007f]/.test(description)) {
      bad('description contains a control character or line break');
      continue;
    }
    const integration = rawIntegration.trim() || only;
    if (!integration) {
      bad(`integration is required: the configuration has ${o.integrations.length} (${o.integrations.join(', ')})`);
      continue;
    }
    if (!o.integrations.includes(integration)) {
      bad(`unknown integration ${JSON.stringify(integration.slice(0, 64))}; configured: ${o.integrations.join(', ')}`);
      continue;
    }
    const dup = firstLine.get(phoneNumber);
    if (dup !== undefined) {
      bad(`${phoneNumber} is already on line ${dup} (numbers must be unique)`);
      continue;
    }
    firstLine.set(phoneNumber, r.line);
    entries.push({ phoneNumber, description, integration });
  }
  if (records.length === 1) problems.push({ line: header.line + 1, message: 'no numbers after the header; an import replaces the whole list, so an empty one is refused' });
  if (entries.length > MAX_NUMBERS) problems.push({ line: records.at(-1)!.line, message: `more than ${MAX_NUMBERS} numbers` });
  return problems.length ? { problems } : { entries };
}

/** The list as a numbers CSV (header and CRLF line ends, RFC 4180), importable as it is. */
export function formatNumbersCsv(entries: readonly NumberEntry[]): string {
  const rows = entries.map((e) => [e.phoneNumber, e.description, e.integration].map(csvField).join(','));
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
