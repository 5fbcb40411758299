import { z } from 'zod';

/**
 * The data inventory's shape (docs/data-inventory.yaml, #22). The catalogue itself is YAML in
 * docs/ so that a privacy reviewer reads and diffs it beside docs/privacy.md without reading
 * code, and comments can say why; this schema is what makes it machine-checked: every value
 * from a closed list, every personal entry with a legal basis, retention and erasure, every
 * "keep" with its reason. The export and erasure sagas will read the same catalogue through it.
 */
export const DATA_CLASSES = [
  'none',
  'identifier',
  'contact',
  'account',
  'credential',
  'network',
  'health',
  'payment-reference',
  'pseudonym',
  'event',
] as const;
export const LEGAL_BASES = [
  'contract',
  'legitimate-interests',
  'legal-obligation',
  'consent',
  'none',
] as const;
export const ERASURE_TREATMENTS = [
  'delete',
  'crypto-shred',
  'pseudonymise',
  'expire',
  'keep',
  'none',
] as const;

const dataClass = z.enum(DATA_CLASSES);
const legalBasis = z.enum(LEGAL_BASES);
const erasure = z.enum(ERASURE_TREATMENTS);
const prose = z.string().trim().min(3);

const column = z.union([
  dataClass,
  z.strictObject({
    class: dataClass,
    export: z.boolean().optional(),
    erasure: erasure.optional(),
    note: prose.optional(),
  }),
]);
export type InventoryColumn = z.infer<typeof column>;

/** A personal entry says why and how it is kept; one that is not personal says so consistently. */
function consistent(
  entry: { legalBasis: string; erasure: string; keepReason?: string | undefined },
  personal: boolean,
  ctx: z.RefinementCtx,
): void {
  if (personal && entry.legalBasis === 'none')
    ctx.addIssue({ code: 'custom', message: 'personal data needs a legal basis' });
  if (personal && entry.erasure === 'none')
    ctx.addIssue({ code: 'custom', message: 'personal data needs an erasure treatment' });
  if (!personal && (entry.legalBasis !== 'none' || entry.erasure !== 'none'))
    ctx.addIssue({
      code: 'custom',
      message: 'an entry without personal data has legal basis and erasure none',
    });
  if ((entry.erasure === 'keep') !== Boolean(entry.keepReason))
    ctx.addIssue({ code: 'custom', message: 'keepReason is required with erasure keep, and only then' });
}

export const columnClass = (entry: InventoryColumn) => (typeof entry === 'string' ? entry : entry.class);

const table = z
  .strictObject({
    purpose: prose,
    legalBasis,
    retention: prose,
    export: z.boolean(),
    erasure,
    keepReason: prose.optional(),
    columns: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), column),
  })
  .superRefine((entry, ctx) => {
    const personal = Object.values(entry.columns).some((c) => columnClass(c) !== 'none');
    consistent(entry, personal, ctx);
    if (!personal && entry.export) ctx.addIssue({ code: 'custom', message: 'nothing personal to export' });
  });
export type InventoryTable = z.infer<typeof table>;

const topic = z
  .strictObject({
    class: dataClass,
    purpose: prose,
    legalBasis,
    retentionMs: z.number().int().min(-1),
    /** Events are data in transit: the databases they are applied to are what an export reads. */
    export: z.literal(false),
    erasure,
    keepReason: prose.optional(),
  })
  .superRefine((entry, ctx) => consistent(entry, entry.class !== 'none', ctx));

const store = z
  .strictObject({
    class: dataClass,
    purpose: prose,
    legalBasis,
    retention: prose,
    export: z.boolean(),
    erasure,
    keepReason: prose.optional(),
    note: prose.optional(),
  })
  .superRefine((entry, ctx) => consistent(entry, entry.class !== 'none', ctx));

const tables = z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), table);

/**
 * A list an export holds that is no table: computed from the service's tables when the export
 * is made (tracking's daily totals), never stored. Described here so the export's README
 * explains it like a table.
 */
const exportView = z.strictObject({
  purpose: prose,
  columns: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), column),
});
export type InventoryExportView = z.infer<typeof exportView>;

export const dataInventorySchema = z.strictObject({
  version: z.literal(1),
  /** The kit's tables, in every service's database unless the service's entry overrides them. */
  everyDatabase: tables,
  /** Per service (its folder under services/), its own tables. */
  databases: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), tables),
  /** Per service, the computed lists its export part holds beside its tables (optional). */
  exportViews: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.record(z.string(), exportView)).optional(),
  topics: z.record(z.string(), topic),
  backups: z.record(z.string(), store),
});
export type DataInventory = z.infer<typeof dataInventorySchema>;

/** A service's tables as the catalogue classifies them: the kit's, then the service's own. */
export function inventoryTables(inventory: DataInventory, service: string): Record<string, InventoryTable> {
  return { ...inventory.everyDatabase, ...inventory.databases[service] };
}
