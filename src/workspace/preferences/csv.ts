/**
 * CSV as RFC 4180 writes it: a field is quoted when it holds a comma, a quote, CR or LF, or starts or ends with
 * whitespace (spreadsheets trim those otherwise); quotes inside are doubled; rows end with CRLF.
 */
export function csvField(value: unknown): string {
  const s = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvRow(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
