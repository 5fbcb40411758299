import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Kafka,
} from 'kafkajs';

import type { TopicsManifest } from './kafka';

/**
 * The broker's permissions, generated from the topics manifest and from nothing else: a topic's
 * producers may write it, its readers may read it (each through consumer groups named after
 * itself), and no other principal may do either. The admin principal that provisions topics and
 * these ACLs is the broker's only super user and is never given to a service.
 */
export interface KafkaAcl {
  /** `User:<service>`: the SCRAM user (locally) or Strimzi KafkaUser (chart) of one service. */
  principal: string;
  resource: 'topic' | 'group';
  pattern: 'literal' | 'prefixed';
  name: string;
  operation: 'read' | 'write' | 'describe';
}

/** Every service that takes part in the manifest, as the Kafka user it authenticates as. */
export function manifestPrincipals(manifest: TopicsManifest): string[] {
  const names = manifest.topics.flatMap((topic) => [...topic.producers, ...topic.readers]);
  return [...new Set(names)].sort();
}

/**
 * The ACLs for the manifest's topics under `prefix` (a test's KAFKA_TOPIC_PREFIX, or the chart's).
 * Producers get WRITE and DESCRIBE on their topics; since Kafka 3.0 WRITE on a topic also lets
 * them open the idempotent producer the kit uses (no cluster permission needed, and no
 * transactional ids are used). Readers get READ on their topics and READ on the groups whose
 * names start with their own name (`auth-plans`, `audit-head-reader-<time>`), with and without
 * the prefix: a group is where offsets live, the topic READ is what gives access to the data.
 */
export function manifestAcls(manifest: TopicsManifest, prefix = ''): KafkaAcl[] {
  const acls: KafkaAcl[] = [];
  const add = (acl: KafkaAcl) => {
    const same = (other: KafkaAcl) =>
      other.principal === acl.principal &&
      other.resource === acl.resource &&
      other.pattern === acl.pattern &&
      other.name === acl.name &&
      other.operation === acl.operation;
    if (!acls.some(same)) acls.push(acl);
  };
  for (const topic of manifest.topics) {
    const name = prefix + topic.name;
    for (const service of topic.producers) {
      for (const operation of ['write', 'describe'] as const)
        add({ principal: `User:${service}`, resource: 'topic', pattern: 'literal', name, operation });
    }
    for (const service of topic.readers) {
      add({ principal: `User:${service}`, resource: 'topic', pattern: 'literal', name, operation: 'read' });
      for (const group of new Set([prefix + service, service]))
        add({
          principal: `User:${service}`,
          resource: 'group',
          pattern: 'prefixed',
          name: group,
          operation: 'read',
        });
    }
  }
  return acls;
}

const OPERATIONS = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
} as const;

function toEntry(acl: KafkaAcl): AclEntry {
  return {
    principal: acl.principal,
    host: '*',
    resourceType: acl.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: acl.name,
    resourcePatternType:
      acl.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    operation: OPERATIONS[acl.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/**
 * Creates the ACLs on the broker (an ACL that exists already is left as it is). Needs the admin
 * principal. Only a broker that authorises (KAFKA_SECURITY=scram locally, Strimzi's
 * `authorization: simple`) enforces them.
 */
export async function ensureAcls(kafka: Kafka, acls: KafkaAcl[]): Promise<void> {
  if (acls.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: acls.map(toEntry) });
  } finally {
    await admin.disconnect();
  }
}
