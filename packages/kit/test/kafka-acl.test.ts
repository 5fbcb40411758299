import { kafkaConnection, manifestAcls, manifestPrincipals, topicsManifestSchema } from '../src';

const manifest = topicsManifestSchema.parse({
  topics: [
    {
      name: 'billing.plan.v1',
      partitions: 3,
      retentionMs: 1000,
      description: 'plan changes',
      producers: ['billing'],
      readers: ['auth'],
    },
    {
      name: 'auth.plan-dlq.v1',
      partitions: 1,
      retentionMs: 1000,
      description: 'plans auth could not apply',
      producers: ['auth'],
    },
  ],
});

describe('ACLs generated from the topics manifest', () => {
  it('lets the producer write and describe its topic, and the reader read it through its own groups only', () => {
    expect(manifestAcls(manifest)).toEqual([
      {
        principal: 'User:billing',
        resource: 'topic',
        pattern: 'literal',
        name: 'billing.plan.v1',
        operation: 'write',
      },
      {
        principal: 'User:billing',
        resource: 'topic',
        pattern: 'literal',
        name: 'billing.plan.v1',
        operation: 'describe',
      },
      {
        principal: 'User:auth',
        resource: 'topic',
        pattern: 'literal',
        name: 'billing.plan.v1',
        operation: 'read',
      },
      { principal: 'User:auth', resource: 'group', pattern: 'prefixed', name: 'auth', operation: 'read' },
      {
        principal: 'User:auth',
        resource: 'topic',
        pattern: 'literal',
        name: 'auth.plan-dlq.v1',
        operation: 'write',
      },
      {
        principal: 'User:auth',
        resource: 'topic',
        pattern: 'literal',
        name: 'auth.plan-dlq.v1',
        operation: 'describe',
      },
    ]);
  });

  it('gives nobody a wildcard, a prefixed topic or anything on the cluster', () => {
    const acls = manifestAcls(manifest, 't1.');
    expect(acls.filter((acl) => acl.resource === 'topic').every((acl) => acl.pattern === 'literal')).toBe(
      true,
    );
    expect(acls.some((acl) => acl.name.includes('*') || acl.principal === 'User:*')).toBe(false);
    expect(new Set(acls.map((acl) => acl.resource))).toEqual(new Set(['topic', 'group']));
    expect(acls.filter((acl) => acl.resource === 'topic').map((acl) => acl.name)).not.toContain(
      'billing.plan.v1',
    );
  });

  it('puts a test prefix before every topic, and before the groups as well as without it', () => {
    const acls = manifestAcls(manifest, 't1.');
    expect(acls).toContainEqual({
      principal: 'User:auth',
      resource: 'topic',
      pattern: 'literal',
      name: 't1.billing.plan.v1',
      operation: 'read',
    });
    expect(acls.filter((acl) => acl.resource === 'group').map((acl) => acl.name)).toEqual([
      't1.auth',
      'auth',
    ]);
  });

  it('names every service of the manifest once, as its principal', () => {
    expect(manifestPrincipals(manifest)).toEqual(['auth', 'billing']);
  });

  it('refuses a manifest topic that nobody may write', () => {
    expect(() =>
      topicsManifestSchema.parse({
        topics: [{ name: 'a.b.v1', partitions: 1, retentionMs: 1, description: 'x', producers: [] }],
      }),
    ).toThrow();
  });
});

describe('kafkaConnection', () => {
  const brokers = ['127.0.0.1:9092'];

  it('refuses plaintext Kafka in production', () => {
    expect(() => kafkaConnection({ NODE_ENV: 'production', KAFKA_BROKERS: brokers })).toThrow(
      /plaintext Kafka is refused in production/,
    );
  });

  it('allows plaintext in development', () => {
    expect(kafkaConnection({ NODE_ENV: 'development', KAFKA_BROKERS: brokers })).toEqual({ brokers });
  });

  it('refuses half a set of credentials', () => {
    expect(() =>
      kafkaConnection({ NODE_ENV: 'development', KAFKA_BROKERS: brokers, KAFKA_SASL_USERNAME: 'auth' }),
    ).toThrow(/set all of KAFKA_SASL_USERNAME/);
  });
});
