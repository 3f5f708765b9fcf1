// An independent strict RFC 4180 reader for the CSV tests (not a test file).

/**
 * A strict RFC 4180 reader: CRLF between records (a final CRLF allowed),
 * fields quoted or not, quotes doubled inside quoted fields; a stray quote
 * or a bare CR/LF outside quotes is an error.
 * @param {string} text
 * @returns {string[][]}
 */
export function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  /** @type {string[]} */
  let record = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (i >= text.length) { records.push(record); return records; }
    if (text[i] === ',') { i++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      records.push(record);
      record = [];
      if (i >= text.length) return records;
      continue;
    }
    throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
  }
}
