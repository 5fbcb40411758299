import { FOOD_TABLE, INGREDIENT_KINDS, type NutrientRow } from '../src/providers/offline-food-table';

const nutrientRows = FOOD_TABLE.filter((row): row is NutrientRow => !('recipe' in row));

/**
 * The Atwater sum of a row's macros: 4 kcal/g protein and carbohydrate, 9 fat, 7 alcohol, and
 * for label rows (whose carbohydrate is "available", fibre apart) 2 kcal/g fibre (8 kJ/g, as
 * the ANZ code counts it).
 */
function atwater(row: NutrientRow): number {
  return 4 * row.protein + 4 * row.carbs + 9 * row.fat + 7 * (row.alcohol ?? 0) + 2 * (row.fibre ?? 0);
}

/**
 * How far a row's stated energy may sit from that sum. FDC states energy with food-specific
 * factors, and SR's carbohydrate is by difference, fibre included: 4 kcal/g on fibre and on
 * the carbohydrate of fruit and vegetables (FDC: 3.36-3.84) overstates their energy, so the
 * sum may exceed the stated energy by up to 15 % + 8 kcal (mushrooms, spinach, berries are the
 * closest). It may fall short by at most 5 % + 5 kcal. A misread digit in any macro or in the
 * energy, a macro in the wrong column, or alcohol left out breaks one bound or the other.
 */
const OVER = { percent: 15, kcal: 8 };
const UNDER = { percent: 5, kcal: 5 };

describe('the offline food table', () => {
  test.each(nutrientRows.map((row) => [row.name, row] as const))(
    '%s: energy agrees with the Atwater sum of its macros',
    (_name, row) => {
      const sum = atwater(row);
      expect(sum - row.kcal).toBeLessThanOrEqual((row.kcal * OVER.percent) / 100 + OVER.kcal);
      expect(row.kcal - sum).toBeLessThanOrEqual((row.kcal * UNDER.percent) / 100 + UNDER.kcal);
    },
  );

  test('the Atwater check catches a misread value', () => {
    const banana = nutrientRows.find((row) => row.name === 'banana');
    if (banana === undefined) throw new Error('no banana row');
    for (const wrong of [
      { ...banana, kcal: 98 * 2 },
      { ...banana, carbs: banana.carbs * 2 },
      { ...banana, fat: banana.fat + 3 },
    ]) {
      const sum = atwater(wrong);
      const within =
        sum - wrong.kcal <= (wrong.kcal * OVER.percent) / 100 + OVER.kcal &&
        wrong.kcal - sum <= (wrong.kcal * UNDER.percent) / 100 + UNDER.kcal;
      expect(within).toBe(false);
    }
  });

  test('every row says where its values come from: an FDC entry or a product label', () => {
    for (const row of nutrientRows) {
      const sources = [row.fdc, row.label].filter((source) => source !== undefined);
      expect({ name: row.name, sources: sources.length }).toEqual({ name: row.name, sources: 1 });
      if (row.fdc) expect(row.fdc.description).toMatch(/^[A-Z].*[A-Za-z)0-9"]$/);
      if (row.fibre !== undefined) expect(row.label).toBeDefined();
    }
  });

  test('FDC ids are SR Legacy ids, one description each', () => {
    const descriptions = new Map<number, string>();
    for (const row of nutrientRows) {
      const id = row.fdc?.id;
      if (id === undefined || id === null) continue;
      // SR Legacy's FDC ids run from 167512 to 175304.
      expect(id).toBeGreaterThanOrEqual(167_512);
      expect(id).toBeLessThanOrEqual(175_304);
      const seen = descriptions.get(id);
      if (seen !== undefined) expect(row.fdc?.description).toBe(seen);
      descriptions.set(id, row.fdc?.description ?? '');
    }
    expect(descriptions.size).toBeGreaterThan(90);
  });

  test('FDC household weights size the foods people weigh by size', () => {
    const sizes = (name: string) => nutrientRows.find((row) => row.name === name)?.sizes;
    // FDC 173944 "Bananas, raw": small 101 g, medium 118 g, large 136 g.
    expect(sizes('banana')).toEqual({ small: 101, medium: 118, large: 136 });
    // FDC 171287 "Egg, whole, raw, fresh": large 50 g.
    expect(sizes('egg')?.large).toBe(50);
  });

  test('every ingredient kind names rows of the table', () => {
    const names = new Set(FOOD_TABLE.map((row) => row.name));
    for (const name of Object.values(INGREDIENT_KINDS).flat()) expect(names.has(name)).toBe(true);
  });
});
