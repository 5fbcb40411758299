import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

import { freePort } from './processes';

/**
 * The edge in front of a gateway and the web app's files, as a cluster runs them: Debian's nginx
 * with the two nginx.conf files the chart renders (templates/_edge.tpl for the edge,
 * templates/_web.tpl for the web component), TLS from a local CA made with openssl, and a GeoIP
 * database in which loopback is in NZ. Given the platform's PKI, the hops behind the edge are TLS
 * as in a cluster: the edge presents its certificate (spiffe://tracking/edge) to the gateway, the
 * web app and billing's webhook port, and checks theirs. Only values differ from production:
 * addresses, ports, paths and the GeoIP data, never the rules. `npm run up` runs it on fixed ports
 * (scripts/local-edge.ts); tests start their own on free ports with startEdge.
 */

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CHART = path.join(REPO_ROOT, 'charts', 'tracking');
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
/** The pods' user (tracking.containerSecurityContext); nginx runs as it when we are root. */
export const EDGE_UID = 65532;
const asPodUser = process.getuid?.() === 0;

export interface EdgePorts {
  /** The edge: TLS (the app and the API), plain HTTP (redirects and refusals), its probes. */
  https: number;
  http: number;
  health: number;
  /** The web component: its files, its probes. */
  web: number;
  webOps: number;
}

export interface EdgeLayout {
  /** Everything lives here: certificates, the rendered files, the temporary directories. */
  dir: string;
  ports: EdgePorts;
  /** https://localhost:<port>: the app and, under /api/, the API. */
  url: string;
  /** The local CA's certificate (PEM file) that signed the edge's. */
  caFile: string;
  /** Base64 SHA-256 of the edge certificate's public key, for Chromium's --ignore-certificate-errors-spki-list. */
  spkiSha256: string;
  /** The two nginx command lines, in start order: the web app's server, then the edge. */
  commands: { web: string[]; edge: string[] };
  /** Their readiness URLs. */
  ready: { web: string; edge: string };
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await execFileAsync('openssl', args, { cwd });
}

/**
 * A local certificate authority (made once in `caDir`, key mode 600) and a server certificate
 * for localhost, 127.0.0.1 and ::1 that it signed, renewed when less than 30 days are left.
 * The CA's key never leaves `caDir`; the server's key is readable by the pods' user only.
 */
export async function localCertificate(
  caDir: string,
  serverDir: string,
): Promise<{ caFile: string; certFile: string; keyFile: string; spkiSha256: string }> {
  await mkdir(caDir, { recursive: true, mode: 0o700 });
  await mkdir(serverDir, { recursive: true, mode: 0o755 });
  const caFile = path.join(caDir, 'ca.crt');
  const caKey = path.join(caDir, 'ca.key');
  if (!existsSync(caFile) || !existsSync(caKey)) {
    await openssl(
      caDir,
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', caKey, '-out', caFile, '-days', '3650', '-subj', '/CN=Tracking platform local CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    );
    await chmod(caKey, 0o600);
  }
  const certFile = path.join(serverDir, 'tls.crt');
  const keyFile = path.join(serverDir, 'tls.key');
  const fresh =
    existsSync(certFile) &&
    existsSync(keyFile) &&
    Date.parse(new X509Certificate(await readFile(certFile)).validTo) > Date.now() + 30 * 86_400_000;
  if (!fresh) {
    const ext = path.join(serverDir, 'server.ext');
    await writeFile(
      ext,
      [
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    // RSA: the edge's TLS 1.2 suites are ECDHE-RSA and DHE-RSA as well as ECDSA.
    const csr = path.join(serverDir, 'tls.csr');
    await openssl(
      serverDir,
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost'],
    );
    await openssl(
      serverDir,
      ...['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial'],
      ...[`0x${createHash('sha256').update(String(Date.now())).digest('hex').slice(0, 16)}`],
      ...['-out', certFile, '-days', '397', '-extfile', ext],
    );
    await rm(csr, { force: true });
  }
  await chmod(keyFile, 0o600);
  if (asPodUser) await chown(keyFile, EDGE_UID, EDGE_UID);
  const spki = new X509Certificate(await readFile(certFile)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return { caFile, certFile, keyFile, spkiSha256: createHash('sha256').update(spki).digest('base64') };
}

/** helm from PATH, else where scripts/lib.sh's ensure_helm builds it. */
function helm(): string {
  const cache =
    process.env.TRACKING_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'tracking-platform');
  const built = path.join(cache, 'bin', 'helm');
  return existsSync(built) ? built : 'helm';
}

/** `helm template` of the chart with these --set values: the rendered ConfigMaps' files by object name. */
async function renderConfigMaps(set: string[]): Promise<Map<string, Record<string, string>>> {
  const { stdout } = await execFileAsync(
    helm(),
    ['template', 'tracking', CHART, '--namespace', 'tracking', ...set.flatMap((value) => ['--set', value])],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const files = new Map<string, Record<string, string>>();
  for (const document of parseAllDocuments(stdout)) {
    const object = document.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      data?: Record<string, string>;
    } | null;
    if (object?.kind === 'ConfigMap' && object.metadata?.name && object.data) {
      files.set(object.metadata.name, object.data);
    }
  }
  return files;
}

/**
 * The edge's and the web server's certificates and the CA from the platform's PKI (scripts/pki.sh's
 * layout), copied into `dir` for nginx, which runs as the pods' user and cannot read the PKI's
 * root-owned keys. A copy does not follow a renewal: the local stack renders the edge again at
 * each start, and a test's PKI outlives its edge.
 */
async function hopCertificates(pki: string, dir: string) {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const copy = async (name: string, mode: number) => {
    const target = path.join(dir, name);
    await copyFile(path.join(pki, name), target);
    await chmod(target, mode);
    if (asPodUser) await chown(target, EDGE_UID, EDGE_UID);
    return target;
  };
  return {
    caFile: await copy('ca.crt', 0o644),
    edge: { certFile: await copy('edge.crt', 0o644), keyFile: await copy('edge.key', 0o600) },
    web: { certFile: await copy('web.crt', 0o644), keyFile: await copy('web.key', 0o600) },
  };
}

/** A directory nginx (as the pods' user) may write: its pid file and temporary files. */
async function writableDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (asPodUser) await chown(dir, EDGE_UID, EDGE_UID);
}

/**
 * Renders the edge and the web app's server for this machine into `dir`: the local CA and
 * certificate (the CA in `caDir`, default `dir/ca`), the two nginx.conf files exactly as the
 * chart renders them with local values, and the DH group file. Nothing is started.
 */
export async function renderLocalEdge(options: {
  dir: string;
  caDir?: string;
  ports: EdgePorts;
  /** host:port of the gateway's HTTP listener. */
  gateway: string;
  /** The web app's built files (index.html and assets/). */
  webRoot: string;
  /** A GeoIP country database; loopback must be in an allowed country (NZ or AU). */
  geoipDatabase: string;
  /** host:port of billing's webhook listener; none: no webhook route. */
  stripeWebhook?: string;
  /** Where the admin API may be used from; default: loopback. */
  adminAllowedCidrs?: string[];
  /**
   * The platform's PKI (ca.crt, edge.*, web.*): the hops to the gateway, the web app and billing
   * are TLS with the edge's certificate. None: plain HTTP, as global.grpc.plaintextForDevelopment.
   */
  pki?: string;
  /** More --set values, e.g. a test's lower rate limits. */
  set?: string[];
}): Promise<EdgeLayout> {
  const { dir, ports } = options;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  const tls = await localCertificate(options.caDir ?? path.join(dir, 'ca'), path.join(dir, 'tls'));
  const edgeRun = path.join(dir, 'edge-run');
  const webRun = path.join(dir, 'web-run');
  await Promise.all([writableDir(edgeRun), writableDir(webRun)]);
  const list = (values: string[]) => `{${values.join(',')}}`;
  const hops = options.pki ? await hopCertificates(options.pki, path.join(dir, 'mtls')) : undefined;
  const hopValues = hops
    ? [
        `edge.upstreamTls.caFile=${hops.caFile}`,
        `edge.upstreamTls.certFile=${hops.edge.certFile}`,
        `edge.upstreamTls.keyFile=${hops.edge.keyFile}`,
        // The local certificates name localhost, not a Service.
        'edge.upstreamTls.serverName=localhost',
        `components.web.staticSite.tls.caFile=${hops.caFile}`,
        `components.web.staticSite.tls.certFile=${hops.web.certFile}`,
        `components.web.staticSite.tls.keyFile=${hops.web.keyFile}`,
      ]
    : ['global.grpc.plaintextForDevelopment=true'];
  const files = await renderConfigMaps([
    ...hopValues,
    'edge.listenAddress=127.0.0.1',
    `edge.upstream=${options.gateway}`,
    `edge.webUpstream=127.0.0.1:${ports.web}`,
    `edge.ports.https=${ports.https}`,
    `edge.ports.http=${ports.http}`,
    `edge.ports.health=${ports.health}`,
    `edge.tls.certFile=${tls.certFile}`,
    `edge.tls.keyFile=${tls.keyFile}`,
    `edge.tls.dhParamFile=${path.join(dir, 'ffdhe2048.pem')}`,
    `edge.geoip.databaseFile=${options.geoipDatabase}`,
    `edge.tempDir=${edgeRun}`,
    'edge.workerProcesses=1',
    `edge.adminAllowedCidrs=${list(options.adminAllowedCidrs ?? ['127.0.0.0/8', '::1/128'])}`,
    ...(options.stripeWebhook
      ? [`edge.stripeWebhook.upstream=${options.stripeWebhook}`]
      : ['edge.stripeWebhook.enabled=false']),
    `components.web.ports.http=${ports.web}`,
    `components.web.ports.ops=${ports.webOps}`,
    `components.web.staticSite.root=${path.resolve(options.webRoot)}`,
    `components.web.staticSite.tempDir=${webRun}`,
    'components.web.staticSite.listenAddress=127.0.0.1',
    ...(options.set ?? []),
  ]);
  const edge = files.get('tracking-edge');
  const web = files.get('tracking-web-site');
  if (!edge?.['nginx.conf'] || !edge['ffdhe2048.pem'] || !web?.['nginx.conf']) {
    throw new Error('the chart rendered no edge or web nginx.conf');
  }
  const edgeConf = path.join(dir, 'edge.conf');
  const webConf = path.join(dir, 'web.conf');
  await writeFile(edgeConf, edge['nginx.conf']);
  await writeFile(webConf, web['nginx.conf']);
  await writeFile(path.join(dir, 'ffdhe2048.pem'), edge['ffdhe2048.pem']);
  // As the pods run it (templates/edge.yaml, components.yaml), with a prefix inside `dir`.
  const command = (conf: string) => [NGINX, '-e', 'stderr', '-c', conf, '-p', `${dir}/`];
  return {
    dir,
    ports,
    url: `https://localhost:${ports.https}`,
    caFile: tls.caFile,
    spkiSha256: tls.spkiSha256,
    commands: { web: command(webConf), edge: command(edgeConf) },
    ready: {
      web: `http://127.0.0.1:${ports.webOps}/readyz`,
      edge: `http://127.0.0.1:${ports.health}/readyz`,
    },
  };
}

/** Five distinct free loopback ports. */
async function freeEdgePorts(): Promise<EdgePorts> {
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(await freePort());
  const [https = 0, http = 0, health = 0, web = 0, webOps = 0] = [...ports];
  return { https, http, health, web, webOps };
}

/** A small country database in which loopback is in NZ (scripts/geoip-db.pl). */
export async function writeLoopbackGeoIpDatabase(file: string): Promise<string> {
  await execFileAsync('perl', [
    path.join(REPO_ROOT, 'scripts', 'geoip-db.pl'),
    file,
    '127.0.0.0/8=NZ',
    '::1/128=NZ',
  ]);
  await chmod(file, 0o644);
  return file;
}

export interface Edge extends EdgeLayout {
  /** The CA certificate (PEM), for a Node client's `ca`. */
  ca: string;
  /** The edge's access log: one JSON line per request (docs/edge.md). */
  accessLog: string;
  /** Both servers' error logs. */
  errorLogs: { edge: string; web: string };
  /** The web server's log: the clients it refused (`http.refused`, one JSON line each). */
  webLog: string;
  /** SIGQUIT (finish what is in flight), then wait for both nginx processes; removes `dir`. */
  stop(): Promise<void>;
}

/** nginx with stdout (the access log, which nginx reopens, so a file it may write) and stderr in files. */
async function spawnNginx(command: string[], outFile: string, errFile: string): Promise<ChildProcess> {
  const [out, err] = await Promise.all([open(outFile, 'a'), open(errFile, 'a')]);
  if (asPodUser) await Promise.all([outFile, errFile].map((file) => chown(file, EDGE_UID, EDGE_UID)));
  const [program = NGINX, ...args] = command;
  const child = spawn(program, args, {
    stdio: ['ignore', out.fd, err.fd],
    ...(asPodUser ? { uid: EDGE_UID, gid: EDGE_UID } : {}),
  });
  await Promise.all([out.close(), err.close()]);
  child.once('error', () => undefined);
  return child;
}

async function waitReady(child: ChildProcess, url: string, errFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`nginx exited (${String(child.exitCode)}): ${await readFile(errFile, 'utf8')}`);
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nginx not ready at ${url}: see ${errFile}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function quit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGQUIT');
  await exited;
}

/**
 * Starts the edge on free loopback ports in front of `gateway` (its HTTP address, e.g. the
 * platform's `api` URL) and the web app's files in `webRoot`: https://localhost:<port>/ is the
 * app, /api/ the API, through TLS, GeoIP (loopback is NZ), the admin allow-list (loopback) and
 * the rate limits, exactly as configured in a cluster.
 */
export async function startEdge(options: {
  gateway: string;
  webRoot: string;
  stripeWebhook?: string;
  geoipDatabase?: string;
  /** The platform's PKI (platform.pki): TLS to the gateway, the web app and billing, as in a cluster. */
  pki?: string;
  set?: string[];
}): Promise<Edge> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edge-'));
  const gateway = new URL(options.gateway);
  if (!(await stat(path.join(options.webRoot, 'index.html')).catch(() => undefined))) {
    throw new Error(
      `no index.html in ${options.webRoot}: build the web app first (npm run build -w @tracking/web)`,
    );
  }
  const layout = await renderLocalEdge({
    dir,
    ports: await freeEdgePorts(),
    gateway: gateway.host,
    webRoot: options.webRoot,
    geoipDatabase: options.geoipDatabase ?? (await writeLoopbackGeoIpDatabase(path.join(dir, 'geoip.mmdb'))),
    stripeWebhook: options.stripeWebhook,
    pki: options.pki,
    set: options.set,
  });
  const accessLog = path.join(dir, 'edge-access.log');
  const errorLogs = { edge: path.join(dir, 'edge-error.log'), web: path.join(dir, 'web-error.log') };
  const webLog = path.join(dir, 'web-out.log');
  const web = await spawnNginx(layout.commands.web, webLog, errorLogs.web);
  const edge = await spawnNginx(layout.commands.edge, accessLog, errorLogs.edge);
  try {
    await waitReady(web, layout.ready.web, errorLogs.web);
    await waitReady(edge, layout.ready.edge, errorLogs.edge);
  } catch (error) {
    await Promise.all([quit(edge), quit(web)]);
    throw error;
  }
  return {
    ...layout,
    ca: await readFile(layout.caFile, 'utf8'),
    accessLog,
    errorLogs,
    webLog,
    stop: async () => {
      await Promise.all([quit(edge), quit(web)]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
