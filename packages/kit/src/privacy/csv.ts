import { stringify } from 'csv-stringify/sync';

/**
 * CSV for export files, by csv-stringify (the gateway's audit export uses it too): RFC 4180
 * quoting, CRLF line ends, a header row. A text value that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe
 * (`escape_formulas`): a person opening their own export must not run what someone typed.
 */
export type CsvValue = string | number | boolean | Date | null | undefined;

export function toCsv<R extends Record<string, CsvValue>>(
  columns: readonly (keyof R & string)[],
  rows: readonly R[],
): string {
  return stringify(rows as R[], {
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: {
      date: (value) => value.toISOString(),
      boolean: (value) => (value ? 'true' : 'false'),
    },
  });
}
