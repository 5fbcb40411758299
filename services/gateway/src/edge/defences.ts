import { createSecurityEvents, type Logger, type MetricsRegistry, type SecurityEvents } from '@tracking/kit';
import { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';

import type { EdgeOptions } from '../deps';
import { sendProblem } from '../http/problem';
import { geoFence } from './geoip';
import { networkMatcher } from './networks';
import { SECURITY_TXT_PATH, securityTxt } from './security-txt';

/**
 * Sets which peers Express believes about X-Forwarded-For/-Proto/-Host: those in the list, and
 * with a hop count no more than that many of the nearest. req.ip and req.protocol follow.
 */
export function trustProxies(app: Express, proxies: readonly string[], hops: number | undefined): void {
  if (!hops) {
    app.set('trust proxy', proxies.length ? proxies : false);
    return;
  }
  if (!proxies.length) {
    app.set('trust proxy', hops);
    return;
  }
  app.set('trust proxy', proxies);
  const listed = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  app.set('trust proxy', (address: string, hop: number) => hop < hops && listed(address, hop));
}

/**
 * The gateway's own edge defences (docs/edge.md), in front of every route: security headers,
 * GeoIP, HTTPS only, the admin network allow-list, and security.txt. They stand behind the
 * ingress's own TLS and GeoIP rules as a second line, not instead of them.
 */
export function edgeDefences(options: EdgeOptions, deps: { log: Logger; registry: MetricsRegistry }): Router {
  const security = createSecurityEvents({ log: deps.log, metrics: deps }, [
    'edge.geo_blocked',
    'edge.admin_network_refused',
  ]);
  const router = Router();
  router.use(securityHeaders());
  // security.txt is a public contact for anyone who finds a flaw, wherever they are: HTTPS as
  // RFC 9116 §3 requires, but exempt from GeoIP.
  router.get(SECURITY_TXT_PATH, requireHttps, securityTxt(options.securityTxt));
  router.use(
    geoFence({
      countryOf: options.countryOf,
      allowedCountries: options.allowedCountries,
      registry: deps.registry,
      security,
    }),
  );
  router.use(requireHttps);
  router.use('/api/v1/admin', adminNetworks(options.adminAllowedCidrs, security));
  return router;
}

/** Strict headers for the web app; on JSON responses they cost nothing and harden error pages. */
function securityHeaders(): RequestHandler {
  return helmet({
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true, preload: false },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        // data: for the TOTP enrolment QR code, which auth returns as a data: PNG.
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: [],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

// A host name or an IP literal: nothing (userinfo, a path) that could steer a redirect elsewhere.
const REDIRECTABLE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/;
// Express matches routes case-insensitively, so /API/v1/me is the API too.
const API_PATH = /^\/api(?:\/|$)/i;

/**
 * TLS ends at the ingress, which says so in X-Forwarded-Proto; Express believes that header
 * only from a trusted proxy. Over plain HTTP the API refuses (ASVS 4.1.2: a redirect would
 * already have sent the credentials in the clear, and teaches clients to keep doing it); a
 * browser asking for a page is redirected.
 */
export const requireHttps: RequestHandler = (req, res, next) => {
  if (req.secure) {
    next();
    return;
  }
  const page = !API_PATH.test(req.path) && (req.method === 'GET' || req.method === 'HEAD');
  const host = req.hostname;
  if (page && host && REDIRECTABLE_HOST.test(host)) {
    res.redirect(308, `https://${host}${req.originalUrl}`);
    return;
  }
  sendProblem(res, 'https_required', 'use HTTPS');
};

function adminNetworks(cidrs: readonly string[], security: SecurityEvents): RequestHandler {
  const allowed = networkMatcher(cidrs);
  return (req, res, next) => {
    if (allowed(req.ip)) {
      next();
      return;
    }
    // From where someone reached for the admin API: a security event worth its log line.
    security.record(
      'edge.admin_network_refused',
      { path: req.path.slice(0, 200) },
      'admin API refused from this network',
    );
    sendProblem(res, 'permission_denied', 'the admin API is not available from this network');
  };
}
