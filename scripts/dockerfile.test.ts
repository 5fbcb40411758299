// The images cannot be built where the tests run (no container engine), so this reads the
// Dockerfile, .dockerignore and skaffold.yaml and checks the promises they make: small,
// reproducible, non-root images with no shell, one per service.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  /** The comment lines just above it. */
  comments: string[];
}

interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions: continuations joined, comments kept aside. */
function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  let comments: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      // A comment inside a continued instruction belongs to nobody.
      if (!pending) comments.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (!line && !pending) {
      comments = [];
      continue;
    }
    pending += `${line.replace(/\\$/, '')} `;
    if (line.endsWith('\\')) continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(pending.trim()) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim(), comments };
    pending = '';
    comments = [];
    if (instruction.keyword === 'FROM') {
      const [base = '', , name] = instruction.args.split(/\s+/);
      stages.push({ base, name, instructions: [instruction] });
    } else if (stages.length === 0) {
      globalArgs.push(instruction);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** An exec-form (JSON array) CMD or ENTRYPOINT. */
const execForm = (instruction: Instruction | undefined): string[] =>
  JSON.parse(instruction?.args ?? 'null') as string[];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** .dockerignore's rule for one path: its patterns in order, the last match winning. */
function dockerIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = (negated ? pattern.slice(1) : pattern).replace(/^\/|\/$/g, '');
    const source = glob
      .split('/')
      .map((part) =>
        part === '**' ? '.*' : escapeRegExp(part).replace(/\\\*/g, '[^/]*').replace(/\\\?/g, '[^/]'),
      )
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    // A pattern that names a folder excludes everything inside it.
    if (new RegExp(`^${source}(?:/.*)?$`).test(file)) ignored = !negated;
  }
  return ignored;
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const { stages } = dockerfile;
const final = stages.at(-1);
const finalInstructions = final?.instructions ?? [];
const all = stages.flatMap((stage) => stage.instructions);
const runs = all.filter((instruction) => instruction.keyword === 'RUN').map((run) => run.args);
const ignorePatterns = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const workspaces = readdirSync(path.join(ROOT, 'services'), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && existsSync(path.join(ROOT, 'services', entry.name, 'package.json')),
  )
  .map((entry) => entry.name)
  .sort();
/** A workspace with a Dockerfile of its own (the web app's static files) is not a Node service. */
const ownImage = (name: string) => existsSync(path.join(ROOT, 'services', name, 'Dockerfile'));
const services = workspaces.filter((name) => !ownImage(name));
const lockfile = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string }> };

describe('the service image (Dockerfile)', () => {
  test('builds in stages, and runs on distroless Node 24 as a numeric non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(final?.base).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot(@sha256:[0-9a-f]{64})?$/);
    const user = finalInstructions.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(
      user
        ?.split(':')
        .map(Number)
        .every((id) => id > 0),
    ).toBe(true);
  });

  test('every base image is pinned: Node by its exact release, and each with its digest noted beside it', () => {
    for (const stage of stages) {
      if (stages.some((other) => other.name === stage.base)) continue; // FROM an earlier stage
      const [repository = '', tag = ''] = stage.base.split(/[:@]/);
      expect(tag).not.toBe('latest');
      if (repository === 'node') expect(tag).toMatch(/^\d+\.\d+\.\d+-/);
      const digest = new RegExp(`${escapeRegExp(`${repository}:${tag}`)}@sha256:[0-9a-f]{64}`);
      const noted = stage.instructions[0]?.comments.some((comment) => digest.test(comment));
      expect({ base: stage.base, digestNoted: noted }).toEqual({ base: stage.base, digestNoted: true });
    }
  });

  test('the runtime stage has no RUN: there is no shell to run it with', () => {
    expect(finalInstructions.filter((instruction) => instruction.keyword === 'RUN')).toEqual([]);
  });

  test('dependencies come from the lockfile with npm ci, scripts blocked, never npm install', () => {
    const installs = runs.filter((run) => /\bnpm (ci|install|i|add)\b/.test(run));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) {
      expect(run).not.toMatch(/\bnpm (install|i|add)\b/);
      expect(run).toMatch(/npm ci\b.*--ignore-scripts/);
    }
    expect(runs.some((run) => /npm ci\b.*--omit=dev/.test(run))).toBe(true);
  });

  test('the build context is cut to the service with turbo prune, at the lockfile’s turbo version', () => {
    const prune = runs.find((run) => /\bturbo@[\d.]+ prune\b/.test(run));
    expect(prune).toMatch(/prune "@tracking\/\$\{SERVICE\}" --docker\b/);
    expect(prune).toContain(`turbo@${lockfile.packages['node_modules/turbo']?.version ?? 'missing'} `);
  });

  test('the image is labelled with its source, version, revision, title and licence', () => {
    const labels = finalInstructions
      .filter((instruction) => instruction.keyword === 'LABEL')
      .map((instruction) => instruction.args)
      .join(' ');
    expect(labels).toContain('org.opencontainers.image.source="${SOURCE}"');
    expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
    expect(labels).toContain('org.opencontainers.image.revision="${REVISION}"');
    expect(labels).toContain('org.opencontainers.image.title="${SERVICE}"');
    expect(labels).toMatch(/org\.opencontainers\.image\.licenses="[^"]+"/);
    const args = finalInstructions
      .filter((instruction) => instruction.keyword === 'ARG')
      .map((arg) => arg.args);
    expect(args).toEqual(
      expect.arrayContaining([
        'SERVICE',
        expect.stringMatching(/^VERSION=/),
        expect.stringMatching(/^REVISION=/),
      ]),
    );
  });

  test('it starts the service with node and tsx from /app, in production mode, writing nothing', () => {
    const env = finalInstructions
      .filter((instruction) => instruction.keyword === 'ENV')
      .map((instruction) => instruction.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bTSX_DISABLE_CACHE=1\b/);
    expect(finalInstructions.find((instruction) => instruction.keyword === 'WORKDIR')?.args).toBe('/app');
    // An empty ENTRYPOINT and the whole command line in CMD, which `skaffold debug` can rewrite.
    expect(execForm(finalInstructions.find((instruction) => instruction.keyword === 'ENTRYPOINT'))).toEqual(
      [],
    );
    expect(execForm(finalInstructions.find((instruction) => instruction.keyword === 'CMD'))).toEqual([
      '/nodejs/bin/node',
      '--enable-source-maps',
      '--import',
      'tsx',
      'main.ts',
    ]);
  });

  test('each copy from a stage names a stage defined above it', () => {
    stages.forEach((stage, index) => {
      for (const copy of stage.instructions.filter((instruction) => instruction.keyword === 'COPY')) {
        const from = /--from=(\S+)/.exec(copy.args)?.[1];
        if (from) expect(stages.slice(0, index).map((earlier) => earlier.name)).toContain(from);
      }
    });
  });

  test('the backup image carries pg_dump and pg_restore at least as new as the chart’s PostgreSQL, the others nothing', () => {
    const client = stages.find((stage) => stage.name === 'pgclient');
    const clientMajor = Number(/^postgres:(\d+)\./.exec(client?.base ?? '')?.[1]);
    const values = parse(read('charts/tracking/values.yaml')) as {
      dependencies: { cloudnativePg: { imageName: string } };
    };
    const serverMajor = Number(/:(\d+)[.\d]*$/.exec(values.dependencies.cloudnativePg.imageName)?.[1]);
    expect(clientMajor).toBeGreaterThanOrEqual(serverMajor);
    const copy = client?.instructions.find((instruction) => instruction.keyword === 'RUN')?.args ?? '';
    expect(copy).toMatch(/if \[ "\$\{SERVICE\}" = backup \]/);
    expect(copy).toMatch(/pg_dump.*pg_restore.*\/pgclient\/usr\/local\/bin/);
    expect(finalInstructions.map((instruction) => instruction.args)).toContain(
      '--from=pgclient /pgclient/ /',
    );
  });

  test('the SERVICE list it documents is exactly the folders under services/', () => {
    const documented = /SERVICE is one of: ([^(\n]+)/.exec(read('Dockerfile'))?.[1] ?? '';
    expect(
      documented
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
        .sort(),
    ).toEqual(services);
  });

  test('the entry points it documents exist', () => {
    for (const entry of [
      'packages/kit/src/migrate-cli.ts',
      'services/auth/src/bootstrap-admin.ts',
      'services/backup/src/cli.ts',
    ]) {
      expect(read('Dockerfile')).toContain(entry);
      expect(existsSync(path.join(ROOT, entry))).toBe(true);
    }
  });
});

describe("the web app's image (services/web/Dockerfile)", () => {
  const web = existsSync(path.join(ROOT, 'services', 'web', 'Dockerfile'))
    ? parseDockerfile(read('services/web/Dockerfile'))
    : undefined;

  test('every workspace under services/ is either a Node service of the root Dockerfile or has its own', () => {
    expect(workspaces.filter(ownImage)).toEqual(['web']);
  });

  test('builds with the locked dependencies, then serves the files with Debian’s nginx as a numeric non-root user, with no configuration inside', () => {
    const stages = web?.stages ?? [];
    const [build, runtime] = stages;
    expect(stages).toHaveLength(2);
    expect(build?.base).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim$/);
    expect(runtime?.base).toMatch(/^debian:12\.\d+-slim$/);
    // The edge image's base: one nginx, one set of security updates.
    expect(read('edge/Dockerfile')).toContain(`FROM ${runtime?.base ?? 'missing'}`);
    for (const stage of stages) {
      expect(stage.instructions[0]?.comments.join(' ')).toMatch(
        new RegExp(`${escapeRegExp(stage.base)}@sha256:[0-9a-f]{64}`),
      );
    }
    const buildRuns = (build?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(buildRuns.some((run) => /turbo@[\d.]+ prune @tracking\/web --docker/.test(run))).toBe(true);
    expect(buildRuns.some((run) => /npm ci --ignore-scripts/.test(run))).toBe(true);
    expect(buildRuns.some((run) => /\bnpm (install|i|add)\b/.test(run))).toBe(false);
    const runtimeArgs = (runtime?.instructions ?? []).map((i) => `${i.keyword} ${i.args}`);
    expect(runtimeArgs).toContain('COPY --from=build /app/services/web/dist/ /srv/web/');
    expect(runtimeArgs).toContain('USER 65532:65532');
    expect(runtimeArgs.filter((line) => /^COPY (?!--from=build )/.test(line))).toEqual([]);
    // The chart's web component serves /srv/web with the nginx.conf it mounts.
    const values = parse(read('charts/tracking/values.yaml')) as {
      components: { web: { image: { repository: string }; staticSite: { root: string; configDir: string } } };
    };
    expect(values.components.web.staticSite.root).toBe('/srv/web');
    expect(runtimeArgs).toContain(`CMD ["-c", "${values.components.web.staticSite.configDir}/nginx.conf"]`);
  });
});

describe('the build context (.dockerignore)', () => {
  test('leaves out local state, installed dependencies and version control', () => {
    for (const file of ['.local/secrets/pg-superuser', 'node_modules/zod/package.json', '.git/HEAD']) {
      expect({ file, ignored: dockerIgnored(ignorePatterns, file) }).toEqual({ file, ignored: true });
    }
    for (const file of [
      'services/auth/node_modules/x/index.js',
      'services/auth/src/generated/prisma/client.ts',
    ]) {
      expect({ file, ignored: dockerIgnored(ignorePatterns, file) }).toEqual({ file, ignored: true });
    }
  });

  test('keeps every file the Dockerfile copies from the context, and every service’s sources', () => {
    const copied = all
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))
      .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1))
      .filter((source) => source !== '.');
    expect(copied.length).toBeGreaterThan(0);
    const needed = [
      ...copied,
      'package.json',
      'package-lock.json',
      'turbo.json',
      'packages/kit/src/index.ts',
      'packages/contracts/src/index.ts',
      'packages/kit/migrations/001.do.outbox.sql',
      'packages/proto/src/gen/tracking/auth/v1/auth.ts',
      ...services.flatMap((service) => [
        `services/${service}/package.json`,
        `services/${service}/src/main.ts`,
      ]),
    ];
    for (const file of needed) {
      expect({ file, exists: existsSync(path.join(ROOT, file)) }).toEqual({ file, exists: true });
      expect({ file, ignored: dockerIgnored(ignorePatterns, file) }).toEqual({ file, ignored: false });
    }
  });
});

describe('skaffold.yaml', () => {
  interface Artifact {
    image: string;
    context?: string;
    docker?: { dockerfile?: string; buildArgs?: Record<string, string> };
  }
  interface Release {
    chartPath: string;
    valuesFiles?: string[];
    setValueTemplates?: Record<string, string>;
  }
  const config = parse(read('skaffold.yaml')) as {
    build: { artifacts: Artifact[] };
    deploy: { helm: { releases: Release[] } };
  };
  const sanitize = (image: string) => image.replace(/[./:-]/g, '_');

  test('builds one image per service from the root Dockerfile', () => {
    const artifacts = config.build.artifacts.filter(
      (artifact) => artifact.context === '.' && artifact.docker?.dockerfile === 'Dockerfile',
    );
    expect(artifacts.map((artifact) => artifact.docker?.buildArgs?.SERVICE).sort()).toEqual(services);
    for (const artifact of artifacts) {
      expect(artifact).toMatchObject({
        image: `tracking/${artifact.docker?.buildArgs?.SERVICE ?? ''}`,
        context: '.',
      });
    }
  });

  test("builds the web app's image from its own Dockerfile, with the repository as its context", () => {
    expect(config.build.artifacts).toContainEqual({
      image: 'tracking/web',
      context: '.',
      docker: { dockerfile: 'services/web/Dockerfile' },
    });
  });

  test('hands each built image to its chart component', () => {
    const [release] = config.deploy.helm.releases;
    expect(release).toMatchObject({
      chartPath: 'charts/tracking',
      valuesFiles: ['charts/tracking/values-dev.yaml'],
    });
    for (const service of workspaces) {
      const variable = sanitize(`tracking/${service}`);
      expect(release?.setValueTemplates).toMatchObject({
        [`components.${service}.image.repository`]: `{{.IMAGE_REPO_NO_DOMAIN_${variable}}}`,
        [`components.${service}.image.tag`]: `{{.IMAGE_TAG_${variable}}}`,
      });
    }
  });
});
