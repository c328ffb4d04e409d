/**
 * A small CSV reader for RFC 4180 files (no CSV library is among the project's dependencies,
 * and the numbers import needs only this): fields separated by ",", records by CRLF or LF,
 * fields optionally in double quotes, where `""` is a quote and commas and line breaks are
 * data. One pass, linear in the input. A UTF-8 byte order mark at the start is skipped
 * (spreadsheets write one).
 */

/** One record with the 1-based line number it starts on (quoted fields may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** The input breaks RFC 4180 section 2 (stray quote, unterminated quoted field). */
export class CsvError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
  }
}

/**
 * Parses `text` into records. Empty lines are skipped (not records).
 * @param maxRecords upper bound; more records throw (bounded memory for hostile input)
 * @throws CsvError for a quote inside an unquoted field, text after a closing quote, an
 *   unterminated quoted field, or more than `maxRecords` records
 */
export function parseCsv(text: string, maxRecords = 100_000): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        blank = false;
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(start, 'a quoted field is not closed');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new CsvError(line, 'text after a closing quote');
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') {
          if (text[j] === '"') throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
          j++;
        }
        field = text.slice(i, j);
        if (field !== '') blank = false;
        i = j;
      }
      fields.push(field);
      if (text[i] === ',') {
        blank = false;
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (blank && fields.length === 1) continue;
    if (records.length >= maxRecords) throw new CsvError(start, `more than ${maxRecords} records`);
    records.push({ line: start, fields });
  }
  return records;
}

/** A field as RFC 4180 writes it: quoted when it holds a comma, quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
