import { freePort, startProcess, type ManagedProcess } from './processes';

/** A test-mode secret key: stripe-mock accepts any key of this shape. */
export const STRIPE_MOCK_KEY = 'sk_test_stripeMockTestKey0000';

export interface StripeMock {
  /** e.g. http://127.0.0.1:41234, for billing's STRIPE_API_URL. */
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Stripe's own API mock (github.com/stripe/stripe-mock; `scripts/test.sh` builds it onto PATH)
 * on a free loopback port. It answers every API call with the real response shape and refuses
 * requests its OpenAPI spec does not allow, so the official SDK is exercised unchanged. It is
 * stateless: a created object is not there to retrieve later.
 */
export async function startStripeMock(): Promise<StripeMock> {
  const port = await freePort();
  let httpsPort = await freePort();
  while (httpsPort === port) httpsPort = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const managed = await startProcess({
    name: 'stripe-mock',
    // Its HTTPS listener too: left to its default it binds :12112 on every interface, and a second
    // stripe-mock (another test file) would fail to start.
    command: [
      'stripe-mock',
      '-http-addr',
      `127.0.0.1:${String(port)}`,
      '-https-addr',
      `127.0.0.1:${String(httpsPort)}`,
    ],
    env: {},
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (managed.child.exitCode !== null) throw new Error(`stripe-mock exited; see ${managed.logFile}`);
    const ready = await fetch(`${url}/v1/customers?limit=1`, {
      headers: { authorization: `Bearer ${STRIPE_MOCK_KEY}` },
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await managed.kill();
      throw new Error(`stripe-mock was not ready within 30 s; see ${managed.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: managed,
    stop: async () => {
      await managed.stop();
    },
  };
}
