import type { RequestHandler } from 'express';

import type { SecurityTxt } from '../deps';

export const SECURITY_TXT_PATH = '/.well-known/security.txt';

export function securityTxtBody(fields: SecurityTxt): string {
  const lines = [
    ...fields.contacts.map((contact) => `Contact: ${contact}`),
    `Expires: ${fields.expires.toISOString()}`,
    ...(fields.policy ? [`Policy: ${fields.policy}`] : []),
    `Preferred-Languages: ${fields.languages.join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function securityTxt(fields: SecurityTxt): RequestHandler {
  const body = securityTxtBody(fields);
  return (_req, res) => {
    // A day's caching at most, so a changed contact reaches researchers soon.
    res.set('cache-control', 'public, max-age=86400').type('text/plain; charset=utf-8').send(body);
  };
}
