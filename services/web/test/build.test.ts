import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * What the web app's build ships to every browser. It is public, so no secret may be in it:
 * not the demo password, not a key of any local secret, not a provider's API key or a private
 * key. And the strict CSP (script-src 'self', style-src 'self') needs index.html without inline
 * script or style, and content-hashed asset names for the edge's immutable caching.
 */
const WEB = path.resolve(__dirname, '..');
const ROOT = path.resolve(WEB, '..', '..');
const SECRETS = path.join(ROOT, '.local', 'secrets');

let out: string;
let files: { name: string; text: string }[];

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'web-build-'));
  await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--outDir',
      out,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    { cwd: WEB },
  );
  const names = (await readdir(out, { recursive: true })).map(String);
  files = [];
  for (const name of names) {
    const full = path.join(out, name);
    if ((await stat(full)).isFile()) files.push({ name, text: await readFile(full, 'latin1') });
  }
}, 180_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

/** Every value under .local/secrets long enough to be a secret (passwords, keys, database URLs). */
async function localSecrets(): Promise<{ file: string; value: string }[]> {
  if (!existsSync(SECRETS)) return [];
  const found: { file: string; value: string }[] = [];
  for (const name of (await readdir(SECRETS, { recursive: true })).map(String)) {
    const full = path.join(SECRETS, name);
    if (!(await stat(full)).isFile()) continue;
    for (const line of (await readFile(full, 'utf8')).split('\n')) {
      const value = line.trim();
      if (value.length >= 12 && !value.startsWith('-----')) found.push({ file: name, value });
    }
  }
  return found;
}

test('the build holds no secret: no local secret, demo password, API key or private key', async () => {
  const leaks: string[] = [];
  for (const { file, value } of await localSecrets()) {
    for (const asset of files) if (asset.text.includes(value)) leaks.push(`${file} in ${asset.name}`);
  }
  const patterns = [
    /sk_(?:test|live)_[A-Za-z0-9]{10,}/,
    /whsec_[A-Za-z0-9]{10,}/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /\b(?:ANTHROPIC|QWEN|STRIPE)_(?:API_|SECRET_)?KEY\b/,
    /sk-ant-[A-Za-z0-9-]{10,}/,
  ];
  for (const asset of files) {
    for (const pattern of patterns)
      if (pattern.test(asset.text)) leaks.push(`${String(pattern)} in ${asset.name}`);
  }
  expect(leaks).toEqual([]);
  // The check looked at real output: the app's JavaScript is there.
  expect(files.some((asset) => /^assets\/index-[\w-]{8,}\.js$/.test(asset.name))).toBe(true);
});

test('index.html has no inline script or style, and every asset name carries its content hash', () => {
  const index = files.find((asset) => asset.name === 'index.html')?.text ?? '';
  expect(index).toContain('<div id="root">');
  const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes = '', body = ''] of scripts) {
    expect(attributes).toMatch(/\bsrc="\/assets\//);
    expect(body.trim()).toBe('');
  }
  expect(index).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
  const assets = files.filter((asset) => asset.name.startsWith('assets/'));
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) expect(asset.name).toMatch(/^assets\/[\w.-]+-[\w-]{8}\.(js|css)$/);
});
