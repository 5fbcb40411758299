import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { PRIVACY_TOPICS, TOPICS } from '@tracking/contracts';
import { readTopicsManifest } from '@tracking/kit';

/**
 * The topics manifest is where the broker's ACLs come from (packages/kit/src/kafka-acl.ts), so
 * it must name every service that writes or reads a topic: one the manifest forgets is refused
 * by the broker, one it names needlessly may forge events. This reads each service's source for
 * the topics it writes (outbox events, dead-letter topics, direct sends) and consumes, and holds
 * the manifest to it.
 */
const ROOT = path.join(__dirname, '..');
const manifest = readTopicsManifest(path.join(ROOT, 'charts', 'tracking', 'files', 'topics.json'));
const CONTRACT_TOPICS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TOPICS).map(([key, name]) => [`TOPICS.${key}`, name])),
  ...Object.fromEntries(Object.entries(PRIVACY_TOPICS).map(([key, name]) => [`PRIVACY_TOPICS.${key}`, name])),
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** The topics one service's code writes and reads, by name. */
function topicsInCode(service: string): { writes: Set<string>; reads: Set<string> } {
  const files = sources(path.join(ROOT, 'services', service, 'src'));
  const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
  const constants: Record<string, string> = { ...CONTRACT_TOPICS };
  for (const [, name, value] of text.matchAll(/export const ([A-Z_]+) = '([a-z0-9.-]+\.v\d+)'/g))
    constants[name ?? ''] = value ?? '';
  const resolve = (ref: string) => {
    const name = constants[ref.trim()];
    if (!name) throw new Error(`${service}: cannot resolve the topic ${ref}`);
    return name;
  };
  const writes = new Set<string>();
  const reads = new Set<string>();
  // An outbox row ({ topic: X }, emit(sql, X, ...)), a consumer's dead-letter topic, a direct send.
  for (const [, ref] of text.matchAll(/\btopic: ((?:PRIVACY_)?TOPICS\.\w+|[A-Z_]+_DLQ)\b/g))
    writes.add(resolve(ref ?? ''));
  for (const [, ref] of text.matchAll(/\bemit\(\w+, ((?:PRIVACY_)?TOPICS\.\w+)/g))
    writes.add(resolve(ref ?? ''));
  for (const [, ref] of text.matchAll(/\bdlqTopic: ([\w.]+)/g)) writes.add(resolve(ref ?? ''));
  for (const [, ref] of text.matchAll(/topic: this\.deps\.topicPrefix \+ ([A-Z_]+)/g))
    writes.add(resolve(ref ?? ''));
  // A consumer's subscriptions, and a topic read back with readLastHead.
  for (const [, list] of text.matchAll(/\btopics: \[([^\]]+)\]/g))
    for (const ref of (list ?? '').split(',')) reads.add(resolve(ref));
  for (const [, ref] of text.matchAll(/readLastHead\([^,]+, [^)]*?\+ ([A-Z_]+)\)/g))
    reads.add(resolve(ref ?? ''));
  return { writes, reads };
}

const SERVICES = readdirSync(path.join(ROOT, 'services')).filter((service) =>
  statSync(path.join(ROOT, 'services', service, 'src')).isDirectory(),
);
const byName = new Map(manifest.topics.map((topic) => [topic.name, topic]));

describe('the topics manifest matches what the services write and read', () => {
  it.each(SERVICES)('every topic %s writes or reads names it as a producer or reader', (service) => {
    const { writes, reads } = topicsInCode(service);
    const missing = [
      ...[...writes]
        .filter((topic) => !byName.get(topic)?.producers.includes(service))
        .map((t) => `writes ${t}`),
      ...[...reads].filter((topic) => !byName.get(topic)?.readers.includes(service)).map((t) => `reads ${t}`),
    ];
    expect(missing).toEqual([]);
  });

  it('names a service as a producer or reader only where its code writes or reads the topic', () => {
    // The privacy saga (#22) is being built: its services may be named before their code exists.
    const pending = (service: string, topic: string) =>
      topic.startsWith('privacy.') || service === 'privacy' || !SERVICES.includes(service);
    const code = new Map(SERVICES.map((service) => [service, topicsInCode(service)]));
    const extra: string[] = [];
    for (const topic of manifest.topics) {
      for (const service of topic.producers)
        if (!pending(service, topic.name) && !code.get(service)?.writes.has(topic.name))
          extra.push(`${service} writes ${topic.name}`);
      for (const service of topic.readers)
        if (!pending(service, topic.name) && !code.get(service)?.reads.has(topic.name))
          extra.push(`${service} reads ${topic.name}`);
    }
    expect(extra).toEqual([]);
  });

  it('keeps meal text readable only by ai-inference and the AI results only by tracking', () => {
    expect(byName.get(TOPICS.trackingMeal)?.readers).toEqual(['ai-inference']);
    expect(byName.get(TOPICS.billingPlan)?.producers).toEqual(['billing']);
    expect(byName.get(TOPICS.aiMeal)?.readers).toEqual(['tracking']);
  });
});
