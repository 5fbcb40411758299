import { at, renderChart, type Manifest } from './chart-render';
import { kafkaUserService, manifestAclsOf, renderedAcls } from './kafka-acls';

/**
 * Kafka in the chart (#24): the Strimzi cluster's only listener is TLS with SCRAM-SHA-512 and
 * authorises, every component that uses Kafka logs in as its own KafkaUser, and each KafkaUser's
 * ACLs are exactly what the topics manifest gives that service: the same generator the local
 * broker's ACLs come from (packages/kit/src/kafka-acl.ts).
 */
const STRIMZI = ['dependencies.strimzi.enabled=true', 'dependencies.strimzi.cluster.enabled=true'];

describe.each([
  ['the default values', [] as string[], ''],
  ['the production values', ['values-prod.yaml'], ''],
  ['a topic prefix', [] as string[], 'staging.'],
])('Kafka in the chart, with %s', (_, valuesFiles, prefix) => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await renderChart({
      valuesFiles,
      set: [...STRIMZI, ...(prefix ? [`global.kafka.topicPrefix=${prefix}`] : [])],
    });
  });
  const kafkaUsers = () => objects.filter((object) => object.kind === 'KafkaUser');
  const workloads = () => objects.filter((object) => ['Deployment', 'CronJob'].includes(object.kind));
  const podSpec = (object: Manifest) =>
    (object.kind === 'CronJob'
      ? at(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
      : at(object, 'spec', 'template', 'spec')) as {
      containers: {
        env?: { name: string; value?: string }[];
        volumeMounts?: { name: string; mountPath: string }[];
      }[];
      volumes?: { name: string; secret?: { secretName: string } }[];
    };

  test('the cluster listens only with TLS and SCRAM-SHA-512, and authorises', () => {
    const kafka = objects.find((object) => object.kind === 'Kafka');
    const listeners = at(kafka, 'spec', 'kafka', 'listeners') as Record<string, unknown>[];
    expect(listeners.length).toBeGreaterThan(0);
    for (const listener of listeners) {
      expect(listener).toMatchObject({ tls: true, authentication: { type: 'scram-sha-512' } });
    }
    expect(at(kafka, 'spec', 'kafka', 'authorization')).toEqual({ type: 'simple' });
  });

  test('every KafkaUser has exactly the ACLs the topics manifest gives its service', () => {
    const users = kafkaUsers();
    expect(users.length).toBeGreaterThan(0);
    for (const user of users) {
      const service = kafkaUserService(user);
      expect(at(user, 'spec', 'authentication')).toEqual({ type: 'scram-sha-512' });
      expect({ service, acls: renderedAcls(user) }).toEqual({
        service,
        acls: manifestAclsOf(service, prefix),
      });
    }
  });

  test('every workload that uses Kafka logs in as its own KafkaUser, with its Secret and the CA mounted', () => {
    const users = new Set(kafkaUsers().map((user) => user.metadata.name));
    const usingKafka = workloads().filter((workload) =>
      podSpec(workload).containers.some((container) =>
        container.env?.some((variable) => variable.name === 'KAFKA_BROKERS'),
      ),
    );
    expect(usingKafka.length).toBeGreaterThanOrEqual(users.size);
    for (const workload of usingKafka) {
      const spec = podSpec(workload);
      const env = Object.fromEntries(
        (spec.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]),
      );
      const username = env.KAFKA_SASL_USERNAME ?? '';
      expect({ workload: workload.metadata.name, user: users.has(username) }).toEqual({
        workload: workload.metadata.name,
        user: true,
      });
      expect(env.KAFKA_SASL_PASSWORD_FILE).toBe('/var/run/secrets/tracking/kafka-user/password');
      expect(env.KAFKA_CA_FILE).toBe('/var/run/secrets/tracking/kafka-ca/ca.crt');
      const secrets = (spec.volumes ?? []).map((volume) => volume.secret?.secretName);
      expect(secrets).toEqual(expect.arrayContaining([username, 'kafka-cluster-ca-cert']));
      const mounts = (spec.containers[0]?.volumeMounts ?? []).map((mount) => mount.mountPath);
      expect(mounts).toEqual(
        expect.arrayContaining([
          '/var/run/secrets/tracking/kafka-user',
          '/var/run/secrets/tracking/kafka-ca',
        ]),
      );
    }
  });

  test('no component is pointed at Kafka without a login', () => {
    for (const workload of workloads()) {
      for (const container of podSpec(workload).containers) {
        const names = (container.env ?? []).map((variable) => variable.name);
        if (names.includes('KAFKA_BROKERS')) {
          expect(names).toEqual(
            expect.arrayContaining(['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE', 'KAFKA_CA_FILE']),
          );
        }
      }
    }
  });
});
