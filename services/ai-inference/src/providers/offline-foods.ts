/**
 * The offline estimator: a deterministic, table-based meal estimate and a rules-based weekly
 * review, for local development without API keys and as the operators' last resort. It is
 * honest about what it is: an estimate from a table is never 'high' confidence, unknown foods
 * are left out (and lower the confidence), and nothing is invented for text it cannot read.
 *
 * Pure functions, no I/O. The food values and where they come from: offline-food-table.ts.
 */
import type { ReviewDay } from '@tracking/contracts';

import type { EstimateOutput, ReviewAggregates, ReviewOutput } from '../prompts';
import {
  FOOD_TABLE,
  INGREDIENT_KINDS,
  type FoodRow,
  type HouseholdMeasures,
  type IngredientKind,
  type SizeWord,
} from './offline-food-table';

// ------------------------------------------------------------------------------- the table, indexed

interface Food {
  name: string;
  /** Per gram. */
  kcal: number;
  protein: number;
  carbs: number;
  fat: number;
  portion: number;
  measures: HouseholdMeasures;
  liquid: boolean;
  density: number;
  side: number | undefined;
  inHotDrink: number | undefined;
  hotDrink: boolean;
  countable: boolean;
  cookedPerRaw: number;
  /** A dish made of other rows: words naming its fillings describe it, they are not extra food. */
  dish: boolean;
  sizes: Partial<Record<SizeWord, number>>;
  /** What kind of ingredient it is in a compound dish, if any. */
  kind: IngredientKind | undefined;
  /** A compound dish: the kinds of stated ingredients that replace its own, and its recipe. */
  takes: ReadonlySet<IngredientKind>;
  recipe: readonly { food: Food; grams: number }[];
}

interface Alias {
  food: Food;
  /** Written in the plural (derived): "eggs" without a number means a portion, not one egg. */
  plural: boolean;
}

const KIND_OF = new Map<string, IngredientKind>(
  Object.entries(INGREDIENT_KINDS).flatMap(([kind, names]) =>
    names.map((name) => [name, kind as IngredientKind] as const),
  ),
);

function indexTable(rows: readonly FoodRow[]): Map<string, Alias> {
  const nutrientRows = new Map<string, FoodRow>(rows.map((row) => [row.name, row]));
  for (const name of KIND_OF.keys()) {
    if (!nutrientRows.has(name)) throw new Error(`ingredient kind names no row ${name}`);
  }
  const foods = rows.map((row): Food => {
    let per100 = { kcal: 0, protein: 0, carbs: 0, fat: 0 };
    if ('recipe' in row) {
      let grams = 0;
      for (const [name, amount] of row.recipe) {
        const part = nutrientRows.get(name);
        if (part === undefined || 'recipe' in part) throw new Error(`recipe ${row.name}: no row ${name}`);
        grams += amount;
        per100 = {
          kcal: per100.kcal + (part.kcal * amount) / 100,
          protein: per100.protein + (part.protein * amount) / 100,
          carbs: per100.carbs + (part.carbs * amount) / 100,
          fat: per100.fat + (part.fat * amount) / 100,
        };
      }
      per100 = {
        kcal: (per100.kcal * 100) / grams,
        protein: (per100.protein * 100) / grams,
        carbs: (per100.carbs * 100) / grams,
        fat: (per100.fat * 100) / grams,
      };
    } else {
      per100 = { kcal: row.kcal, protein: row.protein, carbs: row.carbs, fat: row.fat };
    }
    return {
      name: row.name,
      kcal: per100.kcal / 100,
      protein: per100.protein / 100,
      carbs: per100.carbs / 100,
      fat: per100.fat / 100,
      portion: row.portion,
      measures: row.measures ?? {},
      liquid: row.liquid ?? false,
      density: row.density ?? 1,
      side: row.side,
      inHotDrink: row.inHotDrink,
      hotDrink: row.hotDrink ?? false,
      countable: row.countable ?? false,
      cookedPerRaw: row.cookedPerRaw ?? 1,
      dish: 'recipe' in row,
      sizes: row.sizes ?? {},
      kind: KIND_OF.get(row.name),
      takes: new Set('recipe' in row ? (row.takes ?? []) : []),
      recipe: [],
    };
  });
  const byName = new Map(foods.map((food) => [food.name, food]));
  rows.forEach((row, i) => {
    const food = foods[i];
    if (food === undefined || !('recipe' in row) || row.takes === undefined) return;
    food.recipe = row.recipe.map(([name, grams]) => {
      const part = byName.get(name);
      if (part === undefined) throw new Error(`recipe ${row.name}: no row ${name}`);
      return { food: part, grams };
    });
  });

  const index = new Map<string, Alias>();
  // Written forms first (name, then aliases, in table order), then the derived plurals, so a
  // plural never shadows a form someone wrote down.
  const written = foods.map((food, i) =>
    [rows[i]?.name ?? food.name, ...(rows[i]?.aliases ?? [])].map(normalizeAlias),
  );
  foods.forEach((food, i) => {
    const aliases = written[i] ?? [];
    // A written alias that is the plural of another ("eggs" beside "egg") still reads as plural.
    const plurals = new Set(aliases.flatMap(pluralsOf));
    for (const alias of aliases) {
      if (!index.has(alias)) index.set(alias, { food, plural: plurals.has(alias) });
    }
  });
  foods.forEach((food, i) => {
    for (const alias of written[i] ?? []) {
      for (const plural of pluralsOf(alias)) {
        if (!index.has(plural)) index.set(plural, { food, plural: true });
      }
    }
  });
  return index;
}

function normalizeAlias(alias: string): string {
  return alias
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function pluralsOf(alias: string): string[] {
  const words = alias.split(' ');
  const last = words.pop() ?? '';
  const stem = words.length > 0 ? `${words.join(' ')} ` : '';
  const forms = [`${last}s`];
  if (/(s|x|z|ch|sh|o)$/.test(last)) forms.push(`${last}es`);
  if (/[^aeiou]y$/.test(last)) forms.push(`${last.slice(0, -1)}ies`);
  return forms.map((form) => stem + form);
}

const ALIASES = indexTable(FOOD_TABLE);
const MAX_ALIAS_WORDS = Math.max(...[...ALIASES.keys()].map((alias) => alias.split(' ').length));

/**
 * Aliases that contain a word the text is split on ("fish and chips", "corn on the cob") or a
 * number ("2 minute noodles") are joined with underscores before splitting, so they stay whole.
 */
const PROTECTED = [...ALIASES.keys()]
  .filter((alias) => /\b(and|with|on|plus|then)\b|\d/.test(alias))
  .sort((a, b) => b.length - a.length);
const PROTECTED_PATTERN =
  PROTECTED.length > 0 ? new RegExp(`(^|[ ,])(${PROTECTED.join('|')})(?= |,|$)`, 'g') : null;

// ------------------------------------------------------------------------------- quantities

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  single: 1,
  double: 2,
  triple: 3,
};

type MeasureUnit = keyof HouseholdMeasures;
type Unit =
  | { kind: 'mass'; grams: number }
  | { kind: 'volume'; ml: number }
  | { kind: 'measure'; measure: MeasureUnit }
  | { kind: 'other'; name: 'mug' | 'pint' | 'shot' | 'serving' | 'plate' | 'knob' }
  /** A vague amount ("a splash", "a bit"): counted, but not an explicit quantity. */
  | { kind: 'vague'; name: 'splash' | 'drizzle' | 'pinch' | 'bit' };

const UNITS = new Map<string, Unit>();
function unitWords(words: string, unit: Unit): void {
  for (const word of words.split(' ')) UNITS.set(word, unit);
}
unitWords('g gm gms gr grams gram gramme grammes', { kind: 'mass', grams: 1 });
unitWords('kg kgs kilo kilos kilogram kilograms', { kind: 'mass', grams: 1000 });
unitWords('oz ounce ounces', { kind: 'mass', grams: 28.35 });
unitWords('lb lbs pound pounds', { kind: 'mass', grams: 453.6 });
unitWords('ml mls millilitre millilitres milliliter milliliters', { kind: 'volume', ml: 1 });
unitWords('l litre litres liter liters ltr', { kind: 'volume', ml: 1000 });
unitWords('cup cups cupful cupfuls', { kind: 'measure', measure: 'cup' });
unitWords('tbsp tbsps tbs tbl tablespoon tablespoons tablespoonful spoonful spoonfuls dessertspoon', {
  kind: 'measure',
  measure: 'tbsp',
});
unitWords('tsp tsps teaspoon teaspoons teaspoonful spoon spoons', { kind: 'measure', measure: 'tsp' });
unitWords('slice slices rasher rashers', { kind: 'measure', measure: 'slice' });
unitWords('piece pieces pc pcs whole fillet fillets item items cube cubes', {
  kind: 'measure',
  measure: 'piece',
});
unitWords('bowl bowls bowlful', { kind: 'measure', measure: 'bowl' });
unitWords('handful handfuls', { kind: 'measure', measure: 'handful' });
unitWords('can cans tin tins', { kind: 'measure', measure: 'can' });
unitWords('glass glasses', { kind: 'measure', measure: 'glass' });
unitWords('bottle bottles', { kind: 'measure', measure: 'bottle' });
unitWords('scoop scoops', { kind: 'measure', measure: 'scoop' });
unitWords('pack packs packet packets bag bags sachet sachets punnet punnets box', {
  kind: 'measure',
  measure: 'pack',
});
unitWords('bar bars', { kind: 'measure', measure: 'bar' });
unitWords('square squares', { kind: 'measure', measure: 'square' });
unitWords('row rows', { kind: 'measure', measure: 'row' });
unitWords('mug mugs', { kind: 'other', name: 'mug' });
unitWords('pint pints', { kind: 'other', name: 'pint' });
unitWords('shot shots', { kind: 'other', name: 'shot' });
unitWords('serving servings serve serves portion portions helping helpings', {
  kind: 'other',
  name: 'serving',
});
unitWords('plate plates plateful', { kind: 'other', name: 'plate' });
unitWords('knob knobs', { kind: 'other', name: 'knob' });
unitWords('splash dash drop', { kind: 'vague', name: 'splash' });
unitWords('drizzle', { kind: 'vague', name: 'drizzle' });
unitWords('pinch sprinkle', { kind: 'vague', name: 'pinch' });
unitWords('bit little', { kind: 'vague', name: 'bit' });

const SIZES: Readonly<Record<string, number>> = {
  mini: 0.4,
  tiny: 0.5,
  small: 0.75,
  smaller: 0.75,
  medium: 1,
  regular: 1,
  standard: 1,
  normal: 1,
  large: 1.3,
  big: 1.3,
  bigger: 1.3,
  huge: 1.6,
  jumbo: 1.6,
  giant: 1.6,
};

/** Size words FDC gives household weights for (see `sizes` in the table). */
const SIZE_WORDS: Readonly<Record<string, SizeWord>> = {
  small: 'small',
  smaller: 'small',
  medium: 'medium',
  regular: 'medium',
  large: 'large',
  big: 'large',
  bigger: 'large',
};

/** Words that say nothing about the food: a part made only of these is not an unmatched food. */
const FILLER = new Set(
  (
    'a an the of i ive id had have has having ate eat eaten eating drank drink drinking my for at in ' +
    'breakfast lunch dinner supper brunch snack snacks morning afternoon evening night today yesterday ' +
    'then just about approx approximately around roughly some few couple half quarter dozen also ' +
    'homemade fresh plain cooked grilled baked steamed boiled fried roasted raw extra side serving ' +
    'roast poached mashed panfried sauteed seared toasted stewed braised chopped sliced diced tossed ' +
    'topped served made using into over weight weighed dry uncooked dried ' +
    'x or to it was were is very quite really more less bit little'
  ).split(' '),
);

/** Said of a weight: it was weighed before cooking. */
const RAW_WORDS = new Set(['raw', 'uncooked', 'dry', 'dried']);

interface Quantity {
  /** The count or amount, e.g. 2 (eggs) or 150 (g). */
  count: number | null;
  /** Multiplies everything: "2 x 150 g". */
  times: number;
  unit: Unit | null;
  size: number;
  /** The size word, when FDC gives the food a weight for it. */
  sizeWord?: SizeWord;
  /** A number, a number word, "a", or a unit was given. */
  explicit: boolean;
  /** Weighed raw or dry ("100 g pasta, dry weight"). */
  raw: boolean;
}

function parseNumber(token: string): number | null {
  if (/^\d+(\.\d+)?$/.test(token)) return Number(token);
  const fraction = /^(\d+)\/(\d+)$/.exec(token);
  if (fraction) {
    const denominator = Number(fraction[2]);
    return denominator > 0 ? Number(fraction[1]) / denominator : null;
  }
  return NUMBER_WORDS[token] ?? null;
}

/** Reads a quantity from the words around a food ("2 large", "1 1/2 cups of", "half a"). */
function readQuantity(tokens: readonly string[]): Quantity {
  const quantity: Quantity = { count: null, times: 1, unit: null, size: 1, explicit: false, raw: false };
  let fromArticle = false;
  let previousWasNumber = false;
  let previousUnitWasBare = false;
  for (const token of tokens) {
    const value = parseNumber(token);
    if (value !== null) {
      if (quantity.count === null || fromArticle) {
        quantity.count = value;
      } else if (previousWasNumber && value < 1) {
        quantity.count += value; // "1 1/2"
      } else if (quantity.unit === null) {
        quantity.times *= quantity.count; // "2 x 150 g"
        quantity.count = value;
      }
      fromArticle = false;
      quantity.explicit = true;
      previousWasNumber = true;
      continue;
    }
    previousWasNumber = false;
    if (token === 'a' || token === 'an') {
      if (quantity.count === null) {
        quantity.count = 1;
        fromArticle = true;
        quantity.explicit = true;
      }
    } else if (token === 'half' || token === 'quarter') {
      const part = token === 'half' ? 0.5 : 0.25;
      quantity.count = quantity.count === null || fromArticle ? part : quantity.count * part;
      fromArticle = false;
      quantity.explicit = true;
    } else if (token === 'couple' || token === 'few' || token === 'several') {
      if (quantity.count === null || fromArticle) quantity.count = token === 'couple' ? 2 : 3;
      fromArticle = false;
      quantity.explicit = token === 'couple';
    } else if (token === 'dozen') {
      quantity.count = (quantity.count ?? 1) * 12;
      fromArticle = false;
      quantity.explicit = true;
    } else if (token in SIZES) {
      quantity.size *= SIZES[token] ?? 1;
      const word = SIZE_WORDS[token];
      if (word !== undefined) quantity.sizeWord = word;
    } else if (RAW_WORDS.has(token)) {
      quantity.raw = true;
    } else {
      const unit = UNITS.get(token);
      // "tuna can 95 g": the can was named, the 95 g weighs it.
      const weighs = unit !== undefined && previousUnitWasBare && quantity.count !== null;
      if (unit !== undefined && (quantity.unit === null || weighs)) {
        quantity.unit = unit;
        quantity.explicit = unit.kind !== 'vague';
        previousUnitWasBare = quantity.count === null;
      }
    }
  }
  return quantity;
}

/** Where the last quantity in tokens[start, end) begins ("250 g roasted in [a tablespoon of]"). */
function lastQuantityStart(tokens: readonly string[], start: number, end: number): number {
  let at = start;
  let inRun = false;
  for (let index = start; index < end; index++) {
    const token = tokens[index] ?? '';
    const starts = parseNumber(token) !== null || QUANTITY_WORDS.has(token);
    if (starts && !inRun) at = index;
    inRun = starts || (inRun && (UNITS.has(token) || token in SIZES || token === 'of'));
  }
  return at;
}

const QUANTITY_WORDS = new Set(['a', 'an', 'half', 'quarter', 'couple', 'few', 'several', 'dozen']);

function hasQuantity(quantity: Quantity): boolean {
  return quantity.count !== null || quantity.unit !== null;
}

/** Grams of one food for a quantity. `context` says what the food came with, for defaults. */
function gramsOf(
  food: Food,
  quantity: Quantity,
  plural: boolean,
  context: 'first' | 'with' | 'hot-drink',
): number {
  const { measures, density, liquid, portion } = food;
  const count = quantity.count ?? 1;
  const unit = quantity.unit;
  const one = (measure: MeasureUnit): number => {
    const given = measures[measure];
    if (given !== undefined) return given;
    switch (measure) {
      case 'piece':
        return measures.slice ?? portion;
      case 'slice':
        return measures.piece ?? portion;
      case 'cup':
        return liquid ? 240 * density : 150;
      case 'tbsp':
        return 15 * density;
      case 'tsp':
        return (measures.tbsp ?? 15 * density) / 3;
      case 'bowl':
        return portion;
      case 'handful':
        return 30;
      case 'can':
        return liquid ? 330 * density : portion;
      case 'glass':
        return 250 * density;
      case 'bottle':
        return liquid ? 500 * density : portion;
      case 'scoop':
        return 30;
      case 'pack':
        return portion;
      case 'bar':
      case 'square':
      case 'row':
        return measures.piece ?? portion;
    }
  };

  // "a large banana": FDC's weight for a large one where it gives one, else a scaled piece.
  const sized = quantity.sizeWord === undefined ? undefined : food.sizes[quantity.sizeWord];
  const piece = (): number => sized ?? one('piece') * quantity.size;
  if (unit === null) {
    if (quantity.count !== null) return count * piece();
    if (context === 'hot-drink' && food.inHotDrink !== undefined) return food.inHotDrink * quantity.size;
    if (context === 'with' && food.side !== undefined) return food.side * quantity.size;
    // "banana" is one banana; "eggs" is a portion of eggs.
    if (food.countable && !plural && measures.piece !== undefined) return piece();
    return portion * quantity.size;
  }
  switch (unit.kind) {
    case 'mass':
      return count * unit.grams * quantity.times * (quantity.raw ? food.cookedPerRaw : 1);
    case 'volume':
      return count * unit.ml * density * quantity.times;
    case 'measure': {
      const scaled = unit.measure === 'tbsp' || unit.measure === 'tsp' ? 1 : quantity.size;
      return count * one(unit.measure) * scaled * quantity.times;
    }
    case 'other':
      switch (unit.name) {
        case 'mug':
          return count * (liquid ? 300 * density : portion) * quantity.size * quantity.times;
        case 'pint':
          return count * 568 * density * quantity.times;
        case 'shot':
          return count * 30 * density * quantity.times;
        case 'serving':
          return count * portion * quantity.size * quantity.times;
        case 'plate':
          return count * portion * quantity.size * quantity.times;
        case 'knob':
          return count * 10 * quantity.times;
      }
      break;
    case 'vague':
      switch (unit.name) {
        case 'splash':
          return count * 20 * density;
        case 'drizzle':
          return count * 5;
        case 'pinch':
          return count * 1;
        case 'bit':
          return count * portion * 0.5;
      }
  }
  return portion;
}

// ------------------------------------------------------------------------------- the text

const UNICODE_FRACTIONS: Readonly<Record<string, string>> = {
  '½': '1/2',
  '¼': '1/4',
  '¾': '3/4',
  '⅓': '1/3',
  '⅔': '2/3',
  '⅛': '1/8',
};

const MAX_INPUT = 4_000;

/** Lower case, plain ASCII words and numbers, items separated by commas. */
function normalizeText(description: string): string {
  let text = description.slice(0, MAX_INPUT).toLowerCase();
  text = text.replace(/(\d?)\s*([½¼¾⅓⅔⅛])/g, (_match, whole: string, fraction: string) => {
    const value = UNICODE_FRACTIONS[fraction] ?? '';
    return whole === '' ? ` ${value} ` : `${whole} ${value} `;
  });
  text = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\u2044/g, '/');
  text = text
    .replace(/['’`]/g, '')
    // "7:30am", "at 7 pm": clock times are not quantities; "70% dark", "2% milk": nor are percentages.
    .replace(/\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b/g, ' ')
    .replace(/\d+(\.\d+)?\s*%/g, ' ')
    .replace(/&/g, ' and ')
    .replace(/\bw\/\s*/g, ' with ')
    .replace(/[+;:|!?\n\r\t•]/g, ',')
    // "2-3 eggs", "2 to 3 eggs": the middle of the range.
    .replace(/(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)/g, (_match, low: string, high: string) =>
      String((Number(low) + Number(high)) / 2),
    )
    // "one and a half cups", "2 and a half": a number, before " and " splits it in two.
    .replace(
      /\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+and\s+a\s+half\b/g,
      (_match, whole: string) => String((parseNumber(whole) ?? 0) + 0.5),
    )
    .replace(/(^|[^\d])\.(\d)/g, '$10.$2')
    .replace(/\.(?!\d)|(?<!\d)\./g, ',')
    .replace(/(?<!\d)\/|\/(?!\d)/g, ' ')
    .replace(/(\d)([a-z])/g, '$1 $2')
    .replace(/([a-z])(\d)/g, '$1 $2')
    .replace(/[^a-z0-9.,/ ]+/g, ' ')
    .replace(/\bx\b/g, ' ')
    .replace(/ +/g, ' ')
    .trim();
  // Fried in a pan, with a little fat: not the battered "fried fish" of the fish shop.
  text = text.replace(/\b(pan|shallow|stir) ?fried\b|\bsauteed\b/g, 'panfried');
  if (PROTECTED_PATTERN !== null) {
    text = text.replace(
      PROTECTED_PATTERN,
      (_match, lead: string, alias: string) => lead + alias.replace(/ /g, '_'),
    );
  }
  return text;
}

interface Part {
  tokens: string[];
  /** The separator before it: what a food without a quantity is eaten with. */
  joinedWith: boolean;
  /** Joined to the phrase before it by "and" ("chicken and broccoli stir fry"). */
  joinedAnd: boolean;
}

function splitParts(text: string): Part[] {
  const parts: Part[] = [];
  const pattern = /,| (and|with|on|plus|then) /g;
  let start = 0;
  let joinedWith = false;
  let joinedAnd = false;
  for (;;) {
    const match = pattern.exec(text);
    const end = match === null ? text.length : match.index;
    const tokens = text
      .slice(start, end)
      .split(' ')
      .filter((token) => token !== '')
      .map((token) => token.replace(/_/g, ' '));
    if (tokens.length > 0) parts.push({ tokens, joinedWith, joinedAnd });
    if (match === null) break;
    joinedWith = match[1] !== undefined;
    joinedAnd = match[1] === 'and';
    start = match.index + match[0].length;
    // A zero-length match is impossible with this pattern; the guard keeps it that way.
    if (match[0].length === 0) pattern.lastIndex += 1;
  }
  return parts;
}

interface Match {
  start: number;
  end: number;
  alias: Alias;
}

/** Foods in a part, longest alias first at each position, left to right. */
function findFoods(tokens: readonly string[]): Match[] {
  const matches: Match[] = [];
  let i = 0;
  while (i < tokens.length) {
    let found: Match | null = null;
    for (let length = Math.min(MAX_ALIAS_WORDS, tokens.length - i); length >= 1; length -= 1) {
      const alias = ALIASES.get(tokens.slice(i, i + length).join(' '));
      if (alias !== undefined) {
        found = { start: i, end: i + length, alias };
        break;
      }
    }
    if (found === null) {
      i += 1;
    } else {
      matches.push(found);
      i = found.end;
    }
  }
  return matches;
}

function isNoise(token: string): boolean {
  return FILLER.has(token) || UNITS.has(token) || token in SIZES || parseNumber(token) !== null;
}

// ------------------------------------------------------------------------------- the estimate

const MAX_ITEMS = 30;
const MAX_ITEM_GRAMS = 5_000;
const MAX_ITEM_KCAL = 10_000;
/** Oil for a food said to be fried when no fat is stated: about a teaspoon (5 g) per 100 g. */
export const FRYING_OIL_PER_100G = 5;
/** Enough unknown words to say what was not read, without echoing a whole text back. */
const MAX_IGNORED = 12;
const FRY_WORDS = new Set(['fried', 'panfried']);
/** Rows whose values already include their cooking fat (SR's fried, battered and pan-browned). */
const COOKED_IN_FAT =
  /\b(fried|battered|chips|crisps|nuggets|bacon|doughnut|falafel|mince|scrambled|pancake)\b/;
/** Measures precise enough to hold any estimate's weight of that food to them. */
const MEASURED = new Set<MeasureUnit>([
  'cup',
  'tbsp',
  'tsp',
  'slice',
  'handful',
  'can',
  'glass',
  'bottle',
  'scoop',
]);

const noQuantity = (): Quantity => ({
  count: null,
  times: 1,
  unit: null,
  size: 1,
  explicit: false,
  raw: false,
});

function isMeasured(quantity: Quantity): boolean {
  const unit = quantity.unit;
  if (unit === null) return false;
  return (
    unit.kind === 'mass' || unit.kind === 'volume' || (unit.kind === 'measure' && MEASURED.has(unit.measure))
  );
}

interface Mention {
  food: Food;
  grams: number;
  explicit: boolean;
  measured: boolean;
  part: number;
  fried: boolean;
  /** False for a compound dish whose ingredients are stated: they are counted instead. */
  counted: boolean;
  label?: string;
}

interface Reading {
  mentions: Mention[];
  /** Words the table does not know, in order; they never reach a log. */
  ignored: string[];
}

/**
 * Reads a description into the foods it names, each with its grams. Within a phrase, a
 * quantity binds to the food it stands beside ("300 g spaghetti cooked in a tablespoon of oil"
 * gives the oil a tablespoon); foods written next to each other are one food and its describing
 * words ("2 salmon avocado sushi rolls"), the last being the head that takes the quantity.
 */
function readMeal(description: string): Reading {
  const parts = splitParts(normalizeText(description));
  const mentions: Mention[] = [];
  const ignored: string[] = [];
  const compounds: { head: Mention; stated: Mention[] }[] = [];
  const byPart: Mention[][] = parts.map(() => []);
  let previous: Food | null = null;
  /** The last food read without a quantity, for "salmon, 150 g". */
  let unsized: { mention: Mention; plural: boolean; context: 'first' | 'with' | 'hot-drink' } | null = null;

  for (const [partIndex, part] of parts.entries()) {
    const matches = findFoods(part.tokens);
    if (ignored.length < MAX_IGNORED) {
      const covered = new Array<boolean>(part.tokens.length).fill(false);
      for (const m of matches) covered.fill(true, m.start, m.end);
      part.tokens.forEach((token, index) => {
        if (ignored.length < MAX_IGNORED && covered[index] !== true && !isNoise(token)) ignored.push(token);
      });
    }
    if (matches.length === 0) {
      // "grilled salmon, 150 g": a phrase that is only a quantity sizes the food before it.
      const quantity = unsized === null ? null : readQuantity(part.tokens);
      if (unsized !== null && quantity !== null && hasQuantity(quantity) && part.tokens.every(isNoise)) {
        quantity.raw = part.tokens.some((token) => RAW_WORDS.has(token));
        const { mention, plural, context } = unsized;
        mention.grams = gramsOf(mention.food, quantity, plural, context);
        mention.explicit = quantity.explicit;
        mention.measured = isMeasured(quantity);
      }
      unsized = null;
      continue;
    }
    const groups: Match[][] = [];
    for (const match of matches) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[last.length - 1]?.end === match.start) last.push(match);
      else groups.push([match]);
    }
    const splits = groups.map((group, index) => {
      const start = groups[index - 1]?.at(-1)?.end ?? 0;
      const end = group[0]?.start ?? start;
      return index === 0 ? 0 : lastQuantityStart(part.tokens, start, end);
    });
    for (const [groupIndex, group] of groups.entries()) {
      const first = group[0];
      const head = group[group.length - 1];
      if (first === undefined || head === undefined) continue;
      // Between two foods, the last quantity stands beside the later one and what comes before
      // it after the earlier one: "kumara 250 g roasted in a tablespoon of oil".
      const from = groupIndex === 0 ? 0 : (splits[groupIndex] ?? first.start);
      const before = part.tokens.slice(from, first.start);
      const after = part.tokens.slice(head.end, splits[groupIndex + 1] ?? part.tokens.length);
      let quantity = readQuantity(before);
      if (!hasQuantity(quantity)) {
        const later = readQuantity(after);
        if (hasQuantity(later)) {
          quantity = {
            ...later,
            size: later.size * quantity.size,
            sizeWord: quantity.sizeWord ?? later.sizeWord,
          };
        }
      }
      const around = [...before, ...after];
      quantity.raw = around.some((token) => RAW_WORDS.has(token));
      const fried = around.some((token) => FRY_WORDS.has(token));
      // Milk listed after a tea or coffee went into it, whatever joined the two ("tea, milk").
      const context =
        groupIndex > 0
          ? 'with'
          : previous?.hotDrink === true && (part.joinedWith || head.alias.food.inHotDrink !== undefined)
            ? 'hot-drink'
            : part.joinedWith
              ? 'with'
              : 'first';
      const dish = head.alias.food;
      const takes = (food: Food): boolean => food.kind !== undefined && dish.takes.has(food.kind);
      // "3 egg omelette": the number stands beside the eggs, and the omelette is made of them.
      const countsFirst =
        first !== head && takes(first.alias.food) && first.alias.food.countable && quantity.unit === null;
      const stated: Mention[] = [];
      for (const match of group) {
        const food = match.alias.food;
        const isHead = match === head;
        if (!isHead) {
          // A dish already holds its fillings; a compound dish takes them as its ingredients,
          // and a plain food gets them as toppings.
          if (food === dish || (dish.dish && !takes(food))) continue;
          if (byPart[partIndex]?.some((m) => m.food === food)) continue;
        }
        const own = isHead
          ? countsFirst
            ? noQuantity()
            : quantity
          : countsFirst && match === first
            ? quantity
            : noQuantity();
        const mention: Mention = {
          food,
          grams: gramsOf(food, own, match.alias.plural, isHead ? context : 'with'),
          explicit: own.explicit || (isHead && countsFirst),
          measured: isMeasured(own),
          part: partIndex,
          fried,
          counted: true,
        };
        mentions.push(mention);
        byPart[partIndex]?.push(mention);
        if (isHead) {
          unsized = hasQuantity(own) ? null : { mention, plural: match.alias.plural, context };
        }
        if (!isHead && takes(food)) stated.push(mention);
        if (isHead && dish.takes.size > 0) compounds.push({ head: mention, stated });
      }
      previous = dish;
    }
  }

  // Ingredients written beside a compound dish ("omelette with 3 eggs and 30 g cheese", "protein
  // shake: whey, milk", "chicken and broccoli stir fry"): the phrases right after it, and the ones
  // right before it joined by "and", for as long as each names only the dish's ingredients.
  const onlyIngredients = (dish: Food, index: number): boolean => {
    const named = byPart[index] ?? [];
    return named.length > 0 && named.every((m) => m.food.kind !== undefined && dish.takes.has(m.food.kind));
  };
  for (const { head, stated } of compounds) {
    const dish = head.food;
    for (let index = head.part + 1; index < parts.length && onlyIngredients(dish, index); index++) {
      stated.push(...(byPart[index] ?? []));
    }
    if (parts[head.part]?.joinedAnd === true) {
      for (let index = head.part - 1; index >= 0 && onlyIngredients(dish, index); index--) {
        stated.push(...(byPart[index] ?? []));
      }
    }
    if (stated.length === 0 || !head.counted) continue;
    // Counted once: the stated ingredients, and the recipe's rows of the kinds not stated.
    head.counted = false;
    const kinds = new Set(stated.map((m) => m.food.kind));
    const scale = head.grams / dish.portion;
    const at = mentions.indexOf(head);
    const kept = dish.recipe
      .filter(({ food }) => food.kind === undefined || !kinds.has(food.kind))
      .map(({ food, grams }): Mention => ({
        food,
        grams: grams * scale,
        explicit: head.explicit,
        measured: false,
        part: head.part,
        fried: false,
        counted: true,
      }));
    mentions.splice(at + 1, 0, ...kept);
  }

  // "Pan-fried salmon": fried with a stated amount of oil when the meal states no fat.
  const counted = mentions.filter((m) => m.counted);
  const fried = counted.filter((m) => m.fried && !m.food.dish && !COOKED_IN_FAT.test(m.food.name));
  const oil = ALIASES.get('olive oil')?.food;
  if (fried.length > 0 && oil !== undefined && !counted.some((m) => m.food.kind === 'fat')) {
    const grams = fried.reduce((sum, m) => sum + m.grams, 0);
    mentions.push({
      food: oil,
      grams: Math.max(FRYING_OIL_PER_100G, (grams * FRYING_OIL_PER_100G) / 100),
      explicit: false,
      measured: false,
      part: fried[0]?.part ?? 0,
      fried: false,
      counted: true,
      label: 'oil for frying',
    });
  }
  return { mentions: mentions.filter((m) => m.counted), ignored };
}

/** A table estimate, and the words of the description it did not know. */
export type TableEstimate = EstimateOutput & { ignored: string[] };

const round1 = (value: number): number => Math.round(value * 10) / 10;

const safeGrams = (food: Food, grams: number): number => {
  const safe = Number.isFinite(grams) && grams > 0 ? grams : 0;
  return Math.min(safe, MAX_ITEM_GRAMS, food.kcal > 0 ? MAX_ITEM_KCAL / food.kcal : MAX_ITEM_GRAMS);
};

/**
 * Estimates a meal from its description with the food table, or null when no food in it is
 * known. Unknown words never fail it: they are listed in `ignored`, and make it 'low'
 * confidence. 'medium' when every food has a stated quantity and every word was read.
 */
export function estimateFromTable(description: string): TableEstimate | null {
  const { mentions, ignored } = readMeal(description);
  if (mentions.length === 0) return null;
  const kept = mentions.slice(0, MAX_ITEMS);

  let proteinG = 0;
  let carbsG = 0;
  let fatG = 0;
  let calories = 0;
  const items = kept.map(({ food, grams, label }) => {
    const capped = safeGrams(food, grams);
    const kcal = Math.round(capped * food.kcal);
    proteinG += capped * food.protein;
    carbsG += capped * food.carbs;
    fatG += capped * food.fat;
    calories += kcal;
    return { name: label ?? food.name, grams: round1(capped), calories: kcal };
  });

  const certain = ignored.length === 0 && kept.length === mentions.length && kept.every((m) => m.explicit);
  return {
    items,
    calories,
    proteinG: round1(proteinG),
    carbsG: round1(carbsG),
    fatG: round1(fatG),
    confidence: certain ? 'medium' : 'low',
    ignored,
  };
}

/** One food a description names, as the table reads it, for the plausibility checks. */
export interface DescribedFood {
  name: string;
  grams: number;
  kcal: number;
  /** The quantity was stated (a number, a weight, a measure), not assumed. */
  explicit: boolean;
  /** Weighed or measured (grams, millilitres, a cup, a tablespoon...), not counted. */
  measured: boolean;
}

export function describeMeal(description: string): { foods: DescribedFood[]; ignored: string[] } {
  const { mentions, ignored } = readMeal(description);
  return {
    foods: mentions.map(({ food, grams, explicit, measured, label }) => {
      const capped = safeGrams(food, grams);
      return { name: label ?? food.name, grams: capped, kcal: capped * food.kcal, explicit, measured };
    }),
    ignored,
  };
}

/** Whether an item name (an LLM's "Extra virgin olive oil") names the table food `name`. */
export function namesFood(itemName: string, name: string): boolean {
  const target = ALIASES.get(normalizeAlias(name))?.food;
  if (target === undefined) return false;
  const tokens = normalizeAlias(itemName).split(' ');
  return findFoods(tokens).some((match) => match.alias.food === target);
}

// ------------------------------------------------------------------------------- the weekly review

const SUMMARY_MAX_WORDS = 120;
const SLEEP_TARGET_HOURS = 7;
const STEPS_TARGET = 7_000;
const WATER_LOW_ML = 1_500;

/** 7000 -> "7,000", without depending on the runtime's locale data. */
function thousands(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const plural = (count: number, one: string, many: string): string => (count === 1 ? one : many);

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function present(days: readonly ReviewDay[], pick: (day: ReviewDay) => number | null): number[] {
  return days.map(pick).filter((value): value is number => value !== null && Number.isFinite(value));
}

interface Sentence {
  text: string;
  /** Lower is kept first when the summary is too long. */
  priority: number;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

/**
 * A kind, specific weekly review from the week's numbers, written by rules: a summary of at most
 * 120 words and 2 or 3 one-sentence suggestions. No names and no medical advice.
 */
export function writeRuleReview(week: ReviewAggregates): ReviewOutput {
  const days = [...week.days].sort((a, b) => a.date.localeCompare(b.date));
  const goals = week.goals;
  const logged = days.filter((day) => day.meals > 0);
  // Calories and macros only from days whose meals were all estimated: the others are short.
  const complete = logged.filter((day) => day.unestimatedMeals === 0);
  const unestimated = days.reduce((sum, day) => sum + day.unestimatedMeals, 0);
  const avgKcal = mean(complete.map((day) => day.calories));
  const avgProtein = mean(complete.map((day) => day.proteinG));
  const sleep = present(days, (day) => day.sleepHours);
  const steps = present(days, (day) => day.steps);
  const water = present(days, (day) => day.waterMl);
  const weights = present(days, (day) => day.weightKg);
  const avgSleep = mean(sleep);
  const avgSteps = mean(steps);
  const avgWater = mean(water);
  const kcalGoal = goals !== null && goals.calories > 0 ? goals.calories : null;
  const proteinGoal = goals !== null && goals.proteinG > 0 ? goals.proteinG : null;
  const anyMetric = sleep.length + steps.length + water.length + weights.length > 0;

  const sentences: Sentence[] = [];
  const say = (priority: number, text: string): void => {
    sentences.push({ text, priority });
  };

  if (logged.length === 0) {
    say(
      0,
      anyMetric
        ? 'No meals were logged this week, but your other entries still show how the week went.'
        : 'Nothing was logged this week yet, so this review is a short one; next week is a fresh start.',
    );
  } else if (logged.length === days.length) {
    say(0, `You logged meals on all ${days.length} days this week, which is a great habit.`);
  } else {
    say(0, `You logged meals on ${logged.length} of ${days.length} days this week.`);
  }

  if (avgKcal !== null) {
    let text = `Your estimated intake averaged ${thousands(avgKcal)} kcal a day`;
    if (kcalGoal !== null) {
      const ratio = avgKcal / kcalGoal;
      const relation = ratio > 1.1 ? 'above' : ratio < 0.9 ? 'below' : 'close to';
      text += `, ${relation} your goal of ${thousands(kcalGoal)} kcal`;
    }
    say(1, `${text}.`);
  }
  if (avgProtein !== null) {
    if (proteinGoal !== null) {
      const onTrack = avgProtein >= proteinGoal * 0.9;
      say(
        2,
        `Protein averaged ${Math.round(avgProtein)} g against a goal of ${Math.round(proteinGoal)} g${
          onTrack ? ', nicely on track' : ''
        }.`,
      );
    } else {
      say(2, `Protein averaged ${Math.round(avgProtein)} g a day.`);
    }
  }
  if (avgSleep !== null) {
    const nights =
      sleep.length < days.length
        ? ` over ${sleep.length} logged ${plural(sleep.length, 'night', 'nights')}`
        : '';
    const praise = avgSleep >= SLEEP_TARGET_HOURS ? ', a solid base' : '';
    say(3, `You slept ${avgSleep.toFixed(1)} hours a night on average${nights}${praise}.`);
  }
  if (avgSteps !== null) {
    const praise = avgSteps >= STEPS_TARGET ? ', well done' : '';
    say(4, `Steps averaged ${thousands(avgSteps)} a day${praise}.`);
  }
  const firstWeight = weights[0];
  const lastWeight = weights[weights.length - 1];
  if (weights.length >= 2 && firstWeight !== undefined && lastWeight !== undefined) {
    const change = lastWeight - firstWeight;
    say(
      5,
      Math.abs(change) < 0.2
        ? `Your weight held steady at about ${lastWeight.toFixed(1)} kg.`
        : `Your weight went from ${firstWeight.toFixed(1)} kg to ${lastWeight.toFixed(1)} kg (${
            change > 0 ? '+' : '-'
          }${Math.abs(change).toFixed(1)} kg).`,
    );
  }
  if (unestimated > 0 && logged.length > 0) {
    say(
      6,
      `${unestimated} ${plural(unestimated, 'meal', 'meals')} had no estimate, so ${
        avgKcal === null ? 'there are no full days to average' : 'only fully estimated days are averaged'
      }.`,
    );
  }
  if (avgWater !== null) say(7, `Water averaged ${thousands(avgWater)} ml a day.`);
  if (logged.length > 0 || anyMetric) say(8, 'Small, steady steps add up: keep going.');

  // Keep the most important sentences that fit, in their original order.
  const kept = new Set<Sentence>();
  let words = 0;
  for (const sentence of [...sentences].sort((a, b) => a.priority - b.priority)) {
    const count = wordCount(sentence.text);
    if (words + count <= SUMMARY_MAX_WORDS) {
      kept.add(sentence);
      words += count;
    }
  }
  const summary = sentences
    .filter((sentence) => kept.has(sentence))
    .map((sentence) => sentence.text)
    .join(' ');

  const suggestions: string[] = [];
  if (logged.length === 0) {
    suggestions.push(
      "Try logging at least one meal a day this week, even a short description, so next week's review can say more.",
    );
  } else if (logged.length < 5) {
    suggestions.push(
      'Aim to log your meals on at least five days this week; a fuller log gives a clearer picture.',
    );
  }
  if (avgProtein !== null && proteinGoal !== null && avgProtein < proteinGoal * 0.9) {
    suggestions.push(
      `Add a protein food such as eggs, yoghurt, fish, chicken, tofu or beans to one more meal a day to move toward your ${Math.round(
        proteinGoal,
      )} g goal.`,
    );
  }
  if (avgSleep !== null && avgSleep < SLEEP_TARGET_HOURS) {
    suggestions.push(
      'Aim for at least seven hours of sleep by keeping a regular bedtime and winding down for half an hour before it.',
    );
  }
  if (avgSteps !== null && avgSteps < STEPS_TARGET) {
    suggestions.push(
      `Add a 15-minute walk on most days, for example after a meal, to lift your steps from about ${thousands(
        avgSteps,
      )} toward ${thousands(STEPS_TARGET)}.`,
    );
  }
  if (unestimated > 0) {
    suggestions.push(
      `Add amounts and main ingredients to meal descriptions so every meal can be estimated; ${unestimated} ${plural(
        unestimated,
        'meal was',
        'meals were',
      )} not estimated this week.`,
    );
  }
  if (avgKcal !== null && kcalGoal !== null && avgKcal > kcalGoal * 1.1) {
    suggestions.push(
      'Your average ran above your calorie goal, so try a slightly smaller serving at the meal where you usually eat most.',
    );
  }
  if (avgKcal !== null && kcalGoal !== null && avgKcal < kcalGoal * 0.8) {
    suggestions.push(
      'Your logged intake is well under your goal; check that snacks and drinks are logged too, since they are easy to forget.',
    );
  }
  if (avgWater !== null && avgWater < WATER_LOW_ML) {
    suggestions.push(`Keep a water bottle within reach; you averaged about ${thousands(avgWater)} ml a day.`);
  }
  if (avgSleep === null && avgSteps === null) {
    suggestions.push("Log your sleep and steps on a few days so next week's review can include them.");
  }
  for (const fallback of [
    'Keep logging meals at about the same times each day; steady habits make the weekly numbers more useful.',
    'Pick one thing that went well this week and repeat it on most days of the next.',
  ]) {
    if (suggestions.length < 2) suggestions.push(fallback);
  }

  return { summary, suggestions: suggestions.slice(0, 3) };
}
