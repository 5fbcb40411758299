// Gives the demo client a week of meals, a fortnight of weight and some sleep and steps, daily
// goals and the demo trainer as their trainer, so the web app's screens (the client's and the
// trainer console) are not empty after `npm run up` (scripts/up.sh runs this after the demo
// accounts and the trainer's invitation exist). It goes through the public API as the client, so every
// rule, audit entry and AI estimate is the real thing. Run again, it adds nothing: meals carry
// Idempotency-Keys and each part is skipped once the client has any of it.
//
//   GATEWAY_URL=https://localhost:8443 NODE_EXTRA_CA_CERTS=.local/edge/ca/ca.crt DEMO_PASSWORD=... \
//     tsx scripts/seed-demo-logs.ts
// (through the edge: the gateway answers only the edge's certificate)

const gateway = process.env.GATEWAY_URL ?? '';
const password = process.env.DEMO_PASSWORD ?? '';
const EMAIL = 'client@demo.tracking.test';
const TIME_ZONE = 'Pacific/Auckland';

if (!gateway || !password) {
  process.stderr.write('[seed-logs] GATEWAY_URL and DEMO_PASSWORD must be set\n');
  process.exit(1);
}

/** What a New Zealander might log over a week: [local hour, type, text]. */
const WEEK: [number, string, string][][] = [
  [
    [7, 'breakfast', 'porridge with milk, a sliced banana and a spoon of honey'],
    [12, 'lunch', 'chicken and salad wrap, an apple'],
    [19, 'dinner', 'spaghetti bolognese with parmesan, side salad'],
  ],
  [
    [8, 'breakfast', 'two poached eggs on sourdough toast, a flat white'],
    [13, 'lunch', 'sushi: six salmon and avocado rolls'],
    [16, 'snack', 'a handful of almonds'],
    [19, 'dinner', 'grilled salmon, kumara mash and steamed broccoli'],
  ],
  [
    [7, 'breakfast', 'weet-bix with milk and blueberries'],
    [12, 'lunch', 'leftover bolognese'],
    [19, 'dinner', 'beef stir fry with rice and vegetables'],
  ],
  [
    [8, 'breakfast', 'greek yoghurt with muesli and strawberries'],
    [13, 'lunch', 'ham and cheese toastie, a cup of tomato soup'],
    [15, 'drink', 'a long black'],
    [19, 'dinner', 'roast chicken, potatoes, pumpkin and peas'],
  ],
  [
    [7, 'breakfast', 'toast with peanut butter and a banana'],
    [12, 'lunch', 'chicken caesar salad'],
    [20, 'dinner', 'fish and chips, half a scoop of chips'],
  ],
  [
    [9, 'breakfast', 'bacon and egg pie slice, a flat white'],
    [13, 'lunch', 'lamb souvlaki with tzatziki'],
    [19, 'dinner', 'homemade pizza: two slices of margherita, green salad'],
  ],
  [
    [8, 'breakfast', 'avocado on toast with a poached egg'],
    [12, 'lunch', 'pumpkin soup with a bread roll'],
    [16, 'snack', 'a pear and a cheese stick'],
    [19, 'dinner', 'chicken curry with brown rice'],
  ],
];

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

let token = '';

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(`${gateway}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 429 && attempt < 5) {
      const wait = Number(response.headers.get('retry-after')) || 5;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    const raw = await response.text();
    return { status: response.status, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
  }
}

async function expectOk(reply: Promise<Reply>, what: string): Promise<Reply> {
  const result = await reply;
  if (result.status >= 300) {
    throw new Error(
      `${what}: HTTP ${String(result.status)} ${text(result.body.detail) || text(result.body.title)}`,
    );
  }
  return result;
}

/** The UTC instant of `hour`:`minute` local time, `daysAgo` days before today in TIME_ZONE. */
function localTime(daysAgo: number, hour: number, minute = 0): Date {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
  const [year, month, day] = today.split('-').map(Number);
  const wall = Date.UTC(year ?? 2000, (month ?? 1) - 1, (day ?? 1) - daysAgo, hour, minute);
  const offset = (at: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: TIME_ZONE,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    }).formatToParts(new Date(at));
    const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - at;
  };
  return new Date(wall - offset(wall - offset(wall)));
}

async function main(): Promise<void> {
  const login = await expectOk(
    call('POST', '/auth/login', { email: EMAIL, password, session: 'bearer' }),
    'sign in',
  );
  token = text(login.body.token);
  if (!token) {
    // The person trying the demo turned on the client's two-step sign-in: a password alone no
    // longer opens a session, and an earlier run has seeded the client already.
    process.stdout.write(`[seed-logs] ${EMAIL} signs in with a second factor now; left as it is\n`);
    return;
  }

  const now = Date.now();
  const meals = await expectOk(call('GET', '/me/meals?limit=1'), 'list meals');
  if ((meals.body.items as unknown[]).length === 0) {
    let logged = 0;
    for (const [daysAgo, day] of WEEK.entries()) {
      for (const [slot, [hour, mealType, description]] of day.entries()) {
        const eatenAt = localTime(daysAgo, hour, 10 * slot);
        if (eatenAt.getTime() > now) continue;
        const key = `demo-${String(daysAgo)}-${String(slot)}-${eatenAt.toISOString().slice(0, 10)}`;
        await expectOk(
          call(
            'POST',
            '/me/meals',
            { eatenAt: eatenAt.toISOString(), mealType, description },
            { 'Idempotency-Key': key },
          ),
          'log a meal',
        );
        logged += 1;
      }
    }
    process.stdout.write(`[seed-logs] logged ${String(logged)} meals for ${EMAIL}\n`);
  } else process.stdout.write(`[seed-logs] ${EMAIL} has meals already\n`);

  const metrics = await expectOk(call('GET', '/me/metrics?limit=1'), 'list metrics');
  if ((metrics.body.items as unknown[]).length === 0) {
    for (let daysAgo = 13; daysAgo >= 0; daysAgo -= 1) {
      const recordedAt = localTime(daysAgo, 7, 5);
      if (recordedAt.getTime() > now) continue;
      // A gentle downward trend with day-to-day noise, as real scales show.
      const weightKg = Math.round((78.6 - (13 - daysAgo) * 0.12 + Math.sin(daysAgo * 1.7) * 0.35) * 10) / 10;
      await expectOk(
        call('POST', '/me/metrics', {
          recordedAt: recordedAt.toISOString(),
          weightKg,
          ...(daysAgo % 2 === 0
            ? { sleepHours: 6.5 + (daysAgo % 4) * 0.5, steps: 6_000 + daysAgo * 420 }
            : {}),
        }),
        'log a metric',
      );
    }
    process.stdout.write(`[seed-logs] logged two weeks of weight for ${EMAIL}\n`);
  } else process.stdout.write(`[seed-logs] ${EMAIL} has metrics already\n`);

  // The demo trainer's invitation (services/tracking/src/seed-demo-link.ts, run just before):
  // accepted as the client, so the trainer console opens on a client with this week of logs.
  const links = await expectOk(call('GET', '/me/trainer-links'), 'list trainer links');
  const items = links.body.items as { linkId: string; status: string }[];
  const invitation = items.find((link) => link.status === 'pending');
  if (items.some((link) => link.status === 'active'))
    process.stdout.write(`[seed-logs] ${EMAIL} has a trainer already\n`);
  else if (invitation) {
    await expectOk(call('POST', `/me/trainer-links/${invitation.linkId}/accept`), 'accept the invitation');
    process.stdout.write(`[seed-logs] ${EMAIL} accepted the demo trainer's invitation\n`);
  }

  const goals = await expectOk(call('GET', '/me/goals'), 'read goals');
  if (goals.body.version === 0) {
    await expectOk(
      call('PUT', '/me/goals', { version: 0, calories: 2000, proteinG: 120, carbsG: 220, fatG: 70 }),
      'set goals',
    );
    process.stdout.write(`[seed-logs] set daily goals for ${EMAIL}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[seed-logs] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
