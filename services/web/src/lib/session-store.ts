/**
 * The CSRF token of the cookie session. The session itself is an HttpOnly cookie this code
 * cannot read; the gateway wants this token back as X-CSRF-Token on every POST, PUT, PATCH and
 * DELETE (docs/auth.md). Sign-in and the MFA step return it. It is kept in localStorage so a
 * reload or a second tab of the same browser can still change things; it is worthless without
 * the cookie, and a script able to read it could already make requests from this page.
 */
const KEY = 'tracking.csrf';

export const csrfStore = {
  get(): string | undefined {
    return localStorage.getItem(KEY) ?? undefined;
  },
  set(token: string): void {
    localStorage.setItem(KEY, token);
  },
  clear(): void {
    localStorage.removeItem(KEY);
  },
};
