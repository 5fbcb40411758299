import { readFileSync } from 'node:fs';
import path from 'node:path';

import { allowedCallers, chartComponents } from '@tracking/testing/components';

import { at, CHART, renderChart, type Json, type Manifest } from './chart-render';
import { kafkaUserService, manifestAclsOf, renderedAcls } from './kafka-acls';

/**
 * Nothing inside the cluster is trusted by its network position (#24), as the chart deploys it:
 * every gRPC hop is mutual TLS with a cert-manager certificate per component and only the callers
 * the call graph allows; every PostgreSQL connection verifies the server against its CA; every
 * Kafka client logs in over TLS as its own KafkaUser with exactly the manifest's ACLs; and nothing
 * a pod is told to read is missing from it. Rendered with the default and the production values,
 * the operators' resources (Strimzi, CloudNativePG) included.
 */
const OPERATORS = [
  'dependencies.strimzi.enabled=true',
  'dependencies.strimzi.cluster.enabled=true',
  'dependencies.cloudnativePg.enabled=true',
];
const components = chartComponents();
/** Components with a gRPC server or gRPC callees: each needs its own certificate. */
const grpcComponents = Object.entries(components)
  .filter(
    ([, component]) => component.enabled && (component.ports.grpc || Object.keys(component.calls).length),
  )
  .map(([name]) => name);
/** The edge and the two components it connects to for the public (web, gateway) and billing's webhook. */
const EDGE_HOPS = ['edge', 'gateway', 'web', 'billing'];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
interface Items {
  items?: { key: string; path: string }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string } & Items;
  configMap?: { name: string };
  projected?: { sources: { secret?: { name: string } & Items; configMap?: { name: string } & Items }[] };
}
interface Pod {
  containers: Container[];
  volumes?: Volume[];
}

/** A workload: a Deployment, a CronJob or a Job, with its pod. */
interface Workload {
  id: string;
  /** The component it runs as (the label), `<x>-cronjob` and `migrate` included. */
  component: string;
  pod: Pod;
}

function workloads(objects: Manifest[]): Workload[] {
  return objects.flatMap((object) => {
    const pod =
      object.kind === 'CronJob'
        ? at(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
        : ['Deployment', 'Job'].includes(object.kind)
          ? at(object, 'spec', 'template', 'spec')
          : undefined;
    if (!pod) return [];
    const component = object.metadata.labels?.['app.kubernetes.io/component'] ?? '';
    return [{ id: `${object.kind}/${object.metadata.name}`, component, pod: pod as Pod }];
  });
}

const envOf = (container: Container) =>
  Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable]));
const valueOf = (container: Container, name: string) => envOf(container)[name]?.value;

/**
 * Where the file at `path` comes from: the Secret (or, in a projected volume, the Secret or
 * ConfigMap) and key mounted at it or at the directory holding it, if any.
 */
function secretHolding(pod: Pod, container: Container, path: string) {
  const mount = (container.volumeMounts ?? []).find(
    (candidate) => path === candidate.mountPath || path.startsWith(`${candidate.mountPath}/`),
  );
  if (!mount) return undefined;
  const volume = (pod.volumes ?? []).find((candidate) => candidate.name === mount.name);
  const relative = path.slice(mount.mountPath.length + 1);
  const mounted = { readOnly: mount.readOnly === true, subPath: mount.subPath };
  for (const source of volume?.projected?.sources ?? []) {
    const item = (source.secret ?? source.configMap)?.items?.find((candidate) => candidate.path === relative);
    if (item && source.secret) return { secretName: source.secret.name, key: item.key, ...mounted };
    if (item && source.configMap) return { configMapName: source.configMap.name, key: item.key, ...mounted };
  }
  const item = volume?.secret?.items?.find((candidate) => candidate.path === relative);
  return {
    secretName: volume?.secret?.secretName,
    key: volume?.secret?.items ? item?.key : relative,
    ...mounted,
  };
}

/**
 * The Secrets the operator's guide lists (docs/operations.md, "The Secrets"), as patterns:
 * `tracking-<service>-db` stands for each component's (and the edge's).
 */
function documentedSecrets(): RegExp[] {
  const guide = readFileSync(path.join(CHART, '..', '..', 'docs', 'operations.md'), 'utf8');
  const table = guide.slice(guide.indexOf('| Secret (default name)'), guide.indexOf('Generate keys as'));
  return [...table.matchAll(/^\s*\| ([^|]+)\|/gm)]
    .flatMap(([, cell = '']) => [...cell.matchAll(/`([a-z0-9<>-]+)`/g)].map(([, name = '']) => name))
    .map(
      (name) =>
        new RegExp(`^${name.replace(/<[a-z]+>/g, `(${[...Object.keys(components), 'edge'].join('|')})`)}$`),
    );
}

describe.each([
  ['the default values', [] as string[]],
  ['the production values', ['values-prod.yaml']],
])('zero trust in the chart, with %s', (_, valuesFiles) => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await renderChart({ valuesFiles, set: OPERATORS });
  });
  const ofKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const named = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);

  test('each component that serves or calls gRPC, and each end of the edge hops, has its own certificate: spiffe://tracking/<component>, its Service names, server and client auth, a new ECDSA key at each renewal', () => {
    const expected = [...new Set([...grpcComponents, ...EDGE_HOPS])];
    expect(grpcComponents).toEqual(expect.arrayContaining(['gateway', 'auth', 'audit', 'notifications']));
    for (const component of expected) {
      const service = `tracking-${component}`;
      const certificate = named('Certificate', `${service}-mtls`);
      expect({ component, spec: certificate?.spec }).toMatchObject({
        component,
        spec: {
          secretName: `${service}-mtls`,
          commonName: component,
          uris: [`spiffe://tracking/${component}`],
          dnsNames: [service, `${service}.tracking.svc`, `${service}.tracking.svc.cluster.local`],
          usages: ['digital signature', 'server auth', 'client auth'],
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        },
      });
    }
  });

  test("by default the certificates come from the release's own CA: a self-signed Issuer, a CA Certificate that keeps its key, a CA Issuer", () => {
    const certificates = ofKind('Certificate').filter((certificate) => !at(certificate, 'spec', 'isCA'));
    expect(certificates.length).toBeGreaterThanOrEqual(EDGE_HOPS.length);
    for (const certificate of certificates) {
      expect(at(certificate, 'spec', 'issuerRef')).toEqual({
        name: 'tracking-grpc-ca',
        kind: 'Issuer',
        group: 'cert-manager.io',
      });
    }
    expect(at(named('Issuer', 'tracking-grpc-ca'), 'spec')).toEqual({
      ca: { secretName: 'tracking-grpc-ca' },
    });
    expect(named('Certificate', 'tracking-grpc-ca')?.spec).toMatchObject({
      isCA: true,
      secretName: 'tracking-grpc-ca',
      privateKey: { rotationPolicy: 'Never' },
      issuerRef: { name: 'tracking-selfsigned', kind: 'Issuer' },
    });
    expect(at(named('Issuer', 'tracking-selfsigned'), 'spec')).toEqual({ selfSigned: {} });
  });

  test('every gRPC server and client reads its own certificate from its mounted Secret, read-only and re-read without a restart', () => {
    const checked: string[] = [];
    for (const workload of workloads(objects)) {
      const component = workload.component;
      if (!workload.id.startsWith('Deployment/') || !grpcComponents.includes(component)) continue;
      for (const container of workload.pod.containers) {
        const where = `${workload.id} ${container.name}`;
        const files = ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'].map((name) => {
          const file = valueOf(container, name) ?? '';
          return { where, name, ...secretHolding(workload.pod, container, file) };
        });
        expect(files).toEqual(
          ['ca.crt', 'tls.crt', 'tls.key'].map((key, index) => ({
            where,
            name: files[index]?.name,
            secretName: `tracking-${component}-mtls`,
            key,
            readOnly: true,
            // subPath would pin the first files: the kubelet would never swap in a renewal.
            subPath: undefined,
          })),
        );
        expect(Number(valueOf(container, 'GRPC_TLS_REFRESH_MS'))).toBeGreaterThan(0);
        checked.push(where);
      }
    }
    expect(checked.length).toBe(grpcComponents.length);
  });

  test("a component's CronJobs, which call nobody over gRPC, do not hold its key", () => {
    const cronJobs = workloads(objects).filter((workload) => workload.id.startsWith('CronJob/'));
    expect(cronJobs.length).toBeGreaterThan(0);
    for (const cronJob of cronJobs) {
      const secrets = (cronJob.pod.volumes ?? []).map((volume) => volume.secret?.secretName ?? '');
      const variables = cronJob.pod.containers.flatMap((container) =>
        (container.env ?? []).map((variable) => variable.name),
      );
      expect({
        cronJob: cronJob.id,
        keys: secrets.filter((name) => name.endsWith('-mtls')),
        settings: variables.filter((name) => name.startsWith('GRPC_TLS_') || name === 'GRPC_ALLOWED_CALLERS'),
      }).toEqual({ cronJob: cronJob.id, keys: [], settings: [] });
    }
  });

  test('each gRPC server admits exactly the callers whose `calls` name it (the call graph inverted)', () => {
    const servers = workloads(objects).filter(
      (workload) => workload.id.startsWith('Deployment/') && components[workload.component]?.ports.grpc,
    );
    expect(servers.map((server) => server.component).sort()).toEqual(
      grpcComponents.filter((name) => components[name]?.ports.grpc).sort(),
    );
    for (const server of servers) {
      const allowed = valueOf(server.pod.containers[0] as Container, 'GRPC_ALLOWED_CALLERS');
      expect({ server: server.component, allowed: allowed?.split(',').filter(Boolean).sort() }).toEqual({
        server: server.component,
        allowed: allowedCallers(server.component, components).sort(),
      });
    }
    const auth = servers.find((server) => server.component === 'auth');
    expect(valueOf(auth?.pod.containers[0] as Container, 'GRPC_ALLOWED_CALLERS')).toBe(
      'audit,gateway,notifications',
    );
  });

  test('no workload is allowed plaintext gRPC or HTTP, and every service runs as production', () => {
    const plaintext: string[] = [];
    for (const workload of workloads(objects)) {
      for (const container of workload.pod.containers) {
        for (const variable of container.env ?? []) {
          if (/ALLOW_PLAINTEXT$/.test(variable.name)) plaintext.push(`${workload.id}: ${variable.name}`);
          if (variable.name === 'NODE_ENV' && variable.value !== 'production')
            plaintext.push(`${workload.id}: NODE_ENV=${String(variable.value)}`);
        }
      }
    }
    expect(plaintext).toEqual([]);
  });

  test('every PostgreSQL client verifies the server against the CA: each Deployment, CronJob and migration Job', () => {
    const clients = workloads(objects).filter((workload) =>
      workload.pod.containers.some((container) => envOf(container).DATABASE_URL),
    );
    // Every component with a database, its CronJobs and its migration Job.
    const withDatabase = Object.values(components).filter((component) => component.enabled).length;
    expect(clients.length).toBeGreaterThan(withDatabase);
    expect(clients.filter((client) => client.component === 'migrate').length).toBeGreaterThan(5);
    for (const client of clients) {
      for (const container of client.pod.containers) {
        const file = valueOf(container, 'DATABASE_TLS_CA_FILE') ?? '';
        expect({ client: client.id, ...secretHolding(client.pod, container, file) }).toEqual({
          client: client.id,
          secretName: 'postgres-ca',
          key: 'ca.crt',
          readOnly: true,
          subPath: undefined,
        });
        // The URL itself comes from a Secret, never a value that could say sslmode=disable.
        expect(envOf(container).DATABASE_URL?.valueFrom?.secretKeyRef).toBeDefined();
      }
    }
  });

  test("CloudNativePG's cluster refuses a client connection without TLS", () => {
    const rules = at(named('Cluster', 'postgres'), 'spec', 'postgresql', 'pg_hba') as string[];
    expect(rules).toEqual(
      expect.arrayContaining(['hostnossl all all 0.0.0.0/0 reject', 'hostnossl all all ::/0 reject']),
    );
    expect(rules.filter((rule) => /^host(nossl)?\s/.test(rule) && !/\breject$/.test(rule))).toEqual([]);
  });

  test('the Kafka cluster listens only with TLS and SCRAM-SHA-512, and every KafkaUser has exactly the ACLs the manifest gives it', () => {
    const listeners = at(named('Kafka', 'kafka'), 'spec', 'kafka', 'listeners') as Json[];
    expect(listeners.length).toBeGreaterThan(0);
    for (const listener of listeners) {
      expect(listener).toMatchObject({ tls: true, authentication: { type: 'scram-sha-512' } });
    }
    const users = ofKind('KafkaUser');
    expect(users.map(kafkaUserService).sort()).toEqual(
      Object.entries(components)
        .filter(([, component]) => component.enabled)
        .map(([name]) => name)
        .filter((name) => manifestAclsOf(name).length > 0)
        .sort(),
    );
    for (const user of users) {
      const service = kafkaUserService(user);
      expect({ service, acls: renderedAcls(user) }).toEqual({ service, acls: manifestAclsOf(service) });
    }
  });

  test('every Kafka client logs in as its own KafkaUser, with its password and the brokers’ CA mounted', () => {
    const users = new Set(ofKind('KafkaUser').map((user) => user.metadata.name));
    const clients = workloads(objects).filter((workload) =>
      workload.pod.containers.some((container) => envOf(container).KAFKA_BROKERS),
    );
    expect(clients.length).toBeGreaterThanOrEqual(users.size);
    for (const client of clients) {
      for (const container of client.pod.containers) {
        const username = valueOf(container, 'KAFKA_SASL_USERNAME') ?? '';
        const files = ['KAFKA_SASL_PASSWORD_FILE', 'KAFKA_CA_FILE'].map((name) =>
          secretHolding(client.pod, container, valueOf(container, name) ?? ''),
        );
        expect({ client: client.id, user: users.has(username), files }).toEqual({
          client: client.id,
          user: true,
          files: [
            expect.objectContaining({ secretName: username, key: 'password', readOnly: true }),
            expect.objectContaining({ secretName: 'kafka-cluster-ca-cert', key: 'ca.crt', readOnly: true }),
          ],
        });
      }
    }
  });

  test('the edge reaches the gateway, web and billing only over TLS, presenting its own certificate and checking theirs by name', () => {
    const conf = named('ConfigMap', 'tracking-edge')?.data?.['nginx.conf'] ?? '';
    const dnsNames = (component: string) =>
      (at(named('Certificate', `tracking-${component}-mtls`), 'spec', 'dnsNames') ?? []) as string[];
    const servers = new Map(
      [...conf.matchAll(/upstream (\S+) \{\s*server ([a-z0-9-]+):\d+;/g)].map(([, name, host]) => [
        name,
        host,
      ]),
    );
    const passes = [...conf.matchAll(/proxy_pass (\S+);(?:\s*proxy_ssl_name (\S+);)?/g)];
    expect(passes.length).toBeGreaterThanOrEqual(4);
    for (const [, target = '', name] of passes) {
      const upstream = target.replace(/^https:\/\//, '');
      const component = (servers.get(upstream) ?? '').replace(/^tracking-/, '');
      expect({
        target,
        behindEdge: ['gateway', 'web', 'billing'].includes(component),
        verifiedAs: Boolean(name && dnsNames(component).includes(name)),
      }).toEqual({ target: `https://${upstream}`, behindEdge: true, verifiedAs: true });
    }
    const dir = '/var/run/secrets/tracking/mtls';
    expect(conf).toMatch(/^\s*proxy_ssl_verify on;$/m);
    expect(conf).toContain(`proxy_ssl_trusted_certificate ${dir}/ca.crt;`);
    // The certificate's path directly, or through a variable (nginx then reads it per connection).
    expect(conf).toMatch(/^\s*proxy_ssl_certificate \S+;$/m);
    expect(conf).toMatch(new RegExp(`(default|proxy_ssl_certificate) ${dir}/tls\\.crt;`));
    expect(conf).toMatch(new RegExp(`(default|proxy_ssl_certificate_key) ${dir}/tls\\.key;`));
    const edge = workloads(objects).find((workload) => workload.id === 'Deployment/tracking-edge');
    const container = edge?.pod.containers[0] as Container;
    for (const [file, key] of [
      ['ca.crt', 'ca.crt'],
      ['tls.crt', 'tls.crt'],
      ['tls.key', 'tls.key'],
    ]) {
      expect(secretHolding(edge?.pod as Pod, container, `${dir}/${file}`)).toMatchObject({
        secretName: 'tracking-edge-mtls',
        key,
        readOnly: true,
      });
    }
  });

  test('web serves the edge only over TLS, verifying the client against the CA, with its own mounted certificate', () => {
    const conf = named('ConfigMap', 'tracking-web-site')?.data?.['nginx.conf'] ?? '';
    const dir = '/var/run/secrets/tracking/mtls';
    // Its HTTP port (the ops port serves the kubelet's probes and nothing of the app).
    const port = String(components.web?.ports.http);
    const listens = [...conf.matchAll(/^\s*listen ([^;]+);/gm)]
      .map(([, listen = '']) => listen)
      .filter((listen) => new RegExp(`(^|:)${port}( |$)`).test(listen));
    expect(listens).toEqual([expect.stringMatching(/ ssl$/)]);
    expect(conf).toContain(`ssl_client_certificate ${dir}/ca.crt;`);
    expect(conf).toMatch(/^\s*ssl_verify_client (on|optional);$/m);
    const web = workloads(objects).find((workload) => workload.id === 'Deployment/tracking-web');
    expect(
      secretHolding(web?.pod as Pod, web?.pod.containers[0] as Container, `${dir}/tls.key`),
    ).toMatchObject({ secretName: 'tracking-web-mtls', key: 'tls.key', readOnly: true });
  });

  test("every Secret a pod uses is one the operator's guide lists", () => {
    const documented = documentedSecrets();
    expect(documented.length).toBeGreaterThan(15);
    const undocumented = new Set<string>();
    for (const workload of workloads(objects)) {
      const names = [
        ...(workload.pod.volumes ?? []).map((volume) => volume.secret?.secretName),
        ...workload.pod.containers.flatMap((container) =>
          (container.env ?? []).map((variable) => variable.valueFrom?.secretKeyRef?.name),
        ),
      ];
      for (const name of names) {
        if (name && !documented.some((pattern) => pattern.test(name))) undocumented.add(name);
      }
    }
    expect([...undocumented]).toEqual([]);
  });

  test('every file a pod is told to read is mounted, every mount has its volume, and every Secret the operators make for it is rendered', () => {
    const problems: string[] = [];
    const made = new Set([
      ...ofKind('Certificate').map((certificate) => String(at(certificate, 'spec', 'secretName'))),
      ...ofKind('KafkaUser').map((user) => user.metadata.name),
    ]);
    for (const workload of workloads(objects)) {
      const volumes = new Map((workload.pod.volumes ?? []).map((volume) => [volume.name, volume]));
      const mounted = new Set<string>();
      for (const container of workload.pod.containers) {
        for (const mount of container.volumeMounts ?? []) {
          mounted.add(mount.name);
          if (!volumes.has(mount.name)) problems.push(`${workload.id}: mount ${mount.name} has no volume`);
        }
        for (const variable of container.env ?? []) {
          if (!/_(FILE|FILES|DIR)$/.test(variable.name) || !variable.value?.startsWith('/var/run/secrets/'))
            continue;
          for (const file of variable.value.split(',')) {
            // A file in a mounted Secret, or the CA in the trust bundle's ConfigMap (not a secret).
            const held = secretHolding(workload.pod, container, file);
            if (!held || !('secretName' in held ? held.secretName : held.configMapName))
              problems.push(`${workload.id}: ${variable.name}=${file} is in no mounted Secret`);
          }
        }
      }
      for (const volume of volumes.values()) {
        if (!mounted.has(volume.name)) problems.push(`${workload.id}: volume ${volume.name} is not mounted`);
        const secret = volume.secret?.secretName ?? '';
        if (/-mtls$/.test(secret) && !made.has(secret))
          problems.push(`${workload.id}: no Certificate makes ${secret}`);
        if (volume.name === 'kafka-user' && !made.has(secret))
          problems.push(`${workload.id}: no KafkaUser makes ${secret}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('an issuer the operator names', () => {
  test('signs every certificate, and the release makes no CA of its own', async () => {
    const objects = await renderChart({
      valuesFiles: ['values-prod.yaml'],
      set: ['global.grpc.issuerRef.name=corp-ca'],
    });
    const certificates = objects.filter((object) => object.kind === 'Certificate');
    expect(certificates.length).toBeGreaterThanOrEqual(EDGE_HOPS.length);
    for (const certificate of certificates) {
      expect({ name: certificate.metadata.name, issuer: at(certificate, 'spec', 'issuerRef') }).toEqual({
        name: certificate.metadata.name,
        issuer: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      });
    }
    expect(objects.filter((object) => object.kind === 'Issuer')).toEqual([]);
  });
});

describe('a trust bundle', () => {
  test("replaces each Secret's CA with the bundle's CAs, and keeps each component's own certificate and key", async () => {
    const objects = await renderChart({
      valuesFiles: ['values-prod.yaml'],
      set: ['global.grpc.trustBundle.configMap=tracking-trust', 'global.grpc.trustBundle.key=bundle.pem'],
    });
    const dir = '/var/run/secrets/tracking/mtls';
    const pods = workloads(objects).filter((workload) =>
      ['Deployment/tracking-auth', 'Deployment/tracking-web', 'Deployment/tracking-edge'].includes(
        workload.id,
      ),
    );
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      const container = pod.pod.containers[0] as Container;
      const component = pod.id.replace('Deployment/tracking-', '');
      expect({
        pod: pod.id,
        files: ['ca.crt', 'tls.crt', 'tls.key'].map((file) =>
          secretHolding(pod.pod, container, `${dir}/${file}`),
        ),
      }).toEqual({
        pod: pod.id,
        files: [
          { configMapName: 'tracking-trust', key: 'bundle.pem', readOnly: true, subPath: undefined },
          { secretName: `tracking-${component}-mtls`, key: 'tls.crt', readOnly: true, subPath: undefined },
          { secretName: `tracking-${component}-mtls`, key: 'tls.key', readOnly: true, subPath: undefined },
        ],
      });
    }
  });
});

describe('plaintext gRPC is a development flag only', () => {
  test.each([['values-prod.yaml'], ['values-staging.yaml']])('%s: the schema refuses it', async (file) => {
    await expect(
      renderChart({ valuesFiles: [file], set: ['global.grpc.plaintextForDevelopment=true'] }),
    ).rejects.toThrow(/plaintextForDevelopment': value must be false/);
  });

  test('in development it turns off the certificates and says so to every gRPC component', async () => {
    const objects = await renderChart({ set: ['global.grpc.plaintextForDevelopment=true'] });
    expect(objects.filter((object) => object.kind === 'Certificate')).toEqual([]);
    const auth = workloads(objects).find((workload) => workload.id === 'Deployment/tracking-auth');
    const env = auth?.pod.containers[0]?.env ?? [];
    expect(env).toEqual(expect.arrayContaining([{ name: 'GRPC_ALLOW_PLAINTEXT', value: 'true' }]));
    expect(env.map((variable) => variable.name)).not.toContain('GRPC_TLS_CERT_FILE');
  });

  test('a component cannot set its own TLS files, allowed callers or plaintext flag', async () => {
    for (const name of [
      'GRPC_ALLOW_PLAINTEXT',
      'GRPC_ALLOWED_CALLERS',
      'GRPC_TLS_CA_FILE',
      'DATABASE_TLS_CA_FILE',
    ]) {
      await expect(renderChart({ set: [`components.auth.env.${name}=x`] })).rejects.toThrow(
        new RegExp(`invalid propertyName '${name}'`),
      );
    }
  });
});
