import { createTestDatabase, infraEnv, waitFor, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

import { createPool } from '../src';

describe('a service’s connection pool', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('survives the server closing an idle connection, and reconnects for the next query', async () => {
    const pool = createPool(db.appUrl, { max: 1, name: 'pool-test' });
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;

    // What a PostgreSQL restart or failover does to the idle connection the pool keeps.
    const admin = new pg.Client({ connectionString: infraEnv().adminUrl });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    // Without a listener of its own, the pool's 'error' event here would end the process.
    await waitFor(() => pool.totalCount === 0, { what: 'the pool to drop the closed connection' });

    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(again.rows[0]?.pid).not.toBe(pid);
    await pool.end();
  });

  it("keeps an idle TLS connection past the driver's default idle timeout, so a quiet spell costs no handshake", async () => {
    const pool = createPool(db.appUrl, { max: 1, name: 'pool-idle-test' });
    const pid = async () =>
      (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const first = await pid();
    // node-postgres closes an idle connection after 10 s unless told otherwise.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(await pid()).toBe(first);
    await pool.end();
  }, 30_000);
});
