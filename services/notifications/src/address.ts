import { createHash } from 'node:crypto';

/**
 * How the service refers to an address anywhere but the SMTP envelope: the SHA-256 of its
 * lower-cased form. The suppression list and the send log match on it; logs show its first 16
 * hex digits. It is not anonymous (anyone holding an address can compute it), it only keeps
 * addresses out of tables, logs and dashboards.
 */
export function addressDigest(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase(), 'utf8').digest('hex');
}

/** The form of the digest that log lines carry. */
export const logDigest = (digest: string) => digest.slice(0, 16);
