import { clientAddressKey } from '../src/address';

describe('the key a per-address limit counts under', () => {
  test('every address of one IPv6 /64 is one visitor, however it is written (#20)', () => {
    const sameNetwork = [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:ffff:ffff:fffe',
      '2001:0DB8:0001:0002:0000:0000:0000:0009',
      '2001:db8:1:2:a::',
      '2001:db8:1:2::1%eth0',
    ];
    expect(new Set(sameNetwork.map(clientAddressKey))).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(clientAddressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  test('IPv4 addresses stay apart, also when written as IPv4-mapped IPv6', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('203.0.113.8')).toBe('203.0.113.8');
  });

  test('something that is not an address is kept, bounded', () => {
    expect(clientAddressKey('unknown')).toBe('unknown');
    expect(clientAddressKey('x'.repeat(100))).toHaveLength(64);
  });
});
