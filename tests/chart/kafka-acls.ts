import path from 'node:path';

import { manifestAcls, readTopicsManifest, type KafkaAcl } from '@tracking/kit';

import { at, CHART, type Manifest } from './chart-render';

/**
 * A rendered KafkaUser's ACLs against the topics manifest, in the terms of the generator the local
 * broker's ACLs come from (packages/kit/src/kafka-acl.ts), so the chart and the local broker are
 * held to one source (tests/chart/kafka-users.test.ts, zero-trust.test.ts).
 */
const manifest = readTopicsManifest(path.join(CHART, 'files', 'topics.json'));

interface StrimziAcl {
  resource: { type: string; name: string; patternType: string };
  operations: string[];
}

/** The service a KafkaUser of release `tracking` logs in for. */
export const kafkaUserService = (user: Manifest) => user.metadata.name.replace(/^tracking-/, '');

/** A KafkaUser's ACLs in the generator's terms, one entry per operation, sorted. */
export function renderedAcls(user: Manifest): string[] {
  const principal = `User:${kafkaUserService(user)}`;
  const acls = (at(user, 'spec', 'authorization', 'acls') ?? []) as StrimziAcl[];
  return acls
    .flatMap((acl) =>
      acl.operations.map((operation): KafkaAcl => ({
        principal,
        resource: acl.resource.type as KafkaAcl['resource'],
        pattern: acl.resource.patternType === 'prefix' ? 'prefixed' : 'literal',
        name: acl.resource.name,
        operation: operation.toLowerCase() as KafkaAcl['operation'],
      })),
    )
    .map((acl) => JSON.stringify(acl))
    .sort();
}

/** The ACLs the topics manifest gives a service, with a topic prefix, sorted as renderedAcls. */
export function manifestAclsOf(service: string, prefix = ''): string[] {
  return manifestAcls(manifest, prefix)
    .filter((acl) => acl.principal === `User:${service}`)
    .map((acl) => JSON.stringify(acl))
    .sort();
}
