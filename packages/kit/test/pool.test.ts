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
});
