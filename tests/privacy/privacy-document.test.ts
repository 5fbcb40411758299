import { readFileSync } from 'node:fs';
import path from 'node:path';

import { loadInventory } from './inventory';
import { REPO_ROOT } from './live-schema';

// docs/privacy.md promises only what the platform does (#22): while the gateway has no export or
// account-deletion route, the document says so in as many words, and when one arrives this
// fails until the document is rewritten to describe it.
const privacy = readFileSync(path.join(REPO_ROOT, 'docs', 'privacy.md'), 'utf8');
const webPage = readFileSync(
  path.join(REPO_ROOT, 'services', 'web', 'src', 'app', 'routes', 'privacy.tsx'),
  'utf8',
);
const paths = Object.keys(
  (
    JSON.parse(readFileSync(path.join(REPO_ROOT, 'services', 'gateway', 'openapi.json'), 'utf8')) as {
      paths: Record<string, unknown>;
    }
  ).paths,
);

describe('docs/privacy.md and the privacy page', () => {
  test('say export is not self-service for as long as the API has no export', () => {
    const exportRoute = paths.some((p) => /data-export/.test(p));
    expect(privacy.includes('There is no export yet')).toBe(!exportRoute);
    expect(webPage.includes('no self-service export yet')).toBe(!exportRoute);
  });

  test('say an account cannot be deleted for as long as the API cannot delete one', () => {
    const deletionRoute = paths.some((p) => /account-deletion/.test(p));
    expect(privacy.includes('an account cannot be deleted yet')).toBe(!deletionRoute);
    expect(webPage.includes('cannot yet delete your account yourself')).toBe(!deletionRoute);
  });

  test('state that nothing is sold or shared, and that Global Privacy Control is honoured', () => {
    for (const text of [privacy, webPage]) {
      expect(text).toMatch(/sell nothing/);
      expect(text).toMatch(/Global Privacy Control/);
    }
  });

  test('name a retention for every topic class the inventory says carries meal text', () => {
    const mealTopics = Object.entries(loadInventory().topics).filter(([, topic]) => topic.class === 'health');
    expect(mealTopics.length).toBeGreaterThan(0);
    // The document says 7 days for meal text in transit; the inventory agrees for each such topic.
    expect(privacy).toMatch(/meal text 7 days/);
    for (const [name, topic] of mealTopics.filter(([name]) => !name.includes('dlq'))) {
      expect([name, topic.retentionMs]).toEqual([name, 7 * 24 * 3600 * 1000]);
    }
  });
});
