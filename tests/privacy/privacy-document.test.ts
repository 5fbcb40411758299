import { readFileSync } from 'node:fs';
import path from 'node:path';

import { loadInventory } from './inventory';
import { REPO_ROOT } from './live-schema';

// docs/privacy.md promises only what the platform does (#22): every privacy route the API has is
// named in the document, which no longer says that exports or deletion are missing, and the
// web app's privacy page sends people to the page where they use them.
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
const privacyPaths = paths.filter((p) => /data-export|account-deletion|privacy-requests/.test(p));

describe('docs/privacy.md and the privacy page', () => {
  test('name every export and deletion route of the API, and no longer say they are missing', () => {
    expect(privacyPaths).toEqual(
      expect.arrayContaining(['/api/v1/me/data-exports', '/api/v1/me/account-deletion']),
    );
    const unnamed = privacyPaths.filter((p) => !privacy.includes(p));
    expect(unnamed).toEqual([]);
    expect(privacy).not.toMatch(/There is no export yet|an account cannot be deleted yet/);
    expect(webPage).not.toMatch(/no self-service export yet|cannot yet delete your account yourself/);
  });

  test('send people to the page where they export and delete, and state the 7-day cooling-off', () => {
    expect(webPage).toContain('to="/account/privacy"');
    for (const text of [privacy, webPage]) expect(text).toMatch(/7 days|7-day/);
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
