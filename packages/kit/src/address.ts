import { isIP } from 'node:net';

/**
 * The key a per-address limit counts a client under. An IPv4 address is one visitor, but one
 * IPv6 subscriber is routinely given a whole /64 (RFC 6177), so counting each IPv6 address
 * apart would let one host take a fresh budget per request (#20). IPv6 counts per /64:
 * `2001:db8:1:2::/64`; an IPv4-mapped IPv6 address counts as its IPv4 address. Anything that
 * is not an address (a test's 'unknown') is kept, cut to 64 characters.
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1] && isIP(mapped[1]) === 4) return mapped[1];
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version !== 6) return ip.slice(0, 64);
  const address = ip.toLowerCase().split('%')[0] ?? '';
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms aside) takes two hextets' room, after the prefix.
  const width = right.some((group) => group.includes('.')) ? 7 : 8;
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(width - left.length - right.length).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group || '0', 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
