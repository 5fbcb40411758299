import {
  PRIVACY_PARTICIPANTS,
  columnClass,
  inventoryTables,
  type DataInventory,
  type InventoryColumn,
  type InventoryExportView,
  type InventoryTable,
  type PrivacyParticipant,
} from '@tracking/contracts';

/**
 * The README.md at the top of every export: what each file holds and what each field means,
 * written from docs/data-inventory.yaml at assembly time, so it says what the catalogue says
 * and cannot drift from it. The files follow the participants' naming (kit P2-api notes):
 * `<service>.json` holds the service's tables as `{ table: rows }`, `<table>.csv` one table.
 * The fields listed are the ones actually in the files (a JSON row's keys, a CSV's header),
 * so nothing in the archive goes unexplained; one the catalogue does not describe says so.
 */

/** One decrypted, checked file of a participant's part. */
export interface ExportEntry {
  service: PrivacyParticipant;
  name: string;
  content: Buffer;
  sha256: string;
}

const CLASS_TEXT: Record<string, string> = {
  none: 'bookkeeping, not about you',
  identifier: 'an identifier (yours, or of a record)',
  contact: 'contact details: an email address or a name',
  account: 'a fact about your account: a role, a plan, a setting, a state or when it changed',
  credential: 'a security credential or its digest',
  network: 'where you connected from: an IP address or a browser',
  health: 'health data (a special category of personal data)',
  'payment-reference': "Stripe's reference to a customer, subscription or payment method (never card data)",
  pseudonym: 'a one-way digest, kept to match and count, not to read',
  event: 'an event on its way between services',
};

const BASIS_TEXT: Record<string, string> = {
  contract: 'to provide the service you signed up for (contract)',
  'legitimate-interests': 'to keep accounts secure and prevent fraud (legitimate interests)',
  'legal-obligation': 'because the law requires it (legal obligation)',
  consent: 'with your consent',
  none: 'not personal data',
};

function erasureText(entry: { erasure: string; keepReason?: string | undefined }): string {
  switch (entry.erasure) {
    case 'delete':
      return 'deleted';
    case 'crypto-shred':
      return 'made unreadable for good: the key that opens it is destroyed';
    case 'pseudonymise':
      return 'replaced by a pseudonym';
    case 'expire':
      return 'deleted when its retention period ends';
    case 'keep':
      return `kept: ${entry.keepReason ?? 'for a stated legal reason'}`;
    default:
      return 'nothing to erase';
  }
}

/**
 * A table or field name from a participant's file, safe in a heading, a code span and a table
 * cell: the names are the inventory's identifiers, so anything else is shown as `?`.
 */
function name(text: string): string {
  return text.replace(/[^\w.-]/g, '?');
}

/** Inventory prose inside a table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** The tables a file holds and the fields seen in each. */
function tablesIn(entry: ExportEntry): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  const text = entry.content.toString('utf8');
  if (entry.name.endsWith('.csv')) {
    const header = text.split(/\r?\n/, 1)[0] ?? '';
    const fields = header === '' ? [] : header.split(',').map((field) => field.replace(/^"|"$/g, ''));
    tables.set(entry.name.slice(0, -'.csv'.length), fields);
    return tables;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return tables;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return tables;
  for (const [table, rows] of Object.entries(json)) {
    const fields = new Set<string>();
    const list: unknown[] = Array.isArray(rows) ? rows : [rows];
    for (const row of list)
      if (row !== null && typeof row === 'object' && !Array.isArray(row))
        for (const key of Object.keys(row)) fields.add(key);
    tables.set(table, [...fields]);
  }
  return tables;
}

function describeColumn(column: InventoryColumn | undefined): string {
  if (column === undefined) return 'not described in the data inventory';
  const text = CLASS_TEXT[columnClass(column)] ?? columnClass(column);
  return typeof column === 'object' && column.note ? `${text}. ${column.note}` : text;
}

function tableSection(
  tableName: string,
  table: InventoryTable | InventoryExportView | undefined,
  seen: string[],
): string[] {
  const lines = [`### ${name(tableName)}`, ''];
  if (!table) {
    lines.push('Not described in the data inventory.', '');
  } else if (!('legalBasis' in table)) {
    lines.push(table.purpose, '', '- Computed for this export from the tables of this part; not stored.', '');
  } else {
    lines.push(
      table.purpose,
      '',
      `- Why we hold it: ${BASIS_TEXT[table.legalBasis] ?? table.legalBasis}`,
      `- How long: ${table.retention}`,
      `- When you delete your account: ${erasureText(table)}`,
      '',
    );
  }
  // The fields in the files, in the catalogue's order, then any it does not know; a table
  // with no rows lists what a row would hold.
  const known = Object.keys(table?.columns ?? {});
  const exported = known.filter((column) => {
    const entry = table?.columns[column];
    return !(typeof entry === 'object' && entry.export === false);
  });
  const fields =
    seen.length === 0
      ? exported
      : [
          ...known.filter((column) => seen.includes(column)),
          ...seen.filter((field) => !known.includes(field)),
        ];
  if (fields.length > 0) {
    lines.push('| field | what it is |', '| --- | --- |');
    for (const field of fields)
      lines.push(`| \`${name(field)}\` | ${cell(describeColumn(table?.columns[field]))} |`);
    lines.push('');
  }
  return lines;
}

export function buildReadme(input: {
  inventory: DataInventory;
  subjectId: string;
  requestId: string;
  assembledAt: Date;
  entries: readonly ExportEntry[];
}): string {
  const { inventory, entries } = input;
  const lines = [
    '# Your data export',
    '',
    `Everything the platform holds about you (user id \`${input.subjectId}\`), collected on ${input.assembledAt.toISOString()} for export request \`${input.requestId}\`.`,
    '',
    'Each folder is one part of the platform, with its own database. A `.json` file holds all of that',
    "part's tables, each as a list of rows; a `.csv` file holds one table for a spreadsheet. Below, every",
    'file is listed with what it holds, every table with why we hold it, for how long and what happens to',
    'it when you delete your account, and every field with the kind of data it is. Secrets (password',
    'hashes, second-factor secrets, token digests) are never exported. This text is written from the',
    "platform's data inventory, the same catalogue our privacy notice and tests use.",
    '',
    'A CSV cell that starts with `=`, `+`, `-` or `@` begins with an apostrophe, so that a spreadsheet shows',
    'it rather than running it as a formula.',
    '',
    '## Files',
    '',
    '| file | bytes | SHA-256 |',
    '| --- | --- | --- |',
    ...entries.map(
      (entry) =>
        `| \`${entry.service}/${entry.name}\` | ${String(entry.content.byteLength)} | \`${entry.sha256}\` |`,
    ),
    '',
  ];
  // Every participant answered before assembly, so a table the catalogue exports that is in no
  // file is one that holds nothing about the person: said so, so the README covers the catalogue.
  const services = [...new Set([...PRIVACY_PARTICIPANTS, ...entries.map((entry) => entry.service)])];
  for (const service of services) {
    const catalogue: Record<string, InventoryTable | InventoryExportView> = {
      ...inventory.exportViews?.[service],
      ...inventoryTables(inventory, service),
    };
    const mine = entries.filter((entry) => entry.service === service);
    const seen = new Map<string, string[]>();
    const fileLines: string[] = [];
    for (const entry of mine) {
      const tables = tablesIn(entry);
      for (const [table, fields] of tables)
        seen.set(table, [...new Set([...(seen.get(table) ?? []), ...fields])]);
      const names = [...tables.keys()].map((table) => `\`${name(table)}\``).join(', ');
      fileLines.push(
        `- \`${service}/${entry.name}\`: ${
          entry.name.endsWith('.csv')
            ? `the table ${names} as CSV.`
            : tables.size > 0
              ? `the tables ${names} as JSON.`
              : 'JSON.'
        }`,
      );
    }
    const empty = Object.entries(inventoryTables(inventory, service))
      .filter(([table, entry]) => entry.export && !seen.has(table))
      .map(([table]) => `\`${name(table)}\``);
    if (mine.length === 0 && empty.length === 0) continue;
    lines.push(`## ${service}`, '', ...fileLines);
    if (empty.length > 0) lines.push(`- Nothing about you in: ${empty.join(', ')}.`);
    lines.push('');
    for (const [table, fields] of seen) lines.push(...tableSection(table, catalogue[table], fields));
  }
  if (entries.length === 0) lines.push('The platform holds no personal data about you.', '');
  return lines.join('\n');
}
