// CSV for the operator's exports (RFC 4180): fields separated by commas,
// records ended by CRLF, a header row first, and a field quoted when it
// holds a comma, a quote, CR or LF, its quotes doubled. The text is UTF-8
// and starts with a byte order mark, which spreadsheets need to read
// non-ASCII text (customer-written descriptions) as UTF-8.
//
// The cells carry customer-written text, and spreadsheets run a cell that
// starts with `=`, `+`, `-` or `@` as a formula (tab and CR first too, as
// they are dropped before the check; the full-width forms of the four count
// in some locales). Such a text cell gets a leading apostrophe, which the
// spreadsheet shows as text and does not run; numbers are written as they
// are (a negative number is not a formula). A consumer parsing the file
// sees the apostrophe as part of the value.

/** What makes a spreadsheet treat a text cell as a formula, at its start. */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NEEDS_QUOTES = /[",\r\n]/;

export const CSV_BOM = '\uFEFF';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/**
 * One field: null and undefined are empty, finite numbers as written,
 * anything else as text, neutralised and quoted as needed.
 * @param {unknown} value
 * @returns {string}
 */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One record, CRLF-terminated.
 * @param {readonly unknown[]} values
 * @returns {string}
 */
export function csvRecord(values) {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * @template T
 * @typedef {{header: string, value: (row: T) => unknown}} CsvColumn
 */

/**
 * The whole text, header row first (with the byte order mark), for small
 * tables; big ones are written with `csvRecord` batch by batch.
 * @template T
 * @param {readonly CsvColumn<T>[]} columns
 * @param {Iterable<T>} rows
 * @returns {string}
 */
export function csvText(columns, rows) {
  let out = CSV_BOM + csvRecord(columns.map((c) => c.header));
  for (const row of rows) out += csvRecord(columns.map((c) => c.value(row)));
  return out;
}
