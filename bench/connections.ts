/**
 * Counts the TCP connections a platform's processes open while a load runs: TLS costs a handshake
 * per new connection, so a connection that stays open pays it once, at start-up. Linux only
 * (it reads /proc); the benches print "not counted" elsewhere.
 *
 *   gRPC        every connection to one of the platform's gRPC ports, in any state (a closed
 *               one lingers in TIME_WAIT for a minute), so none is missed between two samples.
 *   PostgreSQL  pg_stat_database.sessions of the platform's databases: the server's own count
 *               of sessions ever established, exact. pg_stat_ssl says whether they use TLS.
 *   Kafka       the connections the platform's processes hold to the brokers, sampled every
 *               250 ms: one opened and closed between two samples would be missed.
 *   HTTP        the bench's own client's connections to the gateway (it plays the edge).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect } from 'node:tls';

import pg from 'pg';

const SAMPLE_MS = 250;

interface Socket {
  local: number;
  remote: number;
  key: string;
  listening: boolean;
  inode: string;
}

async function sockets(): Promise<Socket[]> {
  const rows: Socket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [fields[1], fields[2], fields[3], fields[9]];
      if (!local || !remote || !state || inode === undefined) continue;
      rows.push({
        local: parseInt(local.split(':')[1] ?? '0', 16),
        remote: parseInt(remote.split(':')[1] ?? '0', 16),
        key: `${local}-${remote}`,
        listening: state === '0A',
        inode,
      });
    }
  }
  return rows;
}

/** The socket inodes the given processes hold open. */
async function socketInodes(pids: number[]): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    }
  }
  return inodes;
}

/** This process's children (the services startPlatform spawned) that listen on one of `ports`. */
async function childrenListeningOn(ports: Set<number>): Promise<number[]> {
  const tasks = await readdir(`/proc/${process.pid}/task`);
  const children = new Set<number>();
  for (const task of tasks) {
    const text = await readFile(`/proc/${process.pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const pid of text.split(/\s+/).filter(Boolean)) children.add(Number(pid));
  }
  const listening = new Set(
    (await sockets()).filter((socket) => socket.listening && ports.has(socket.local)).map((s) => s.inode),
  );
  const owners: number[] = [];
  for (const pid of children) {
    const inodes = await socketInodes([pid]);
    if ([...inodes].some((inode) => listening.has(inode))) owners.push(pid);
  }
  return owners;
}

export interface ConnectionCounts {
  /** Connections open when the window started. */
  open: { http: number; grpc: number; postgres: number; kafka: number };
  /** Connections opened during the window. */
  opened: { http: number; grpc: number; postgres: number; kafka: number };
  /** Of the platform's PostgreSQL backends at the end, how many use TLS. */
  postgresTls: { tls: number; total: number };
  /** The sessions opened during the window that are still open at its end, by database. */
  postgresOpenedBy: Record<string, number>;
}

export interface PlatformAddresses {
  /** host:port of each gRPC server of the platform. */
  grpc: string[];
  /** Base URL of each service's ops server (their processes are found by these ports). */
  ops: string[];
  /** The platform's databases, by the service that owns each. */
  databases: Record<string, string>;
  brokers: string[];
  adminUrl: string;
  /** The bench's client of the gateway's API. */
  client: { connections(): number };
}

const portOf = (address: string) =>
  Number(new URL(/^\w+:\/\//.test(address) ? address : `tcp://${address}`).port);

/**
 * Starts counting a platform's connections; `stop()` ends the window and returns the counts.
 * Returns undefined where /proc cannot be read (not Linux).
 */
export async function watchConnections(
  platform: PlatformAddresses,
): Promise<{ stop(): Promise<ConnectionCounts> } | undefined> {
  if ((await readFile('/proc/net/tcp', 'utf8').catch(() => undefined)) === undefined) return undefined;
  const grpcPorts = new Set(platform.grpc.map(portOf));
  const kafkaPorts = new Set(platform.brokers.map(portOf));
  const pids = await childrenListeningOn(new Set(platform.ops.map(portOf)));
  const admin = new pg.Client({ connectionString: platform.adminUrl });
  await admin.connect();
  const sessions = async () =>
    Number(
      (
        await admin.query<{ n: string }>(
          'SELECT coalesce(sum(sessions), 0) AS n FROM pg_stat_database WHERE datname = ANY($1)',
          [Object.values(platform.databases)],
        )
      ).rows[0]?.n ?? 0,
    );
  const openBackends = async () =>
    (
      await admin.query<{ tls: string; total: string }>(
        `SELECT count(*) FILTER (WHERE s.ssl) AS tls, count(*) AS total
           FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
          WHERE a.datname = ANY($1) AND a.backend_type = 'client backend'`,
        [Object.values(platform.databases)],
      )
    ).rows[0] ?? { tls: '0', total: '0' };

  // gRPC: each connection once, by its client port and server port, whichever end is still
  // listed (the end that closed first stays in TIME_WAIT).
  const grpcNow = async () => {
    const keys = new Set<string>();
    for (const s of await sockets()) {
      if (s.listening) continue;
      if (grpcPorts.has(s.remote)) keys.add(`${s.local}>${s.remote}`);
      else if (grpcPorts.has(s.local)) keys.add(`${s.remote}>${s.local}`);
    }
    return keys;
  };
  const kafkaNow = async () => {
    const inodes = await socketInodes(pids);
    return new Set(
      (await sockets()).filter((s) => kafkaPorts.has(s.remote) && inodes.has(s.inode)).map((s) => s.key),
    );
  };

  const started = new Date();
  const openedBy = async () => {
    const owners = new Map(
      Object.entries(platform.databases).map(([service, database]) => [database, service]),
    );
    const { rows } = await admin.query<{ datname: string; n: string }>(
      `SELECT datname, count(*) AS n FROM pg_stat_activity
        WHERE datname = ANY($1) AND backend_type = 'client backend' AND backend_start >= $2
        GROUP BY datname`,
      [Object.values(platform.databases), started],
    );
    return Object.fromEntries(rows.map((row) => [owners.get(row.datname) ?? row.datname, Number(row.n)]));
  };
  const httpAtStart = platform.client.connections();
  const grpcAtStart = await grpcNow();
  const kafkaAtStart = await kafkaNow();
  const sessionsAtStart = await sessions();
  const postgresAtStart = Number((await openBackends()).total);
  const grpcSeen = new Set(grpcAtStart);
  const kafkaSeen = new Set(kafkaAtStart);
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      for (const key of await grpcNow()) grpcSeen.add(key);
      for (const key of await kafkaNow()) kafkaSeen.add(key);
    });
  }, SAMPLE_MS);

  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      for (const key of await grpcNow()) grpcSeen.add(key);
      for (const key of await kafkaNow()) kafkaSeen.add(key);
      const sessionsAtEnd = await sessions();
      const backends = await openBackends();
      const postgresOpenedBy = await openedBy();
      await admin.end();
      return {
        open: {
          http: httpAtStart,
          grpc: grpcAtStart.size,
          postgres: postgresAtStart,
          kafka: kafkaAtStart.size,
        },
        opened: {
          http: platform.client.connections() - httpAtStart,
          grpc: grpcSeen.size - grpcAtStart.size,
          postgres: sessionsAtEnd - sessionsAtStart,
          kafka: kafkaSeen.size - kafkaAtStart.size,
        },
        postgresTls: { tls: Number(backends.tls), total: Number(backends.total) },
        postgresOpenedBy,
      };
    },
  };
}

/** One line for the report. */
export function describeConnections(label: string, counts: ConnectionCounts | undefined): string {
  if (!counts) return `${label}: connections not counted (needs Linux /proc)`;
  const { open, opened, postgresTls, postgresOpenedBy } = counts;
  const by = Object.entries(postgresOpenedBy).map(([service, n]) => `${service} ${n}`);
  return (
    `${label}: connections opened during the measured window: HTTP ${opened.http}, gRPC ${opened.grpc}, ` +
    `PostgreSQL ${opened.postgres}${by.length > 0 ? ` (still open: ${by.join(', ')})` : ''}, Kafka ${opened.kafka} ` +
    `(before it: HTTP ${open.http} opened; open at its start: gRPC ${open.grpc}, PostgreSQL ${open.postgres}, Kafka ${open.kafka}; ` +
    `PostgreSQL backends on TLS at the end: ${postgresTls.tls} of ${postgresTls.total})`
  );
}

/**
 * Whether a server answers a TLS handshake (without checking its certificate or offering one):
 * the bench's proof that the baseline really runs plaintext and the secured platform really TLS.
 */
export function speaksTls(address: string): Promise<boolean> {
  const url = new URL(`tcp://${address}`);
  return new Promise((resolve) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      rejectUnauthorized: false,
      // gRPC servers speak h2 only, the gateway's API http/1.1 only; each refuses a handshake without its own.
      ALPNProtocols: ['h2', 'http/1.1'],
      timeout: 5_000,
    });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
