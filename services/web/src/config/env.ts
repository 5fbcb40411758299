import { z } from 'zod';

/**
 * The build's settings, parsed once. Everything here ends up in the public JavaScript, so it
 * must never hold a secret: only `VITE_`-prefixed variables reach the bundle at all.
 */
const schema = z.object({
  /** Where the API is; empty means this page's own origin (the edge serves both). */
  VITE_API_ORIGIN: z.url().optional(),
  /** Shown in error messages so people know whom to ask. */
  VITE_SUPPORT_EMAIL: z.email().default('support@tracking.example'),
  MODE: z.string(),
});

const parsed = schema.parse(import.meta.env);

export const env = {
  apiOrigin: parsed.VITE_API_ORIGIN ?? window.location.origin,
  supportEmail: parsed.VITE_SUPPORT_EMAIL,
  mode: parsed.MODE,
} as const;
