/**
 * The offline estimator's food table: what it knows, as data.
 *
 * Where the numbers come from:
 * - Energy (kcal) and protein, carbohydrate (by difference) and fat (g) per 100 g of edible food
 *   are USDA FoodData Central values, mostly SR Legacy (the final 2018 release), as transcribed by
 *   hand: spot-check against https://fdc.nal.usda.gov/ before relying on a single row. The SR
 *   description of the row used is in the comment beside it where the name alone is ambiguous.
 * - The few foods USDA does not describe (Weet-Bix, muesli, whey protein powder, Nutella) use the
 *   per-100 g column of a typical NZ/AU or manufacturer's label; they are marked "label".
 * - Composite dishes (fish and chips, flat white, caesar salad, sushi...) have a `recipe` of
 *   rows from this table in grams instead of their own values; their per-100 g values are
 *   computed from it. The recipes are portion assumptions, not measurements.
 * - Portions and household measures (a slice, a cup, a piece) are USDA household weights where
 *   FDC gives one, adjusted to NZ/AU norms where they differ (sliced bread, a flat white, a scoop
 *   of chips); they are assumptions and the estimate says so with its confidence.
 *
 * Energy of alcoholic drinks includes the alcohol, so their macros do not add up to their kcal.
 */

/** The household measures a row may size itself by, in grams of that food. */
export interface HouseholdMeasures {
  piece?: number;
  slice?: number;
  cup?: number;
  tbsp?: number;
  tsp?: number;
  bowl?: number;
  handful?: number;
  can?: number;
  glass?: number;
  bottle?: number;
  scoop?: number;
  pack?: number;
  bar?: number;
  square?: number;
}

interface FoodRowBase {
  /** The name an estimate item carries; also an alias. */
  name: string;
  /** Other ways users write it, lower case and singular; plurals are derived. */
  aliases?: readonly string[];
  /** Grams eaten when no quantity is given. */
  portion: number;
  measures?: HouseholdMeasures;
  /** A drink: cups, glasses and cans are measured by volume (g = ml x density). */
  liquid?: boolean;
  /** g/ml, 1 unless given. */
  density?: number;
  /** Grams when it comes "with" another food and no quantity is given (milk in cereal). */
  side?: number;
  /** Grams when it comes with a hot drink and no quantity is given (milk in tea). */
  inHotDrink?: number;
  /** Tea and coffee: what `inHotDrink` is about. */
  hotDrink?: boolean;
  /** Counted one by one: "egg" without a number is one piece, "eggs" is a portion. */
  countable?: boolean;
  /**
   * Grams as eaten per gram weighed raw or dry ("100 g pasta, dry weight"): the ratio of the SR
   * raw and cooked energy densities for starches, typical USDA cooking yields for meat and fish.
   */
  cookedPerRaw?: number;
}

export interface NutrientRow extends FoodRowBase {
  /** Per 100 g. */
  kcal: number;
  protein: number;
  carbs: number;
  fat: number;
}

export interface RecipeRow extends FoodRowBase {
  /** [name of a nutrient row, grams] pairs; the portion is their sum unless given otherwise. */
  recipe: readonly (readonly [string, number])[];
}

export type FoodRow = NutrientRow | RecipeRow;

export const FOOD_TABLE: readonly FoodRow[] = [
  // ---------------------------------------------------------------- eggs and dairy
  {
    name: 'egg', // Egg, whole, raw, fresh (a boiled or poached egg is the same food)
    aliases: ['eggs', 'boiled egg', 'hard boiled egg', 'soft boiled egg', 'poached egg', 'free range egg'],
    kcal: 143,
    protein: 12.56,
    carbs: 0.72,
    fat: 9.51,
    portion: 100,
    countable: true,
    measures: { piece: 50 },
  },
  {
    name: 'fried egg', // Egg, whole, cooked, fried
    kcal: 196,
    protein: 13.61,
    carbs: 0.83,
    fat: 14.84,
    portion: 92,
    countable: true,
    measures: { piece: 46 },
  },
  {
    name: 'scrambled eggs', // Egg, whole, cooked, scrambled
    aliases: ['scrambled egg'],
    kcal: 149,
    protein: 9.99,
    carbs: 1.61,
    fat: 10.98,
    portion: 120,
    measures: { cup: 220, piece: 60 },
  },
  {
    name: 'omelette', // Egg, whole, cooked, omelet
    aliases: ['omelet', 'cheese omelette'],
    kcal: 154,
    protein: 10.57,
    carbs: 0.64,
    fat: 11.66,
    portion: 120,
    measures: { piece: 120 },
  },
  {
    name: 'milk', // Milk, whole, 3.25% milkfat
    aliases: ['whole milk', 'full cream milk', 'full fat milk', 'blue top milk', 'standard milk'],
    kcal: 61,
    protein: 3.15,
    carbs: 4.8,
    fat: 3.25,
    portion: 250,
    liquid: true,
    density: 1.03,
    side: 125,
    inHotDrink: 30,
  },
  {
    name: 'reduced-fat milk', // Milk, reduced fat, fluid, 2% milkfat
    aliases: ['lite milk', 'light milk', 'low fat milk', 'reduced fat milk', 'light blue milk'],
    kcal: 50,
    protein: 3.3,
    carbs: 4.8,
    fat: 1.98,
    portion: 250,
    liquid: true,
    density: 1.03,
    side: 125,
    inHotDrink: 30,
  },
  {
    name: 'skim milk', // Milk, nonfat, fluid (fat free or skim)
    aliases: ['trim milk', 'skimmed milk', 'fat free milk', 'green top milk'],
    kcal: 34,
    protein: 3.37,
    carbs: 4.96,
    fat: 0.08,
    portion: 250,
    liquid: true,
    density: 1.03,
    side: 125,
    inHotDrink: 30,
  },
  {
    name: 'soy milk', // Soymilk, original and vanilla, unfortified
    aliases: ['soymilk', 'soya milk'],
    kcal: 54,
    protein: 3.27,
    carbs: 6.28,
    fat: 1.75,
    portion: 250,
    liquid: true,
    side: 125,
    inHotDrink: 30,
  },
  {
    name: 'almond milk', // Beverages, almond milk, unsweetened, shelf stable
    kcal: 15,
    protein: 0.59,
    carbs: 0.58,
    fat: 1.1,
    portion: 250,
    liquid: true,
    side: 125,
    inHotDrink: 30,
  },
  {
    name: 'chocolate milk', // Milk, chocolate, fluid, commercial, whole
    aliases: ['choc milk', 'flavoured milk', 'iced chocolate'],
    kcal: 83,
    protein: 3.17,
    carbs: 10.34,
    fat: 3.39,
    portion: 300,
    liquid: true,
    density: 1.04,
  },
  {
    name: 'yoghurt', // Yogurt, plain, whole milk
    aliases: ['yogurt', 'plain yoghurt', 'plain yogurt', 'natural yoghurt', 'natural yogurt'],
    kcal: 61,
    protein: 3.47,
    carbs: 4.66,
    fat: 3.25,
    portion: 150,
    measures: { cup: 245, tbsp: 15, pack: 150 },
    side: 100,
  },
  {
    name: 'greek yoghurt', // Yogurt, Greek, plain, whole milk
    aliases: ['greek yogurt', 'greek style yoghurt', 'greek style yogurt', 'unsweetened greek yoghurt'],
    kcal: 97,
    protein: 9,
    carbs: 3.98,
    fat: 5,
    portion: 150,
    measures: { cup: 245, tbsp: 15, pack: 170 },
    side: 100,
  },
  {
    name: 'fruit yoghurt', // Yogurt, fruit, low fat, 9 g protein per 8 oz
    aliases: [
      'fruit yogurt',
      'flavoured yoghurt',
      'flavoured yogurt',
      'flavored yogurt',
      'vanilla yoghurt',
      'vanilla yogurt',
      'strawberry yoghurt',
      'strawberry yogurt',
      'berry yoghurt',
    ],
    kcal: 99,
    protein: 3.98,
    carbs: 18.64,
    fat: 1.15,
    portion: 150,
    measures: { cup: 245, pack: 150 },
  },
  {
    name: 'cheddar cheese', // Cheese, cheddar
    aliases: ['cheese', 'cheddar', 'tasty cheese', 'grated cheese', 'edam', 'colby'],
    kcal: 403,
    protein: 24.9,
    carbs: 1.28,
    fat: 33.14,
    portion: 30,
    measures: { slice: 20, cup: 113, tbsp: 7, handful: 30, piece: 20 },
    side: 20,
  },
  {
    name: 'mozzarella', // Cheese, mozzarella, whole milk
    aliases: ['mozzarella cheese', 'bocconcini'],
    kcal: 300,
    protein: 22.17,
    carbs: 2.19,
    fat: 22.35,
    portion: 30,
    measures: { slice: 20, cup: 113, handful: 30 },
  },
  {
    name: 'feta', // Cheese, feta
    aliases: ['feta cheese'],
    kcal: 264,
    protein: 14.21,
    carbs: 4.09,
    fat: 21.28,
    portion: 30,
    measures: { cup: 150, tbsp: 10 },
  },
  {
    name: 'cottage cheese', // Cheese, cottage, creamed, large or small curd
    kcal: 98,
    protein: 11.12,
    carbs: 3.38,
    fat: 4.3,
    portion: 110,
    measures: { cup: 210, tbsp: 15 },
  },
  {
    name: 'cream cheese', // Cheese, cream
    aliases: ['philadelphia'],
    kcal: 342,
    protein: 5.93,
    carbs: 4.07,
    fat: 34.24,
    portion: 30,
    measures: { tbsp: 14.5 },
    side: 20,
  },
  {
    name: 'parmesan', // Cheese, parmesan, hard
    aliases: ['parmesan cheese', 'parmigiano', 'grated parmesan'],
    kcal: 392,
    protein: 35.75,
    carbs: 3.22,
    fat: 25.83,
    portion: 10,
    measures: { tbsp: 5 },
  },
  {
    name: 'butter', // Butter, salted
    aliases: ['salted butter', 'unsalted butter'],
    kcal: 717,
    protein: 0.85,
    carbs: 0.06,
    fat: 81.11,
    portion: 10,
    measures: { tbsp: 14.2, tsp: 4.7, piece: 5 },
    side: 7,
  },
  {
    name: 'margarine', // Margarine, regular, 80% fat, composite, stick, with salt
    aliases: ['marg', 'spread', 'flora', 'olivani'],
    kcal: 717,
    protein: 0.16,
    carbs: 0.7,
    fat: 80.71,
    portion: 10,
    measures: { tbsp: 14.2, tsp: 4.7 },
    side: 7,
  },
  {
    name: 'cream', // Cream, fluid, heavy whipping
    aliases: ['whipped cream', 'whipping cream', 'heavy cream', 'double cream', 'runny cream'],
    kcal: 345,
    protein: 2.05,
    carbs: 2.79,
    fat: 37,
    portion: 30,
    measures: { tbsp: 15, cup: 238 },
    side: 20,
  },
  {
    name: 'sour cream', // Cream, sour, cultured
    kcal: 198,
    protein: 2.44,
    carbs: 4.63,
    fat: 19.35,
    portion: 30,
    measures: { tbsp: 12 },
    side: 24,
  },
  {
    name: 'ice cream', // Ice creams, vanilla
    aliases: ['vanilla ice cream', 'icecream', 'gelato'],
    kcal: 207,
    protein: 3.5,
    carbs: 23.6,
    fat: 11,
    portion: 66,
    measures: { scoop: 66, cup: 132, bowl: 132 },
  },

  // ---------------------------------------------------------------- bread and baking
  {
    name: 'white bread', // Bread, white, commercially prepared (toast: the same slice, less water)
    aliases: ['bread', 'toast', 'white toast', 'sandwich bread', 'toast bread'],
    kcal: 266,
    protein: 7.64,
    carbs: 50.61,
    fat: 3.29,
    portion: 60,
    measures: { slice: 30, piece: 30 },
  },
  {
    name: 'wholemeal bread', // Bread, whole-wheat, commercially prepared
    aliases: [
      'wholemeal',
      'wholemeal toast',
      'whole wheat bread',
      'whole wheat toast',
      'wholewheat bread',
      'brown bread',
      'brown toast',
    ],
    kcal: 252,
    protein: 12.45,
    carbs: 42.71,
    fat: 3.5,
    portion: 70,
    measures: { slice: 35, piece: 35 },
  },
  {
    name: 'multigrain bread', // Bread, multi-grain (includes whole-grain)
    aliases: [
      'multigrain toast',
      'grain bread',
      'grain toast',
      'wholegrain bread',
      'wholegrain toast',
      'whole grain bread',
      'seeded bread',
      'seeded toast',
      'vogels',
      'vogels toast',
      'burgen',
    ],
    kcal: 265,
    protein: 13.36,
    carbs: 43.34,
    fat: 4.23,
    portion: 80,
    measures: { slice: 40, piece: 40 },
  },
  {
    name: 'sourdough bread', // Bread, french or vienna (includes sourdough)
    aliases: ['sourdough', 'sourdough toast', 'french bread', 'baguette', 'ciabatta', 'turkish bread'],
    kcal: 272,
    protein: 10.75,
    carbs: 51.88,
    fat: 2.42,
    portion: 90,
    measures: { slice: 45, piece: 45 },
  },
  {
    name: 'bagel', // Bagels, plain, enriched
    kcal: 257,
    protein: 10,
    carbs: 50.5,
    fat: 1.6,
    portion: 105,
    countable: true,
    measures: { piece: 105 },
  },
  {
    name: 'english muffin', // English muffins, plain, enriched
    kcal: 227,
    protein: 8.87,
    carbs: 44.17,
    fat: 1.69,
    portion: 57,
    countable: true,
    measures: { piece: 57 },
  },
  {
    name: 'croissant', // Croissants, butter
    kcal: 406,
    protein: 8.2,
    carbs: 45.8,
    fat: 21,
    portion: 57,
    countable: true,
    measures: { piece: 57 },
  },
  {
    name: 'wrap', // Tortillas, ready-to-bake or -fry, flour
    aliases: ['tortilla', 'flour tortilla', 'tortilla wrap', 'wholemeal wrap'],
    kcal: 304,
    protein: 8.1,
    carbs: 49.8,
    fat: 7.9,
    portion: 60,
    countable: true,
    measures: { piece: 60 },
  },
  {
    name: 'pita bread', // Bread, pita, white, enriched
    aliases: ['pita', 'pitta', 'pita pocket'],
    kcal: 275,
    protein: 9.1,
    carbs: 55.7,
    fat: 1.2,
    portion: 60,
    measures: { piece: 60 },
  },
  {
    name: 'naan', // Bread, naan, plain, commercially prepared, refrigerated
    aliases: ['naan bread', 'nan bread', 'garlic naan'],
    kcal: 291,
    protein: 9.6,
    carbs: 50.4,
    fat: 5.7,
    portion: 90,
    measures: { piece: 90 },
  },
  {
    name: 'bread roll', // Rolls, hamburger or hotdog, plain
    aliases: ['roll', 'bun', 'burger bun', 'hamburger bun', 'dinner roll', 'hot dog bun', 'brioche bun'],
    kcal: 279,
    protein: 9.5,
    carbs: 49.4,
    fat: 4.3,
    portion: 55,
    countable: true,
    measures: { piece: 55 },
  },
  {
    name: 'scone', // Biscuits, plain or buttermilk, prepared from recipe (a US biscuit is a scone)
    aliases: ['cheese scone', 'date scone', 'plain scone'],
    kcal: 353,
    protein: 7,
    carbs: 44.6,
    fat: 16.3,
    portion: 70,
    countable: true,
    measures: { piece: 70 },
  },
  {
    name: 'pancake', // Pancakes, plain, prepared from recipe
    aliases: ['pikelet', 'hotcake', 'crepe'],
    kcal: 227,
    protein: 6.4,
    carbs: 28.3,
    fat: 9.7,
    portion: 120,
    countable: true,
    measures: { piece: 40 },
  },
  {
    name: 'muffin', // Muffins, blueberry, commercially prepared
    aliases: ['blueberry muffin', 'chocolate muffin', 'banana muffin', 'bran muffin', 'cafe muffin'],
    kcal: 377,
    protein: 4.4,
    carbs: 53,
    fat: 16.1,
    portion: 113,
    countable: true,
    measures: { piece: 113 },
  },
  {
    name: 'banana bread', // Bread, banana, prepared from recipe, made with margarine
    aliases: ['banana loaf', 'banana cake'],
    kcal: 326,
    protein: 4.3,
    carbs: 54.6,
    fat: 10.5,
    portion: 80,
    measures: { slice: 80, piece: 80 },
  },
  {
    name: 'cake', // Cake, chocolate, commercially prepared with chocolate frosting
    aliases: ['chocolate cake', 'birthday cake', 'carrot cake', 'sponge cake'],
    kcal: 367,
    protein: 4.1,
    carbs: 54.6,
    fat: 16.4,
    portion: 80,
    measures: { slice: 80, piece: 80 },
  },
  {
    name: 'brownie', // Brownies, commercially prepared
    aliases: ['chocolate brownie'],
    kcal: 405,
    protein: 4.8,
    carbs: 63.9,
    fat: 16.3,
    portion: 56,
    countable: true,
    measures: { piece: 56, slice: 56 },
  },
  {
    name: 'apple pie', // Pie, apple, commercially prepared, enriched flour
    aliases: ['fruit pie', 'apple crumble'],
    kcal: 237,
    protein: 1.9,
    carbs: 34,
    fat: 11,
    portion: 125,
    measures: { slice: 125, piece: 125 },
  },
  {
    name: 'doughnut', // Doughnuts, yeast-leavened, glazed, enriched
    aliases: ['donut', 'glazed donut', 'cinnamon donut'],
    kcal: 403,
    protein: 6.4,
    carbs: 44.3,
    fat: 22.8,
    portion: 60,
    countable: true,
    measures: { piece: 60 },
  },
  {
    name: 'biscuit', // Cookies, chocolate chip, commercially prepared (NZ/AU "biscuit")
    aliases: [
      'cookie',
      'chocolate chip cookie',
      'choc chip cookie',
      'chocolate biscuit',
      'digestive',
      'digestive biscuit',
      'gingernut',
      'tim tam',
      'anzac biscuit',
      'toffee pop',
      'mallowpuff',
    ],
    kcal: 488,
    protein: 4.9,
    carbs: 64.3,
    fat: 24.2,
    portion: 24,
    countable: true,
    measures: { piece: 12, pack: 200 },
  },
  {
    name: 'crackers', // Crackers, saltines
    aliases: ['cracker', 'cream cracker', 'saltine', 'water cracker', 'cruskit', 'ritz'],
    kcal: 418,
    protein: 9.46,
    carbs: 74.05,
    fat: 8.64,
    portion: 20,
    countable: true,
    measures: { piece: 5 },
  },
  {
    name: 'rice cakes', // Snacks, rice cakes, brown rice, plain
    aliases: ['rice cake', 'rice crackers', 'rice cracker', 'corn thins', 'corn thin'],
    kcal: 387,
    protein: 8.2,
    carbs: 81.5,
    fat: 2.8,
    portion: 18,
    countable: true,
    measures: { piece: 9 },
  },
  {
    name: 'muesli bar', // Snacks, granola bars, hard, plain
    aliases: ['granola bar', 'cereal bar', 'nut bar', 'oat bar', 'snack bar'],
    kcal: 471,
    protein: 10.1,
    carbs: 64.4,
    fat: 19.8,
    portion: 32,
    measures: { piece: 32, bar: 32 },
  },
  {
    name: 'puff pastry', // Puff pastry, frozen, ready-to-bake, baked
    aliases: ['pastry'],
    kcal: 558,
    protein: 7.4,
    carbs: 45.7,
    fat: 38.5,
    portion: 60,
    measures: { slice: 60, piece: 60 },
  },

  // ---------------------------------------------------------------- cereals, grains, starches
  {
    name: 'rolled oats', // Cereals, oats, regular and quick, not fortified, dry
    aliases: ['oats', 'quick oats', 'uncooked oats', 'dry oats', 'oat'],
    kcal: 379,
    protein: 13.15,
    carbs: 67.7,
    fat: 6.52,
    portion: 40,
    measures: { cup: 81, tbsp: 5, handful: 25 },
  },
  {
    name: 'porridge', // Cereals, oats, regular and quick, not fortified, cooked with water
    aliases: ['oatmeal', 'oat porridge'],
    kcal: 71,
    protein: 2.54,
    carbs: 12,
    fat: 1.52,
    portion: 250,
    measures: { cup: 234, bowl: 300 },
  },
  {
    name: 'weet-bix', // label: Sanitarium Weet-Bix, per 100 g (a biscuit is about 17 g)
    aliases: ['weet bix', 'weetbix', 'weet bix biscuit', 'weetbix biscuit', 'weetabix', 'weeties'],
    kcal: 356,
    protein: 12.4,
    carbs: 67,
    fat: 1.4,
    portion: 34,
    measures: { piece: 17, bowl: 34 },
  },
  {
    name: 'cornflakes', // Cereals ready-to-eat, KELLOGG, KELLOGG'S Corn Flakes
    aliases: ['corn flakes', 'cereal', 'breakfast cereal', 'rice bubbles', 'rice krispies', 'special k'],
    kcal: 357,
    protein: 7.5,
    carbs: 84.1,
    fat: 0.4,
    portion: 30,
    measures: { cup: 28, bowl: 40 },
  },
  {
    name: 'muesli', // label: typical NZ/AU untoasted muesli with fruit and nuts, per 100 g
    aliases: ['toasted muesli', 'bircher muesli', 'granola', 'bircher'],
    kcal: 373,
    protein: 10,
    carbs: 66,
    fat: 7.2,
    portion: 50,
    measures: { cup: 100, bowl: 60, tbsp: 8 },
  },
  {
    name: 'rice', // Rice, white, long-grain, regular, enriched, cooked
    aliases: ['white rice', 'steamed rice', 'jasmine rice', 'basmati rice', 'boiled rice', 'sushi rice'],
    kcal: 130,
    protein: 2.69,
    carbs: 28.17,
    fat: 0.28,
    cookedPerRaw: 2.8,
    portion: 180,
    measures: { cup: 158, bowl: 200 },
  },
  {
    name: 'brown rice', // Rice, brown, long-grain, cooked
    kcal: 123,
    protein: 2.74,
    carbs: 25.58,
    fat: 0.97,
    cookedPerRaw: 3.0,
    portion: 180,
    measures: { cup: 195, bowl: 200 },
  },
  {
    name: 'pasta', // Pasta, cooked, enriched, without added salt (spaghetti)
    aliases: [
      'spaghetti',
      'penne',
      'fusilli',
      'macaroni',
      'linguine',
      'fettuccine',
      'tagliatelle',
      'spirals',
      'wholemeal pasta',
    ],
    kcal: 158,
    protein: 5.8,
    carbs: 30.86,
    fat: 0.93,
    cookedPerRaw: 2.35,
    portion: 220,
    measures: { cup: 140, bowl: 250 },
  },
  {
    name: 'noodles', // Noodles, egg, cooked, enriched
    aliases: ['noodle', 'egg noodles', 'hokkien noodles', 'udon', 'udon noodles', 'chow mein noodles'],
    kcal: 138,
    protein: 4.54,
    carbs: 25.16,
    fat: 2.07,
    cookedPerRaw: 2.78,
    portion: 200,
    measures: { cup: 160, bowl: 250 },
  },
  {
    name: 'rice noodles', // Noodles, rice, cooked
    aliases: ['vermicelli', 'rice vermicelli', 'pad thai noodles'],
    kcal: 108,
    protein: 1.79,
    carbs: 24.01,
    fat: 0.2,
    cookedPerRaw: 3.37,
    portion: 200,
    measures: { cup: 176, bowl: 250 },
  },
  {
    name: 'instant noodles', // Soup, ramen noodle, any flavor, dry (a packet is about 73 g in NZ)
    aliases: ['2 minute noodles', 'two minute noodles', 'maggi noodles', 'ramen', 'cup noodles', 'mi goreng'],
    kcal: 440,
    protein: 10.2,
    carbs: 60.3,
    fat: 17.6,
    portion: 73,
    measures: { pack: 73, piece: 73, bowl: 73 },
  },
  {
    name: 'couscous', // Couscous, cooked
    kcal: 112,
    protein: 3.79,
    carbs: 23.22,
    fat: 0.16,
    cookedPerRaw: 3.36,
    portion: 160,
    measures: { cup: 157 },
  },
  {
    name: 'quinoa', // Quinoa, cooked
    kcal: 120,
    protein: 4.4,
    carbs: 21.3,
    fat: 1.92,
    cookedPerRaw: 3.07,
    portion: 185,
    measures: { cup: 185 },
  },
  {
    name: 'potato', // Potatoes, baked, flesh and skin, without salt
    aliases: ['baked potato', 'jacket potato', 'boiled potato', 'roast potato', 'roasted potato', 'spud'],
    kcal: 93,
    protein: 2.5,
    carbs: 21.15,
    fat: 0.13,
    portion: 173,
    countable: true,
    measures: { piece: 173, cup: 150 },
  },
  {
    name: 'mashed potato', // Potatoes, mashed, home-prepared, whole milk and margarine added
    aliases: ['mash', 'potato mash', 'mashed potatoes'],
    kcal: 113,
    protein: 1.96,
    carbs: 16.81,
    fat: 4.2,
    portion: 200,
    measures: { cup: 210, scoop: 100 },
  },
  {
    name: 'hot chips', // Fast foods, potato, french fried in vegetable oil
    aliases: ['chips', 'fries', 'french fries', 'shoestring fries', 'wedges', 'potato wedges', 'chip'],
    kcal: 312,
    protein: 3.43,
    carbs: 41.44,
    fat: 14.73,
    portion: 150,
    measures: { scoop: 300, pack: 117, cup: 60, bowl: 150 },
  },
  {
    name: 'potato crisps', // Snacks, potato chips, plain, salted
    aliases: ['crisps', 'potato chips', 'chippies', 'bag of chips', 'kettle chips', 'salt and vinegar chips'],
    kcal: 536,
    protein: 6.56,
    carbs: 52.9,
    fat: 34.6,
    portion: 30,
    measures: { pack: 45, handful: 15, bowl: 50 },
  },
  {
    name: 'corn chips', // Snacks, tortilla chips, plain, white corn
    aliases: ['tortilla chips', 'doritos', 'nacho chips'],
    kcal: 489,
    protein: 7,
    carbs: 65,
    fat: 22,
    portion: 40,
    measures: { handful: 20, pack: 45, bowl: 50 },
  },
  {
    name: 'popcorn', // Snacks, popcorn, air-popped
    kcal: 387,
    protein: 12.94,
    carbs: 77.78,
    fat: 4.54,
    portion: 25,
    measures: { cup: 8, bowl: 30, pack: 30 },
  },
  {
    name: 'kumara', // Sweet potato, cooked, baked in skin, flesh, without salt
    aliases: ['kumera', 'sweet potato', 'roast kumara', 'baked kumara', 'orange kumara', 'red kumara'],
    kcal: 90,
    protein: 2.01,
    carbs: 20.71,
    fat: 0.15,
    portion: 150,
    measures: { piece: 150, cup: 200 },
  },

  // ---------------------------------------------------------------- meat, fish, eggs' rivals
  {
    name: 'chicken breast', // Chicken, broilers or fryers, breast, meat only, cooked, roasted
    aliases: ['grilled chicken breast', 'chicken breast fillet', 'chicken fillet', 'chicken tenderloin'],
    kcal: 165,
    protein: 31.02,
    carbs: 0,
    fat: 3.57,
    cookedPerRaw: 0.73,
    portion: 150,
    measures: { piece: 150, cup: 140 },
  },
  {
    name: 'chicken thigh', // Chicken, broilers or fryers, thigh, meat only, cooked, roasted
    aliases: ['thigh fillet', 'chicken thigh fillet', 'boneless chicken thigh', 'chicken drumstick'],
    kcal: 209,
    protein: 25.95,
    carbs: 0,
    fat: 10.9,
    cookedPerRaw: 0.72,
    portion: 150,
    measures: { piece: 75 },
  },
  {
    name: 'chicken', // Chicken, broilers or fryers, meat only, cooked, roasted
    aliases: ['roast chicken', 'grilled chicken', 'shredded chicken', 'rotisserie chicken', 'chicken meat'],
    kcal: 190,
    protein: 28.93,
    carbs: 0,
    fat: 7.41,
    cookedPerRaw: 0.72,
    portion: 120,
    measures: { cup: 140, piece: 75 },
  },
  {
    name: 'fried chicken', // Fast foods, fried chicken, breast, meat and skin and breading
    aliases: ['kfc', 'crispy chicken', 'crumbed chicken', 'chicken schnitzel', 'schnitzel'],
    kcal: 250,
    protein: 24.9,
    carbs: 8.8,
    fat: 13,
    portion: 160,
    measures: { piece: 110 },
  },
  {
    name: 'chicken nuggets', // Fast foods, chicken nuggets
    aliases: ['chicken nugget', 'nuggets', 'nugget', 'chicken tenders'],
    kcal: 296,
    protein: 15.3,
    carbs: 16.7,
    fat: 18.8,
    portion: 96,
    countable: true,
    measures: { piece: 16, pack: 96 },
  },
  {
    name: 'steak', // Beef, top sirloin, steak, separable lean and fat, trimmed to 1/8" fat, broiled (rounded)
    aliases: [
      'beef steak',
      'sirloin',
      'sirloin steak',
      'scotch fillet',
      'rump steak',
      'eye fillet',
      'porterhouse',
      'ribeye',
      'beef',
      'roast beef',
    ],
    kcal: 217,
    protein: 29,
    carbs: 0,
    fat: 11,
    cookedPerRaw: 0.74,
    portion: 150,
    measures: { piece: 150, slice: 30 },
  },
  {
    name: 'beef mince', // Beef, ground, 85% lean meat / 15% fat, crumbles, cooked, pan-browned
    aliases: ['mince', 'ground beef', 'minced beef', 'savoury mince', 'beef patty', 'burger patty', 'patty'],
    kcal: 250,
    protein: 25.93,
    carbs: 0,
    fat: 15.41,
    cookedPerRaw: 0.75,
    portion: 120,
    measures: { cup: 150, piece: 90 },
  },
  {
    name: 'lamb', // Lamb, domestic, leg, whole, separable lean and fat, trimmed to 1/4" fat, roasted
    aliases: ['roast lamb', 'lamb chop', 'lamb cutlet', 'lamb leg', 'lamb shank', 'lamb steak'],
    kcal: 258,
    protein: 25.55,
    carbs: 0,
    fat: 16.48,
    cookedPerRaw: 0.7,
    portion: 120,
    measures: { piece: 60, slice: 30 },
  },
  {
    name: 'pork', // Pork, fresh, loin, whole, separable lean and fat, cooked, roasted
    aliases: ['pork chop', 'pork loin', 'roast pork', 'pork steak', 'pork fillet'],
    kcal: 242,
    protein: 27.3,
    carbs: 0,
    fat: 13.9,
    cookedPerRaw: 0.72,
    portion: 120,
    measures: { piece: 120, slice: 30 },
  },
  {
    name: 'bacon', // Pork, cured, bacon, pan-fried
    aliases: ['streaky bacon', 'middle bacon', 'back bacon', 'bacon rasher'],
    kcal: 541,
    protein: 37.04,
    carbs: 1.43,
    fat: 41.78,
    portion: 30,
    measures: { slice: 15, piece: 15 },
  },
  {
    name: 'ham', // Ham, sliced, regular (approximately 11% fat)
    aliases: ['sliced ham', 'champagne ham', 'shaved ham', 'leg ham', 'deli ham'],
    kcal: 163,
    protein: 16.6,
    carbs: 3.83,
    fat: 8.6,
    portion: 40,
    measures: { slice: 20, piece: 20 },
  },
  {
    name: 'sausage', // Pork sausage, fresh, cooked
    aliases: ['snarler', 'banger', 'pork sausage', 'beef sausage', 'saveloy', 'sausage sizzle sausage'],
    kcal: 325,
    protein: 18.5,
    carbs: 1.4,
    fat: 27.3,
    cookedPerRaw: 0.8,
    portion: 110,
    countable: true,
    measures: { piece: 55 },
  },
  {
    name: 'salmon', // Fish, salmon, Atlantic, farmed, cooked, dry heat
    aliases: ['salmon fillet', 'baked salmon', 'grilled salmon', 'pan fried salmon'],
    kcal: 206,
    protein: 22.1,
    carbs: 0,
    fat: 12.35,
    cookedPerRaw: 0.8,
    portion: 150,
    measures: { piece: 150 },
  },
  {
    name: 'raw salmon', // Fish, salmon, Atlantic, farmed, raw
    aliases: ['sashimi', 'salmon sashimi'],
    kcal: 208,
    protein: 20.42,
    carbs: 0,
    fat: 13.42,
    portion: 100,
    measures: { piece: 15, slice: 15 },
  },
  {
    name: 'smoked salmon', // Fish, salmon, chinook, smoked
    aliases: ['lox', 'hot smoked salmon'],
    kcal: 117,
    protein: 18.28,
    carbs: 0,
    fat: 4.32,
    portion: 50,
    measures: { slice: 15, piece: 15 },
  },
  {
    name: 'tuna', // Fish, tuna, light, canned in water, drained solids (a NZ can is 95 g)
    aliases: ['canned tuna', 'tinned tuna', 'tuna in springwater', 'tuna in water'],
    kcal: 116,
    protein: 25.51,
    carbs: 0,
    fat: 0.82,
    portion: 95,
    measures: { can: 95, tbsp: 15 },
  },
  {
    name: 'white fish', // Fish, cod, Atlantic, cooked, dry heat
    aliases: [
      'fish',
      'cod',
      'hoki',
      'snapper',
      'tarakihi',
      'terakihi',
      'gurnard',
      'blue cod',
      'baked fish',
      'grilled fish',
      'fish fillet',
      'tilapia',
    ],
    kcal: 105,
    protein: 22.83,
    carbs: 0,
    fat: 0.86,
    cookedPerRaw: 0.8,
    portion: 150,
    measures: { piece: 150 },
  },
  {
    name: 'battered fish', // Fish fillet, battered or breaded, and fried (fast food)
    aliases: ['fried fish', 'fish in batter', 'beer battered fish', 'crumbed fish', 'fish bites'],
    kcal: 232,
    protein: 14.7,
    carbs: 17,
    fat: 12.3,
    portion: 130,
    measures: { piece: 130 },
  },
  {
    name: 'prawns', // Crustaceans, shrimp, mixed species, cooked, moist heat
    aliases: ['prawn', 'shrimp', 'king prawns', 'shrimps'],
    kcal: 99,
    protein: 23.98,
    carbs: 0.2,
    fat: 0.28,
    portion: 100,
    measures: { piece: 10, cup: 145 },
  },
  {
    name: 'mussels', // Mollusks, mussel, blue, cooked, moist heat
    aliases: ['mussel', 'green lipped mussels', 'greenshell mussels'],
    kcal: 172,
    protein: 23.8,
    carbs: 7.39,
    fat: 4.48,
    portion: 120,
    measures: { piece: 20 },
  },
  {
    name: 'tofu', // Tofu, raw, firm, prepared with calcium sulfate
    aliases: ['firm tofu', 'fried tofu'],
    kcal: 144,
    protein: 15.8,
    carbs: 2.8,
    fat: 8.7,
    portion: 100,
    measures: { cup: 250, piece: 25 },
  },
  {
    name: 'baked beans', // Beans, baked, canned, plain or vegetarian (a NZ can is 420 g)
    aliases: ['beans', 'baked bean', 'watties beans'],
    kcal: 94,
    protein: 4.75,
    carbs: 21.14,
    fat: 0.37,
    portion: 210,
    measures: { can: 420, cup: 254 },
  },
  {
    name: 'chickpeas', // Chickpeas (garbanzo beans), mature seeds, cooked, boiled
    aliases: ['chickpea', 'garbanzo beans', 'garbanzos'],
    kcal: 164,
    protein: 8.86,
    carbs: 27.42,
    fat: 2.59,
    cookedPerRaw: 2.3,
    portion: 100,
    measures: { cup: 164, can: 240 },
  },
  {
    name: 'lentils', // Lentils, mature seeds, cooked, boiled
    aliases: ['lentil', 'dal', 'dhal', 'daal'],
    kcal: 116,
    protein: 9.02,
    carbs: 20.13,
    fat: 0.38,
    cookedPerRaw: 3.03,
    portion: 150,
    measures: { cup: 198, bowl: 250 },
  },
  {
    name: 'black beans', // Beans, black, mature seeds, cooked, boiled
    aliases: ['black bean', 'kidney beans', 'kidney bean', 'red kidney beans'],
    kcal: 132,
    protein: 8.86,
    carbs: 23.71,
    fat: 0.54,
    cookedPerRaw: 2.58,
    portion: 90,
    measures: { cup: 172, can: 240 },
  },
  {
    name: 'hummus', // Hummus, commercial
    aliases: ['houmous', 'hummous', 'humus'],
    kcal: 166,
    protein: 7.9,
    carbs: 14.29,
    fat: 9.6,
    portion: 30,
    measures: { tbsp: 15, pack: 200 },
    side: 30,
  },
  {
    name: 'falafel', // Falafel, home-prepared
    aliases: ['felafel'],
    kcal: 333,
    protein: 13.31,
    carbs: 31.84,
    fat: 17.8,
    portion: 70,
    countable: true,
    measures: { piece: 17 },
  },
  {
    name: 'gravy', // Gravy, beef, canned, ready-to-serve
    kcal: 53,
    protein: 3.75,
    carbs: 4.81,
    fat: 2.36,
    portion: 60,
    measures: { tbsp: 15, cup: 233 },
    liquid: true,
  },

  // ---------------------------------------------------------------- vegetables
  {
    name: 'broccoli', // Broccoli, cooked, boiled, drained, without salt
    aliases: ['broccolini', 'steamed broccoli'],
    kcal: 35,
    protein: 2.38,
    carbs: 7.18,
    fat: 0.41,
    portion: 80,
    measures: { cup: 156, piece: 10, handful: 40 },
  },
  {
    name: 'carrot', // Carrots, raw
    aliases: ['carrot sticks', 'grated carrot'],
    kcal: 41,
    protein: 0.93,
    carbs: 9.58,
    fat: 0.24,
    portion: 60,
    countable: true,
    measures: { piece: 61, cup: 128 },
  },
  {
    name: 'lettuce', // Lettuce, cos or romaine, raw
    aliases: [
      'cos lettuce',
      'romaine',
      'iceberg',
      'iceberg lettuce',
      'salad greens',
      'mesclun',
      'leafy greens',
      'rocket',
      'greens',
    ],
    kcal: 17,
    protein: 1.23,
    carbs: 3.29,
    fat: 0.3,
    portion: 40,
    measures: { cup: 47, piece: 10, handful: 20, bowl: 80 },
  },
  {
    name: 'spinach', // Spinach, raw
    aliases: ['baby spinach', 'silverbeet', 'kale'],
    kcal: 23,
    protein: 2.86,
    carbs: 3.63,
    fat: 0.39,
    portion: 30,
    measures: { cup: 30, handful: 30 },
  },
  {
    name: 'tomato', // Tomatoes, red, ripe, raw
    aliases: ['grilled tomato', 'fresh tomato'],
    kcal: 18,
    protein: 0.88,
    carbs: 3.89,
    fat: 0.2,
    portion: 120,
    countable: true,
    measures: { piece: 123, slice: 20, cup: 180 },
  },
  {
    name: 'cherry tomatoes', // Tomatoes, red, ripe, raw
    aliases: ['cherry tomato', 'grape tomatoes', 'grape tomato'],
    kcal: 18,
    protein: 0.88,
    carbs: 3.89,
    fat: 0.2,
    portion: 85,
    measures: { piece: 17, cup: 149, handful: 60 },
  },
  {
    name: 'cucumber', // Cucumber, with peel, raw
    aliases: ['telegraph cucumber', 'lebanese cucumber'],
    kcal: 15,
    protein: 0.65,
    carbs: 3.63,
    fat: 0.11,
    portion: 60,
    measures: { piece: 300, slice: 7, cup: 104 },
  },
  {
    name: 'onion', // Onions, raw
    aliases: ['red onion', 'brown onion', 'spring onion', 'fried onion'],
    kcal: 40,
    protein: 1.1,
    carbs: 9.34,
    fat: 0.1,
    portion: 50,
    measures: { piece: 110, cup: 160, slice: 15 },
  },
  {
    name: 'capsicum', // Peppers, sweet, red, raw
    aliases: ['red capsicum', 'green capsicum', 'bell pepper', 'red pepper', 'green pepper', 'peppers'],
    kcal: 31,
    protein: 0.99,
    carbs: 6.03,
    fat: 0.3,
    portion: 60,
    measures: { piece: 119, cup: 149, slice: 10 },
  },
  {
    name: 'mushrooms', // Mushrooms, white, raw
    aliases: ['mushroom', 'button mushrooms', 'portobello mushroom', 'field mushroom'],
    kcal: 22,
    protein: 3.09,
    carbs: 3.26,
    fat: 0.34,
    portion: 70,
    measures: { cup: 70, piece: 18 },
  },
  {
    name: 'peas', // Peas, green, frozen, cooked, boiled, drained, without salt
    aliases: ['pea', 'green peas', 'garden peas', 'frozen peas'],
    kcal: 78,
    protein: 5.15,
    carbs: 14.26,
    fat: 0.27,
    portion: 80,
    measures: { cup: 160 },
  },
  {
    name: 'corn', // Corn, sweet, yellow, cooked, boiled, drained, without salt
    aliases: ['sweetcorn', 'sweet corn', 'corn on the cob', 'corn cob', 'corn kernels'],
    kcal: 96,
    protein: 3.41,
    carbs: 20.98,
    fat: 1.5,
    portion: 90,
    measures: { cup: 164, piece: 90 },
  },
  {
    name: 'green beans', // Beans, snap, green, cooked, boiled, drained, without salt
    aliases: ['green bean', 'string beans', 'runner beans'],
    kcal: 35,
    protein: 1.89,
    carbs: 7.88,
    fat: 0.28,
    portion: 80,
    measures: { cup: 125 },
  },
  {
    name: 'pumpkin', // Pumpkin, cooked, boiled, drained, without salt
    aliases: ['roast pumpkin', 'butternut', 'butternut squash', 'squash'],
    kcal: 20,
    protein: 0.72,
    carbs: 4.9,
    fat: 0.07,
    portion: 120,
    measures: { cup: 245, piece: 100 },
  },
  {
    name: 'mixed vegetables', // Vegetables, mixed, frozen, cooked, boiled, drained, without salt
    aliases: [
      'vegetables',
      'vegetable',
      'veggies',
      'veg',
      'veges',
      'vegies',
      'mixed veg',
      'mixed veges',
      'stir fry vegetables',
      'frozen vegetables',
      'steamed vegetables',
      'steamed veg',
      'roast vegetables',
      'roast veg',
    ],
    kcal: 65,
    protein: 2.86,
    carbs: 13.09,
    fat: 0.15,
    portion: 90,
    measures: { cup: 182, bowl: 200 },
  },
  {
    name: 'cauliflower', // Cauliflower, cooked, boiled, drained, without salt
    kcal: 23,
    protein: 1.84,
    carbs: 4.11,
    fat: 0.45,
    portion: 80,
    measures: { cup: 124 },
  },
  {
    name: 'avocado', // Avocados, raw, all commercial varieties
    aliases: ['avo', 'smashed avo', 'smashed avocado', 'guacamole', 'guac'],
    kcal: 160,
    protein: 2,
    carbs: 8.53,
    fat: 14.66,
    portion: 70,
    measures: { piece: 136, slice: 15, tbsp: 15 },
    side: 40,
  },
  {
    name: 'pasta sauce', // Sauce, pasta, spaghetti/marinara, ready-to-serve
    aliases: [
      'tomato pasta sauce',
      'marinara',
      'marinara sauce',
      'napoletana',
      'passata',
      'tomato based sauce',
    ],
    kcal: 50,
    protein: 1.41,
    carbs: 7.97,
    fat: 1.48,
    portion: 125,
    measures: { cup: 250, tbsp: 16 },
  },
  {
    name: 'coconut milk', // Nuts, coconut milk, canned (liquid expressed from grated meat and water)
    aliases: ['coconut cream'],
    kcal: 197,
    protein: 2.02,
    carbs: 2.81,
    fat: 21.33,
    portion: 80,
    measures: { cup: 226, can: 400, tbsp: 15 },
    liquid: true,
  },

  // ---------------------------------------------------------------- fruit
  {
    name: 'banana', // Bananas, raw
    kcal: 89,
    protein: 1.09,
    carbs: 22.84,
    fat: 0.33,
    portion: 118,
    countable: true,
    measures: { piece: 118, cup: 150 },
  },
  {
    name: 'apple', // Apples, raw, with skin
    aliases: ['green apple', 'red apple'],
    kcal: 52,
    protein: 0.26,
    carbs: 13.81,
    fat: 0.17,
    portion: 182,
    countable: true,
    measures: { piece: 182, slice: 20, cup: 125 },
  },
  {
    name: 'orange', // Oranges, raw, all commercial varieties
    aliases: ['navel orange'],
    kcal: 47,
    protein: 0.94,
    carbs: 11.75,
    fat: 0.12,
    portion: 131,
    countable: true,
    measures: { piece: 131 },
  },
  {
    name: 'mandarin', // Tangerines, (mandarin oranges), raw
    aliases: ['mandarine', 'tangerine', 'clementine'],
    kcal: 53,
    protein: 0.81,
    carbs: 13.34,
    fat: 0.31,
    portion: 88,
    countable: true,
    measures: { piece: 88 },
  },
  {
    name: 'kiwifruit', // Kiwifruit, green, raw
    aliases: ['kiwi', 'kiwi fruit', 'gold kiwifruit', 'gold kiwi', 'green kiwifruit'],
    kcal: 61,
    protein: 1.14,
    carbs: 14.66,
    fat: 0.52,
    portion: 75,
    countable: true,
    measures: { piece: 75 },
  },
  {
    name: 'strawberries', // Strawberries, raw
    aliases: ['strawberry'],
    kcal: 32,
    protein: 0.67,
    carbs: 7.68,
    fat: 0.3,
    portion: 150,
    measures: { cup: 152, piece: 12, handful: 70, pack: 250 },
  },
  {
    name: 'blueberries', // Blueberries, raw
    aliases: ['blueberry'],
    kcal: 57,
    protein: 0.74,
    carbs: 14.49,
    fat: 0.33,
    portion: 75,
    measures: { cup: 148, handful: 60, pack: 125 },
  },
  {
    name: 'raspberries', // Raspberries, raw
    aliases: ['raspberry'],
    kcal: 52,
    protein: 1.2,
    carbs: 11.94,
    fat: 0.65,
    portion: 75,
    measures: { cup: 123, handful: 60 },
  },
  {
    name: 'grapes', // Grapes, red or green (European type), raw
    aliases: ['grape'],
    kcal: 69,
    protein: 0.72,
    carbs: 18.1,
    fat: 0.16,
    portion: 100,
    measures: { cup: 151, handful: 60, piece: 5 },
  },
  {
    name: 'pear', // Pears, raw
    aliases: ['nashi', 'nashi pear'],
    kcal: 57,
    protein: 0.36,
    carbs: 15.23,
    fat: 0.14,
    portion: 178,
    countable: true,
    measures: { piece: 178 },
  },
  {
    name: 'mango', // Mangos, raw
    kcal: 60,
    protein: 0.82,
    carbs: 14.98,
    fat: 0.38,
    portion: 165,
    measures: { piece: 200, cup: 165 },
  },
  {
    name: 'pineapple', // Pineapple, raw, all varieties
    kcal: 50,
    protein: 0.54,
    carbs: 13.12,
    fat: 0.12,
    portion: 165,
    measures: { cup: 165, slice: 84, piece: 84 },
  },
  {
    name: 'watermelon', // Watermelon, raw
    kcal: 30,
    protein: 0.61,
    carbs: 7.55,
    fat: 0.15,
    portion: 280,
    measures: { slice: 286, piece: 286, cup: 152 },
  },
  {
    name: 'peach', // Peaches, yellow, raw
    aliases: ['nectarine', 'apricot'],
    kcal: 39,
    protein: 0.91,
    carbs: 9.54,
    fat: 0.25,
    portion: 150,
    countable: true,
    measures: { piece: 150, cup: 154 },
  },
  {
    name: 'feijoa', // Feijoa, raw
    aliases: ['feijoas'],
    kcal: 61,
    protein: 0.71,
    carbs: 15.21,
    fat: 0.42,
    portion: 100,
    countable: true,
    measures: { piece: 50 },
  },
  {
    name: 'raisins', // Raisins, seedless
    aliases: ['raisin', 'sultanas', 'sultana', 'dried fruit'],
    kcal: 299,
    protein: 3.07,
    carbs: 79.18,
    fat: 0.46,
    portion: 30,
    measures: { tbsp: 9, handful: 30, cup: 145, pack: 40 },
  },
  {
    name: 'dates', // Dates, medjool
    aliases: ['date', 'medjool dates', 'medjool date'],
    kcal: 277,
    protein: 1.81,
    carbs: 74.97,
    fat: 0.15,
    portion: 48,
    countable: true,
    measures: { piece: 24 },
  },

  // ---------------------------------------------------------------- nuts, spreads, sweets, sauces
  {
    name: 'almonds', // Nuts, almonds
    aliases: ['almond'],
    kcal: 579,
    protein: 21.15,
    carbs: 21.55,
    fat: 49.93,
    portion: 30,
    measures: { handful: 30, piece: 1.2, cup: 143, tbsp: 9 },
  },
  {
    name: 'peanuts', // Peanuts, all types, dry-roasted, without salt
    aliases: ['peanut', 'roasted peanuts'],
    kcal: 585,
    protein: 23.68,
    carbs: 21.51,
    fat: 49.66,
    portion: 30,
    measures: { handful: 30, cup: 146, tbsp: 9 },
  },
  {
    name: 'cashews', // Nuts, cashew nuts, dry roasted, without salt added
    aliases: ['cashew', 'cashew nuts'],
    kcal: 574,
    protein: 15.31,
    carbs: 32.69,
    fat: 46.35,
    portion: 30,
    measures: { handful: 30, cup: 137 },
  },
  {
    name: 'walnuts', // Nuts, walnuts, english
    aliases: ['walnut'],
    kcal: 654,
    protein: 15.23,
    carbs: 13.71,
    fat: 65.21,
    portion: 30,
    measures: { handful: 30, cup: 117, piece: 4 },
  },
  {
    name: 'mixed nuts', // Nuts, mixed nuts, dry roasted, with peanuts, without salt added
    aliases: ['nuts', 'nut mix'],
    kcal: 594,
    protein: 17.3,
    carbs: 25.35,
    fat: 51.45,
    portion: 30,
    measures: { handful: 30, cup: 137, tbsp: 9 },
  },
  {
    name: 'trail mix', // Snacks, trail mix, regular
    aliases: ['scroggin', 'scroggin mix'],
    kcal: 462,
    protein: 13.8,
    carbs: 44.88,
    fat: 29.4,
    portion: 40,
    measures: { handful: 40, cup: 150 },
  },
  {
    name: 'peanut butter', // Peanut butter, smooth style, without salt
    aliases: ['crunchy peanut butter', 'smooth peanut butter', 'pb', 'nut butter', 'almond butter'],
    kcal: 588,
    protein: 25.09,
    carbs: 19.56,
    fat: 50.39,
    portion: 16,
    measures: { tbsp: 16, tsp: 5.3 },
    side: 16,
  },
  {
    name: 'jam', // Jams and preserves
    aliases: ['marmalade', 'preserves', 'strawberry jam', 'raspberry jam', 'apricot jam'],
    kcal: 278,
    protein: 0.37,
    carbs: 68.86,
    fat: 0.07,
    portion: 15,
    measures: { tbsp: 20, tsp: 7 },
    side: 10,
  },
  {
    name: 'honey', // Honey
    aliases: ['manuka honey', 'runny honey'],
    kcal: 304,
    protein: 0.3,
    carbs: 82.4,
    fat: 0,
    portion: 15,
    measures: { tbsp: 21, tsp: 7 },
    side: 10,
  },
  {
    name: 'vegemite', // Yeast extract spread
    aliases: ['marmite', 'yeast extract'],
    kcal: 185,
    protein: 23.88,
    carbs: 20.42,
    fat: 0.9,
    portion: 5,
    measures: { tsp: 5, tbsp: 15 },
    side: 4,
  },
  {
    name: 'nutella', // label: Nutella, per 100 g
    aliases: ['chocolate spread', 'hazelnut spread'],
    kcal: 539,
    protein: 6.3,
    carbs: 57.5,
    fat: 30.9,
    portion: 15,
    measures: { tbsp: 18.5, tsp: 6 },
    side: 15,
  },
  {
    name: 'sugar', // Sugars, granulated
    aliases: ['white sugar', 'brown sugar', 'raw sugar', 'sugars'],
    kcal: 387,
    protein: 0,
    carbs: 99.98,
    fat: 0,
    portion: 4.2,
    measures: { tsp: 4.2, tbsp: 12.5, piece: 4.2, cup: 200 },
  },
  {
    name: 'maple syrup', // Syrups, maple
    aliases: ['syrup', 'golden syrup', 'pancake syrup'],
    kcal: 260,
    protein: 0.04,
    carbs: 67.04,
    fat: 0.06,
    portion: 20,
    measures: { tbsp: 20, tsp: 6.7 },
    side: 20,
  },
  {
    name: 'olive oil', // Oil, olive, salad or cooking
    aliases: ['oil', 'canola oil', 'vegetable oil', 'rice bran oil', 'coconut oil', 'avocado oil'],
    kcal: 884,
    protein: 0,
    carbs: 0,
    fat: 100,
    portion: 10,
    measures: { tbsp: 13.5, tsp: 4.5 },
    density: 0.92,
    side: 5,
  },
  {
    name: 'mayonnaise', // Salad dressing, mayonnaise, regular
    aliases: ['mayo', 'aioli', 'garlic aioli', 'garlic sauce', 'garlic mayo'],
    kcal: 680,
    protein: 0.96,
    carbs: 0.57,
    fat: 74.85,
    portion: 15,
    measures: { tbsp: 13.8, tsp: 4.6 },
    side: 12,
  },
  {
    name: 'tomato sauce', // Catsup (in NZ/AU "tomato sauce" is ketchup)
    aliases: ['ketchup', 'catsup', 'tomato ketchup', 'bbq sauce', 'barbecue sauce'],
    kcal: 101,
    protein: 1.04,
    carbs: 27.4,
    fat: 0.1,
    portion: 17,
    measures: { tbsp: 17, tsp: 6 },
    side: 15,
  },
  {
    name: 'soy sauce', // Soy sauce made from soy and wheat (shoyu)
    aliases: ['soya sauce', 'tamari'],
    kcal: 53,
    protein: 8.14,
    carbs: 4.93,
    fat: 0.57,
    portion: 10,
    measures: { tbsp: 16, tsp: 5.3 },
    liquid: true,
    side: 10,
  },
  {
    name: 'caesar dressing', // Salad dressing, caesar dressing, regular
    kcal: 542,
    protein: 2.17,
    carbs: 3.3,
    fat: 57.85,
    portion: 30,
    measures: { tbsp: 15 },
    side: 20,
  },
  {
    name: 'salad dressing', // Salad dressing, home recipe, vinegar and oil
    aliases: ['dressing', 'vinaigrette', 'french dressing', 'balsamic dressing', 'italian dressing'],
    kcal: 449,
    protein: 0,
    carbs: 0.64,
    fat: 50.08,
    portion: 15,
    measures: { tbsp: 16, tsp: 5.3 },
    side: 15,
  },
  {
    name: 'croutons', // Croutons, seasoned
    aliases: ['crouton'],
    kcal: 465,
    protein: 10.8,
    carbs: 63.5,
    fat: 18.3,
    portion: 15,
    measures: { cup: 40, handful: 15 },
  },
  {
    name: 'milk chocolate', // Candies, milk chocolate
    aliases: ['chocolate', 'chocolate bar', 'dairy milk', 'cadbury', 'chocolate block'],
    kcal: 535,
    protein: 7.65,
    carbs: 59.4,
    fat: 29.66,
    portion: 45,
    measures: { piece: 10, bar: 45, square: 6, pack: 45 },
  },
  {
    name: 'dark chocolate', // Chocolate, dark, 70-85% cacao solids
    aliases: ['dark choc'],
    kcal: 598,
    protein: 7.79,
    carbs: 45.9,
    fat: 42.63,
    portion: 20,
    measures: { piece: 10, square: 10, bar: 100 },
  },
  {
    name: 'lollies', // Candies, jellybeans
    aliases: ['lolly', 'jelly beans', 'jellybeans', 'gummy bears', 'gummies', 'sweets', 'pineapple lumps'],
    kcal: 375,
    protein: 0,
    carbs: 93.55,
    fat: 0.05,
    portion: 30,
    measures: { piece: 3, handful: 30, pack: 150 },
  },
  {
    name: 'pizza', // Fast foods, pizza chain, 14" pizza, cheese topping, regular crust
    aliases: [
      'cheese pizza',
      'margherita pizza',
      'margherita',
      'pepperoni pizza',
      'hawaiian pizza',
      'meat lovers pizza',
    ],
    kcal: 266,
    protein: 11.39,
    carbs: 33.33,
    fat: 9.69,
    portion: 321,
    measures: { slice: 107, piece: 107 },
  },
  {
    name: 'hot chocolate', // Beverages, hot chocolate, homemade, prepared with milk
    aliases: ['hot cocoa', 'milo', 'drinking chocolate'],
    kcal: 77,
    protein: 3.52,
    carbs: 10.74,
    fat: 2.34,
    portion: 250,
    liquid: true,
  },
  {
    name: 'espresso', // Beverages, coffee, brewed, espresso, restaurant-prepared
    aliases: ['short black', 'ristretto', 'double espresso'],
    kcal: 9,
    protein: 0.12,
    carbs: 1.67,
    fat: 0.18,
    portion: 30,
    liquid: true,
    hotDrink: true,
  },
  {
    name: 'coffee', // Beverages, coffee, brewed, prepared with tap water
    aliases: [
      'black coffee',
      'long black',
      'americano',
      'filter coffee',
      'plunger coffee',
      'instant coffee',
      'iced coffee',
    ],
    kcal: 1,
    protein: 0.12,
    carbs: 0,
    fat: 0.02,
    portion: 250,
    liquid: true,
    hotDrink: true,
  },
  {
    name: 'tea', // Beverages, tea, black, brewed, prepared with tap water
    aliases: ['black tea', 'green tea', 'herbal tea', 'peppermint tea', 'cuppa', 'english breakfast'],
    kcal: 1,
    protein: 0,
    carbs: 0.3,
    fat: 0,
    portion: 250,
    liquid: true,
    hotDrink: true,
  },
  {
    name: 'orange juice', // Orange juice, raw
    aliases: ['oj', 'juice', 'fruit juice'],
    kcal: 45,
    protein: 0.7,
    carbs: 10.4,
    fat: 0.2,
    portion: 250,
    liquid: true,
  },
  {
    name: 'apple juice', // Apple juice, canned or bottled, unsweetened, without added ascorbic acid
    kcal: 46,
    protein: 0.1,
    carbs: 11.3,
    fat: 0.13,
    portion: 250,
    liquid: true,
  },
  {
    name: 'cola', // Beverages, carbonated, cola, regular
    aliases: [
      'coke',
      'coca cola',
      'pepsi',
      'soft drink',
      'fizzy',
      'fizzy drink',
      'soda',
      'lemonade',
      'l and p',
      'sprite',
      'fanta',
    ],
    kcal: 41,
    protein: 0.07,
    carbs: 10.58,
    fat: 0.02,
    portion: 330,
    liquid: true,
    measures: { can: 330, bottle: 600 },
  },
  {
    name: 'diet cola', // Beverages, carbonated, cola, low calorie (without caffeine)
    aliases: ['diet coke', 'coke zero', 'pepsi max', 'zero sugar coke', 'diet soda', 'diet soft drink'],
    kcal: 2,
    protein: 0.1,
    carbs: 0.3,
    fat: 0,
    portion: 330,
    liquid: true,
    measures: { can: 330, bottle: 600 },
  },
  {
    name: 'energy drink', // Beverages, Energy drink, RED BULL
    aliases: ['red bull', 'v energy drink', 'monster energy'],
    kcal: 45,
    protein: 0.5,
    carbs: 11,
    fat: 0,
    portion: 250,
    liquid: true,
    measures: { can: 250 },
  },
  {
    name: 'beer', // Alcoholic beverage, beer, regular, all
    aliases: ['lager', 'pilsner', 'ale', 'ipa', 'craft beer', 'pale ale', 'stout'],
    kcal: 43,
    protein: 0.46,
    carbs: 3.55,
    fat: 0,
    portion: 330,
    liquid: true,
    measures: { can: 330, bottle: 330, glass: 330 },
  },
  {
    name: 'wine', // Alcoholic beverage, wine, table, red / white (averaged)
    aliases: [
      'red wine',
      'white wine',
      'rose',
      'sauvignon blanc',
      'pinot noir',
      'pinot gris',
      'chardonnay',
      'merlot',
      'prosecco',
      'bubbles',
    ],
    kcal: 83,
    protein: 0.07,
    carbs: 2.6,
    fat: 0,
    portion: 150,
    liquid: true,
    density: 0.99,
    measures: { glass: 150, bottle: 750 },
  },
  {
    name: 'spirits', // Alcoholic beverage, distilled, all (gin, rum, vodka, whiskey) 80 proof
    aliases: ['vodka', 'gin', 'whisky', 'whiskey', 'rum', 'bourbon', 'tequila'],
    kcal: 231,
    protein: 0,
    carbs: 0,
    fat: 0,
    portion: 30,
    liquid: true,
    density: 0.95,
  },
  {
    name: 'tonic water', // Beverages, carbonated, tonic water
    aliases: ['tonic'],
    kcal: 34,
    protein: 0,
    carbs: 8.8,
    fat: 0,
    portion: 200,
    liquid: true,
  },
  {
    name: 'water', // Beverages, water, tap, drinking
    aliases: ['sparkling water', 'soda water', 'mineral water', 'tap water'],
    kcal: 0,
    protein: 0,
    carbs: 0,
    fat: 0,
    portion: 250,
    liquid: true,
    measures: { bottle: 750 },
  },
  {
    name: 'whey protein', // label: typical whey protein concentrate powder, per 100 g
    aliases: ['protein powder', 'whey', 'whey powder', 'scoop of protein'],
    kcal: 380,
    protein: 78,
    carbs: 8,
    fat: 5,
    portion: 30,
    measures: { scoop: 30, tbsp: 10 },
  },
  {
    name: 'salt and pepper', // seasoning: no energy worth counting
    aliases: ['salt', 'pepper', 'seasoning', 'salt n pepper', 'herbs', 'spices', 'lemon juice'],
    kcal: 0,
    protein: 0,
    carbs: 0,
    fat: 0,
    portion: 1,
  },

  // ---------------------------------------------------------------- dishes (recipes of rows above)
  {
    name: 'flat white',
    aliases: ['flattie'],
    recipe: [
      ['milk', 160],
      ['espresso', 30],
    ],
    portion: 190,
    hotDrink: true,
    liquid: true,
  },
  {
    name: 'latte',
    aliases: ['cafe latte', 'chai latte'],
    recipe: [
      ['milk', 220],
      ['espresso', 30],
    ],
    portion: 250,
    hotDrink: true,
    liquid: true,
  },
  {
    name: 'cappuccino',
    aliases: ['cappucino', 'cappuccino coffee'],
    recipe: [
      ['milk', 150],
      ['espresso', 30],
    ],
    portion: 180,
    hotDrink: true,
    liquid: true,
  },
  {
    name: 'mocha',
    aliases: ['cafe mocha'],
    recipe: [
      ['milk', 200],
      ['espresso', 30],
      ['milk chocolate', 15],
    ],
    portion: 245,
    hotDrink: true,
    liquid: true,
  },
  {
    name: 'smoothie',
    aliases: ['fruit smoothie', 'banana smoothie', 'berry smoothie'],
    recipe: [
      ['banana', 120],
      ['milk', 200],
      ['yoghurt', 100],
      ['blueberries', 75],
    ],
    portion: 495,
    liquid: true,
  },
  {
    name: 'protein shake',
    aliases: ['protein smoothie', 'shake'],
    recipe: [
      ['whey protein', 30],
      ['water', 300],
    ],
    portion: 330,
    liquid: true,
  },
  {
    name: 'mixed berries',
    aliases: ['berries', 'frozen berries', 'berry mix', 'mixed berry'],
    recipe: [
      ['strawberries', 50],
      ['blueberries', 50],
      ['raspberries', 50],
    ],
    portion: 100,
    measures: { cup: 140, handful: 60 },
  },
  {
    name: 'garden salad',
    aliases: ['salad', 'green salad', 'side salad', 'mixed salad', 'tossed salad'],
    recipe: [
      ['lettuce', 60],
      ['tomato', 50],
      ['cucumber', 40],
      ['carrot', 20],
      ['capsicum', 20],
    ],
    portion: 190,
    measures: { cup: 75, bowl: 190 },
  },
  {
    name: 'chicken salad',
    aliases: ['chicken salad bowl', 'grilled chicken salad'],
    recipe: [
      ['lettuce', 60],
      ['tomato', 50],
      ['cucumber', 40],
      ['carrot', 20],
      ['capsicum', 20],
      ['chicken breast', 100],
    ],
    portion: 290,
  },
  {
    name: 'caesar salad',
    recipe: [
      ['lettuce', 150],
      ['caesar dressing', 30],
      ['parmesan', 10],
      ['croutons', 15],
    ],
    portion: 205,
  },
  {
    name: 'chicken caesar salad',
    aliases: ['chicken caesar'],
    recipe: [
      ['lettuce', 150],
      ['caesar dressing', 30],
      ['parmesan', 10],
      ['croutons', 15],
      ['chicken breast', 100],
    ],
    portion: 305,
  },
  {
    name: 'fish and chips',
    aliases: ['fish n chips', 'fish chips', 'fush and chups'],
    recipe: [
      ['battered fish', 130],
      ['hot chips', 250],
    ],
    portion: 380,
  },
  {
    name: 'sandwich',
    aliases: ['sammie', 'sarnie', 'salad sandwich', 'filled roll'],
    recipe: [
      ['white bread', 60],
      ['ham', 30],
      ['cheddar cheese', 20],
      ['butter', 7],
      ['lettuce', 10],
      ['tomato', 25],
    ],
    portion: 152,
  },
  {
    name: 'ham sandwich',
    recipe: [
      ['white bread', 60],
      ['ham', 40],
      ['butter', 7],
    ],
    portion: 107,
  },
  {
    name: 'cheese sandwich',
    aliases: ['cheese toastie'],
    recipe: [
      ['white bread', 60],
      ['cheddar cheese', 30],
      ['butter', 7],
    ],
    portion: 97,
  },
  {
    name: 'ham and cheese sandwich',
    aliases: [
      'ham and cheese toastie',
      'ham cheese toastie',
      'toastie',
      'toasted sandwich',
      'ham and cheese croissant',
    ],
    recipe: [
      ['white bread', 60],
      ['ham', 30],
      ['cheddar cheese', 25],
      ['butter', 7],
    ],
    portion: 122,
  },
  {
    name: 'chicken sandwich',
    aliases: ['chicken roll'],
    recipe: [
      ['white bread', 60],
      ['chicken', 60],
      ['mayonnaise', 10],
      ['lettuce', 10],
    ],
    portion: 140,
  },
  {
    name: 'egg sandwich',
    aliases: ['egg salad sandwich', 'egg mayo sandwich'],
    recipe: [
      ['white bread', 60],
      ['egg', 50],
      ['mayonnaise', 10],
    ],
    portion: 120,
  },
  {
    name: 'blt',
    aliases: ['blt sandwich', 'bacon sandwich', 'bacon butty'],
    recipe: [
      ['white bread', 60],
      ['bacon', 30],
      ['lettuce', 10],
      ['tomato', 30],
      ['mayonnaise', 10],
    ],
    portion: 140,
  },
  {
    name: 'burger',
    aliases: ['hamburger', 'beef burger', 'big mac', 'whopper'],
    recipe: [
      ['bread roll', 60],
      ['beef mince', 90],
      ['lettuce', 10],
      ['tomato', 20],
      ['onion', 10],
      ['tomato sauce', 15],
    ],
    portion: 205,
  },
  {
    name: 'cheeseburger',
    aliases: ['cheese burger', 'double cheeseburger'],
    recipe: [
      ['bread roll', 60],
      ['beef mince', 90],
      ['cheddar cheese', 20],
      ['lettuce', 10],
      ['tomato', 20],
      ['tomato sauce', 15],
    ],
    portion: 215,
  },
  {
    name: 'chicken burger',
    aliases: ['chicken sandwich burger', 'zinger burger'],
    recipe: [
      ['bread roll', 60],
      ['fried chicken', 100],
      ['lettuce', 10],
      ['mayonnaise', 15],
    ],
    portion: 185,
  },
  {
    name: 'meat pie',
    aliases: ['pie', 'mince pie', 'steak pie', 'steak mince pie', 'pork pie', 'chicken pie', 'pot pie'],
    recipe: [
      ['puff pastry', 60],
      ['beef mince', 80],
      ['gravy', 50],
    ],
    portion: 190,
  },
  {
    name: 'mince and cheese pie',
    aliases: ['mince n cheese pie', 'steak and cheese pie', 'mince cheese pie', 'steak cheese pie'],
    recipe: [
      ['puff pastry', 60],
      ['beef mince', 75],
      ['gravy', 40],
      ['cheddar cheese', 20],
    ],
    portion: 195,
  },
  {
    name: 'spaghetti bolognese',
    aliases: [
      'spag bol',
      'spaghetti bol',
      'pasta bolognese',
      'bolognese',
      'bolognaise',
      'spaghetti bolognaise',
    ],
    recipe: [
      ['pasta', 200],
      ['beef mince', 100],
      ['pasta sauce', 125],
      ['parmesan', 5],
    ],
    portion: 430,
  },
  {
    name: 'bolognese sauce',
    aliases: ['mince sauce', 'meat sauce', 'bolognaise sauce'],
    recipe: [
      ['beef mince', 100],
      ['pasta sauce', 125],
    ],
    portion: 225,
  },
  {
    name: 'lasagne',
    aliases: ['lasagna', 'beef lasagne'],
    recipe: [
      ['pasta', 80],
      ['beef mince', 70],
      ['pasta sauce', 80],
      ['mozzarella', 30],
      ['milk', 20],
      ['butter', 5],
    ],
    portion: 285,
    measures: { piece: 285, slice: 285 },
  },
  {
    name: 'mac and cheese',
    aliases: ['mac n cheese', 'macaroni cheese', 'macaroni and cheese', 'mac cheese'],
    recipe: [
      ['pasta', 150],
      ['cheddar cheese', 40],
      ['milk', 60],
      ['butter', 10],
    ],
    portion: 260,
  },
  {
    name: 'butter chicken',
    aliases: ['chicken tikka masala', 'tikka masala', 'chicken korma', 'korma'],
    recipe: [
      ['chicken thigh', 120],
      ['pasta sauce', 80],
      ['cream', 30],
      ['butter', 10],
    ],
    portion: 240,
  },
  {
    name: 'curry',
    aliases: [
      'chicken curry',
      'thai green curry',
      'green curry',
      'red curry',
      'beef curry',
      'massaman curry',
    ],
    recipe: [
      ['chicken thigh', 120],
      ['coconut milk', 80],
      ['onion', 40],
      ['tomato', 40],
    ],
    portion: 280,
  },
  {
    name: 'stir fry',
    aliases: ['chicken stir fry', 'beef stir fry', 'stirfry', 'vegetable stir fry'],
    recipe: [
      ['chicken breast', 100],
      ['mixed vegetables', 150],
      ['olive oil', 10],
      ['soy sauce', 15],
    ],
    portion: 275,
  },
  {
    name: 'fried rice',
    aliases: ['egg fried rice', 'chicken fried rice', 'nasi goreng'],
    recipe: [
      ['rice', 150],
      ['egg', 25],
      ['peas', 15],
      ['olive oil', 8],
      ['soy sauce', 5],
    ],
    portion: 250,
    measures: { cup: 137, bowl: 250 },
  },
  {
    name: 'sushi',
    aliases: ['sushi pieces', 'nigiri', 'maki', 'california roll piece'],
    recipe: [
      ['rice', 75],
      ['raw salmon', 15],
      ['avocado', 7],
      ['cucumber', 3],
    ],
    portion: 240,
    measures: { piece: 30, pack: 240 },
  },
  {
    name: 'sushi roll',
    aliases: ['hand roll', 'sushi hand roll', 'california roll', 'salmon roll', 'chicken roll sushi'],
    recipe: [
      ['rice', 80],
      ['raw salmon', 18],
      ['avocado', 8],
      ['cucumber', 4],
    ],
    portion: 220,
    measures: { piece: 110 },
  },
  {
    name: 'poke bowl',
    aliases: ['poke', 'salmon poke bowl', 'buddha bowl'],
    recipe: [
      ['rice', 150],
      ['raw salmon', 90],
      ['avocado', 40],
      ['cucumber', 30],
      ['soy sauce', 10],
    ],
    portion: 320,
  },
  {
    name: 'burrito',
    aliases: ['chicken burrito', 'beef burrito', 'burrito bowl'],
    recipe: [
      ['wrap', 70],
      ['rice', 100],
      ['black beans', 70],
      ['chicken', 80],
      ['cheddar cheese', 20],
      ['sour cream', 20],
    ],
    portion: 360,
  },
  {
    name: 'chicken wrap',
    aliases: ['wrap with chicken', 'chicken salad wrap'],
    recipe: [
      ['wrap', 60],
      ['chicken', 80],
      ['lettuce', 15],
      ['tomato', 20],
      ['mayonnaise', 15],
    ],
    portion: 190,
  },
  {
    name: 'kebab',
    aliases: ['doner kebab', 'doner', 'souvlaki', 'gyro', 'shawarma'],
    recipe: [
      ['pita bread', 80],
      ['lamb', 100],
      ['lettuce', 20],
      ['tomato', 20],
      ['mayonnaise', 25],
    ],
    portion: 245,
  },
  {
    name: 'nachos',
    aliases: ['beef nachos'],
    recipe: [
      ['corn chips', 80],
      ['cheddar cheese', 40],
      ['beef mince', 60],
      ['sour cream', 30],
      ['pasta sauce', 40],
    ],
    portion: 250,
  },
  {
    name: 'eggs benedict',
    aliases: ['eggs bene', 'eggs ben', 'egg benedict', 'eggs benny'],
    recipe: [
      ['english muffin', 57],
      ['egg', 100],
      ['ham', 40],
      ['butter', 20],
    ],
    portion: 217,
  },
  {
    name: 'vegetable soup',
    aliases: ['soup', 'veggie soup', 'minestrone'],
    recipe: [
      ['mixed vegetables', 150],
      ['potato', 50],
      ['onion', 30],
      ['water', 120],
    ],
    portion: 350,
    measures: { cup: 245, bowl: 350, can: 420 },
    liquid: true,
  },
  {
    name: 'pumpkin soup',
    aliases: ['kumara soup', 'butternut soup'],
    recipe: [
      ['pumpkin', 250],
      ['onion', 30],
      ['cream', 20],
      ['butter', 5],
    ],
    portion: 305,
    measures: { cup: 245, bowl: 305 },
    liquid: true,
  },
  {
    name: 'chicken soup',
    aliases: ['chicken noodle soup'],
    recipe: [
      ['chicken', 50],
      ['noodles', 50],
      ['carrot', 30],
      ['onion', 20],
      ['water', 200],
    ],
    portion: 350,
    measures: { cup: 245, bowl: 350 },
    liquid: true,
  },
];
