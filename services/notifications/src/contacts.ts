import { readFileSync } from 'node:fs';

import { Metadata } from '@grpc/grpc-js';
import {
  callUnary,
  createClient,
  SERVICE_TOKEN_HEADER,
  type Logger,
  type TlsSettings,
  UpstreamError,
} from '@tracking/kit';
import { ContactServiceClient } from '@tracking/proto/tracking/auth/v1/contacts';

/** Where mail for an account goes. */
export interface Contact {
  email: string;
}

export interface ContactDirectory {
  /** The account's address now; undefined for an unknown or erased account. Throws when auth cannot answer. */
  lookup(userId: string): Promise<Contact | undefined>;
  close(): void;
}

/** Auth's GetContact (docs/notifications.md, "Finding the address"), with this service's credential. */
export function authContacts(options: {
  address: string;
  tokenFile: string;
  tls: TlsSettings;
  deadlineMs: number;
  /** Where a certificate file that cannot be re-read is reported, and a reload noted. */
  log?: Logger;
}): ContactDirectory {
  const token = readFileSync(options.tokenFile, 'utf8').trim();
  const client = createClient(ContactServiceClient, options.address, {
    tls: options.tls,
    server: 'auth',
    log: options.log,
    deadlineMs: options.deadlineMs,
  });
  return {
    async lookup(userId) {
      const metadata = new Metadata();
      metadata.set(SERVICE_TOKEN_HEADER, token);
      try {
        const contact = await callUnary(client.getContact.bind(client), { userId }, metadata);
        return { email: contact.email };
      } catch (error) {
        if (error instanceof UpstreamError && error.code === 'not_found') return undefined;
        throw error;
      }
    },
    close() {
      client.close();
    },
  };
}
