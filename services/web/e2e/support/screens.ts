import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

import { stack } from './stack';

const PHONE = { width: 360, height: 780 };

/** axe's serious and critical findings on the page as it is now, by WCAG 2.2 A and AA rules. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => node.target.join(' ')).slice(0, 5),
    }));
}

/**
 * Every screen a journey reaches goes through here: axe finds no serious or critical
 * violation (WCAG 2.2 A and AA rules) in the light theme or the dark one, and screenshots at
 * desktop width, at 360 px and in the dark theme are written for people to look at without
 * running the app.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  expect(await seriousViolations(page), `accessibility of ${name}`).toEqual([]);

  await mkdir(stack.screenshots, { recursive: true });
  const desktop = page.viewportSize();
  await page.screenshot({ path: path.join(stack.screenshots, `${name}.desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  // Nothing may stick out sideways on a phone.
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow, `horizontal overflow of ${name} at 360 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(stack.screenshots, `${name}.360.png`), fullPage: true });
  if (desktop) await page.setViewportSize(desktop);

  // The dark theme follows the system setting: the same checks with it on.
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousViolations(page), `accessibility of ${name} in the dark theme`).toEqual([]);
  await page.screenshot({ path: path.join(stack.screenshots, `${name}.dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: null });
}
