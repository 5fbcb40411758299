import { isIP } from 'node:net';

import { currentContext } from '@tracking/kit';

import type { Deps, Tx } from './deps';
import { notify, securityUrl } from './notify';

/*
 * New-device sign-in notices (#21). A device is what we can tell without fingerprinting: the
 * browser and system family of the user agent ("Firefox on Linux", never the version) and the
 * network the address belongs to — its /64 for IPv6 (one household or phone gets a whole /64),
 * its /24 for IPv4 (so a home router's daily new address is not a new device). A sign-in whose
 * family or network the account has not signed in from before is new; the first sign-in an
 * account ever makes is not (there is nothing to compare with).
 */

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPad\b|\biPod\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Firefox on Linux": the browser and system family, without versions. */
export function deviceFamily(userAgent: string | undefined | null): string {
  const agent = userAgent ?? '';
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1] ?? 'An unknown browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1] ?? 'an unknown system';
  return `${browser} on ${system}`;
}

/** The network of an address: `203.0.113.0/24` for IPv4, `2001:db8:1:2::/64` for IPv6; null if it is not an address. */
export function networkOf(ip: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped?.[1] ?? ip;
  const version = isIP(address);
  if (version === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (version !== 6) return null;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group || '0', 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

/**
 * Records where a successful sign-in came from, in the sign-in's transaction, and asks for a
 * notice if the family or network is new for the account and the owner has not turned the
 * notices off. Returns what happened, for the metric (counted once committed).
 */
export async function recordSignIn(
  deps: Deps,
  tx: Tx,
  user: { id: string; newDeviceAlerts: boolean },
  now: Date,
): Promise<'notified' | 'opted_out' | null> {
  const context = currentContext();
  const family = deviceFamily(context?.userAgent);
  const network = context?.clientIp ? networkOf(context.clientIp) : null;
  const seen = await tx.signInContext.findMany({
    where: { userId: user.id },
    select: { kind: true, value: true },
  });
  const known = (kind: string, value: string) => seen.some((row) => row.kind === kind && row.value === value);
  const isNew =
    seen.length > 0 && (!known('family', family) || (network !== null && !known('network', network)));
  const contexts: [string, string][] = [
    ['family', family],
    ...(network ? [['network', network] as [string, string]] : []),
  ];
  for (const [kind, value] of contexts) {
    await tx.$executeRaw`
      INSERT INTO sign_in_contexts (user_id, kind, value, first_seen_at, last_seen_at)
      VALUES (${user.id}::uuid, ${kind}, ${value}, ${now}, ${now})
      ON CONFLICT (user_id, kind, value) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at`;
  }
  if (!isNew) return null;
  if (!user.newDeviceAlerts) return 'opted_out';
  await notify(
    tx,
    'new_device_sign_in',
    { userId: user.id },
    { at: now.toISOString(), device: family, securityUrl: securityUrl(deps) },
    now,
  );
  return 'notified';
}

/** The owner's choice: mail me about sign-ins from new devices (on by default). Unset reads it. */
export async function setNewDeviceAlerts(
  deps: Deps,
  userId: string,
  enabled: boolean | undefined,
): Promise<boolean> {
  const user =
    enabled === undefined
      ? await deps.prisma.user.findUniqueOrThrow({ where: { id: userId } })
      : await deps.prisma.user.update({ where: { id: userId }, data: { newDeviceAlerts: enabled } });
  return user.newDeviceAlerts;
}
