import { INGRESS_HEADERS, startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts, PASSWORD } from './accounts';

/** The gateway's rate limits on the running platform, with small budgets so a test can reach them. */
describe('rate limits at the gateway', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, register } = accounts(setup);

  beforeAll(async () => {
    platform = await startPlatform({
      gatewayEnv: {
        RATE_LIMIT_AUTH_PER_MINUTE: '4',
        RATE_LIMIT_IP_PER_MINUTE: '1000',
        RATE_LIMIT_ACCOUNT_PER_MINUTE: '5',
      },
    });
  });

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  test('sign-in attempts from one address beyond the auth budget get 429 with Retry-After, others still pass', async () => {
    const { email } = await register(); // one point of the auth budget
    const from = (ip: string) => ({ headers: { ...INGRESS_HEADERS, 'x-forwarded-for': ip } });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await api('POST', '/auth/login', {
        body: { email, password: 'wrong' },
        ...from('203.0.113.10'),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.body).toMatchObject({ code: 'resource_exhausted' });
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Another NZ address has its own budget, and the right password works from there.
    const other = await api('POST', '/auth/login', {
      body: { email, password: PASSWORD },
      ...from('203.0.113.11'),
    });
    expect(other.status).toBe(200);
  });

  test('one account’s requests beyond its budget get 429, from whichever address they come', async () => {
    const email = `limits-${String(Date.now())}@example.test`;
    const registered = await api('POST', '/auth/register', {
      body: { email, password: PASSWORD, displayName: 'Limits' },
      headers: { ...INGRESS_HEADERS, 'x-forwarded-for': '203.0.113.20' },
    });
    expect(registered.status).toBe(201);
    const login = await api('POST', '/auth/login', {
      body: { email, password: PASSWORD },
      headers: { ...INGRESS_HEADERS, 'x-forwarded-for': '203.0.113.20' },
    });
    const token = String(login.body.token);
    const statuses = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await api('GET', '/me/meals', {
        token,
        headers: { ...INGRESS_HEADERS, 'x-forwarded-for': `203.0.113.${String(30 + i)}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
