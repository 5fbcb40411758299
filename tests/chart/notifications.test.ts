// The notifications component in a cluster (docs/deployment.md, "Mail"): it sends only to the
// SMTP relay, over TLS, with its credentials from a mounted Secret; staging and production cannot
// render without the relay; and no component writes mail to a file any more.
import { at, renderChart, type Json, type Manifest } from './chart-render';

const VALUES_FILES = ['values.yaml', 'values-dev.yaml', 'values-staging.yaml', 'values-prod.yaml'];

const render = (file: string, ...set: string[]) => renderChart({ valuesFiles: [file], set });

function container(manifests: Manifest[], name: string) {
  const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === name);
  if (!deployment) throw new Error(`no Deployment ${name}`);
  return (at(deployment, 'spec', 'template', 'spec', 'containers', 0) ?? {}) as {
    env: { name: string; value?: string; valueFrom?: Json }[];
    volumeMounts: { name: string; mountPath: string }[];
  };
}

const envOf = (manifests: Manifest[], name: string) =>
  Object.fromEntries(
    container(manifests, name).env.map((variable) => [variable.name, variable.value ?? variable.valueFrom]),
  );

function policy(manifests: Manifest[], name: string) {
  const found = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name === name);
  if (!found) throw new Error(`no NetworkPolicy ${name}`);
  return found.spec as { ingress?: Json[]; egress: Json[] };
}

describe('the notifications component', () => {
  test.each(VALUES_FILES)('%s: no component is told to write mail to a file', async (file) => {
    const manifests = await render(file);
    const deployments = manifests.filter((m) => m.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toContain('tracking-notifications');
    expect(JSON.stringify(manifests)).not.toMatch(/MAIL_DROP_FILE|SMTP_ALLOW_PLAINTEXT|\/tmp\/mail/);
  });

  test('in production it sends to the relay over STARTTLS, with its credentials and the contact token as mounted files', async () => {
    const manifests = await render('values-prod.yaml');
    const env = envOf(manifests, 'tracking-notifications');
    expect(env).toMatchObject({
      NODE_ENV: 'production',
      SMTP_HOST: 'email-smtp.ap-southeast-2.amazonaws.com',
      SMTP_PORT: '587',
      SMTP_SECURE: 'starttls',
      MAIL_FROM: 'Tracking <no-reply@example.com>',
      SMTP_USER_FILE: '/var/run/secrets/tracking/smtp/user',
      SMTP_PASSWORD_FILE: '/var/run/secrets/tracking/smtp/password',
      AUTH_CONTACT_TOKEN_FILE: '/var/run/secrets/tracking/contact/token',
      AUTH_GRPC_ADDR: 'tracking-auth:15051',
      DATABASE_URL: { secretKeyRef: { name: 'tracking-notifications-db', key: 'url' } },
    });
    const mounts = container(manifests, 'tracking-notifications').volumeMounts.map(
      (mount) => mount.mountPath,
    );
    expect(mounts).toEqual(
      expect.arrayContaining(['/var/run/secrets/tracking/smtp', '/var/run/secrets/tracking/contact']),
    );
    // auth checks that credential: the same Secret, mounted where CONTACT_LOOKUP_TOKEN_FILE points.
    expect(envOf(manifests, 'tracking-auth').CONTACT_LOOKUP_TOKEN_FILE).toBe(
      '/var/run/secrets/tracking/contact/token',
    );
    expect(container(manifests, 'tracking-auth').volumeMounts.map((mount) => mount.mountPath)).toContain(
      '/var/run/secrets/tracking/contact',
    );
  });

  test('it reaches the SMTP port of public addresses, auth, its database, Kafka and DNS, and nothing calls it', async () => {
    const { ingress, egress } = policy(await render('values-prod.yaml'), 'tracking-notifications');
    const ports = egress.flatMap((rule) => ((rule.ports ?? []) as { port: number }[]).map((p) => p.port));
    expect([...new Set(ports)].sort((a, b) => a - b)).toEqual([53, 587, 4318, 5432, 9092, 15051]);
    expect(egress).toContainEqual({
      to: [
        {
          ipBlock: {
            cidr: '0.0.0.0/0',
            except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'],
          },
        },
      ],
      ports: [{ port: 587, protocol: 'TCP' }],
    });
    // Only the monitoring scrape, on the ops port.
    expect(ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9113, protocol: 'TCP' }],
      },
    ]);
    // auth admits it on gRPC.
    const authIngress = policy(await render('values-prod.yaml'), 'tracking-auth').ingress ?? [];
    expect(JSON.stringify(authIngress)).toContain('"app.kubernetes.io/component":"notifications"');
  });

  test.each(['values-prod.yaml', 'values-staging.yaml'])(
    '%s cannot render without the SMTP relay, a From address or the egress to the relay',
    async (file) => {
      await expect(render(file, 'components.notifications.env.SMTP_HOST=')).rejects.toThrow(/SMTP_HOST/);
      await expect(render(file, 'components.notifications.env.SMTP_HOST=smtp.example.com')).rejects.toThrow(
        /SMTP_HOST/,
      );
      await expect(render(file, 'components.notifications.env.SMTP_HOST=localhost')).rejects.toThrow(
        /SMTP_HOST/,
      );
      await expect(render(file, 'components.notifications.env.MAIL_FROM=')).rejects.toThrow(/MAIL_FROM/);
      await expect(render(file, 'components.notifications.egress=null')).rejects.toThrow(/egress/);
      await expect(render(file, 'components.notifications.enabled=false')).rejects.toThrow(/enabled/);
    },
  );

  test.each(VALUES_FILES)(
    '%s: plaintext SMTP and the file mailer are refused in every environment',
    async (file) => {
      await expect(render(file, 'components.notifications.env.SMTP_SECURE=none')).rejects.toThrow(
        /SMTP_SECURE/,
      );
      await expect(render(file, 'components.notifications.env.SMTP_ALLOW_PLAINTEXT=true')).rejects.toThrow(
        /SMTP_ALLOW_PLAINTEXT/,
      );
      await expect(render(file, 'components.auth.env.MAIL_DROP_FILE=/tmp/mail/auth.jsonl')).rejects.toThrow(
        /MAIL_DROP_FILE/,
      );
    },
  );

  test('the development values render without a relay, and the environment must be one the schema knows', async () => {
    await expect(render('values.yaml')).resolves.toBeDefined();
    await expect(render('values-prod.yaml', 'global.environment=prod')).rejects.toThrow(/environment/);
  });
});
