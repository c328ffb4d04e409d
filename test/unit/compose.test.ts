/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked statically:
 * it parses, every service's command resolves to files in the repository, its ports and
 * each service's environment agree with dev/stack/stack-env.ts (the wiring `npm start` uses),
 * and no credential has a default value.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../../dev/repo-root.ts';
import { computeStackEnv, DEFAULT_PORTS, generateSecrets, PORT_ENV, STATE_TABLE } from '../../dev/stack/stack-env.ts';
import { composeEnvLines } from '../../infra/compose/fake-env.ts';

// js-yaml (a dependency of osls) ships no types; only load() is used.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Service {
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown;
}
interface Compose {
  services: Record<string, Service>;
  'x-stack-ports': Record<string, number>;
}

const compose = yaml.load(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
const stack = computeStackEnv(DEFAULT_PORTS, generateSecrets());

/** `${NAME:-default}` -> {name, default}; `${NAME:?message}` -> {name, required}. */
function interpolation(value: string): { name: string; fallback?: string; required: boolean } | undefined {
  const m = /^\$\{([A-Z0-9_]+)(?::-(.*)|:\?(.*))\}$/.exec(value);
  return m ? { name: m[1]!, fallback: m[2], required: m[3] !== undefined } : undefined;
}

describe('docker-compose.yml', () => {
  test('has the four services of the local stack, on the host network', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['dynamodb', 'media-core', 'offline', 'sandboxes']);
    for (const [name, s] of Object.entries(compose.services)) {
      assert.equal(s.network_mode, 'host', `${name}: host networking (SIP/RTP need real addresses)`);
      assert.equal(s.ports, undefined, `${name}: published ports are meaningless with host networking`);
    }
    assert.deepEqual(Object.keys(compose.services['media-core']!.depends_on ?? {}).sort(), ['dynamodb', 'offline']);
  });

  test('every command line and build file resolves to files in the repository', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) {
        assert.equal(s.build.context, '.');
        if (name === 'media-core' && !existsSync(join(REPO_ROOT, s.build.dockerfile))) {
          // Written by the media-core helper; the path is fixed here so compose builds once it lands.
          assert.equal(s.build.dockerfile, 'media-core/Dockerfile');
          continue;
        }
        assert.ok(existsSync(join(REPO_ROOT, s.build.dockerfile)), `${name}: ${s.build.dockerfile} exists`);
      }
      if (!s.command) continue;
      const files = s.command.filter((a) => /\.(ts|js|mjs|json)$/.test(a));
      assert.ok(files.length > 0, `${name}: the command names a program file`);
      for (const f of files) assert.ok(existsSync(join(REPO_ROOT, f)), `${name}: ${f} exists`);
      assert.equal(s.command[0], 'node');
    }
    assert.ok(compose.services['media-core']!.command === undefined, 'media-core runs its image CMD');
  });

  test('ports match the defaults of dev/stack/stack-env.ts', () => {
    const expected = Object.fromEntries(Object.entries(PORT_ENV).map(([k, v]) => [v, DEFAULT_PORTS[k as keyof typeof DEFAULT_PORTS]]));
    assert.deepEqual(compose['x-stack-ports'], expected);
    const offline = compose.services.offline!.command!;
    assert.equal(interpolation(offline[offline.indexOf('--httpPort') + 1]!)?.fallback, String(DEFAULT_PORTS.http));
    assert.equal(interpolation(offline[offline.indexOf('--lambdaPort') + 1]!)?.fallback, String(DEFAULT_PORTS.lambda));
    assert.equal(offline[offline.indexOf('--host') + 1], '127.0.0.1');
    assert.equal(interpolation(compose.services.dynamodb!.environment!.DYNAMODB_PORT!)?.fallback, String(DEFAULT_PORTS.dynamodb));
    for (const [service, variable] of [['sandboxes', 'SANDBOX_PORT'], ['media-core', 'SIP_PORT'], ['media-core', 'RTP_PORT_MIN'], ['media-core', 'RTP_PORT_MAX'], ['offline', 'HTTP_PORT'], ['offline', 'LAMBDA_PORT']] as const) {
      assert.equal(interpolation(compose.services[service]!.environment![variable]!)?.fallback, String(expected[variable]), `${service} ${variable}`);
    }
  });

  test('each service gets exactly the environment npm start gives that component', () => {
    const pairs = [['offline', stack.offline], ['sandboxes', stack.sandboxes], ['media-core', stack.mediaCore]] as const;
    for (const [service, env] of pairs) {
      const composeEnv = compose.services[service]!.environment!;
      assert.deepEqual(Object.keys(composeEnv).sort(), Object.keys(env).sort(), service);
      for (const [k, v] of Object.entries(composeEnv)) {
        const i = interpolation(v);
        assert.ok(i && i.name === k, `${service} ${k}: set from the variable of the same name`);
        if (i.required) continue;
        // Defaults are the values npm start computes for the default ports (never a credential).
        assert.equal(i.fallback, env[k], `${service} ${k} default`);
      }
    }
    assert.equal(interpolation(compose.services.dynamodb!.environment!.STATE_TABLE!)?.fallback, STATE_TABLE);
  });

  test('no credential has a default; fake-env.ts provides every required variable', () => {
    const required = new Set<string>();
    for (const [service, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        const i = interpolation(v);
        if (/SECRET|TOKEN|ACCESS_KEY_ID|CLIENT_ID|ACCOUNT_SID/.test(k)) assert.ok(i?.required, `${service} ${k} must have no default`);
        if (i?.required) required.add(k);
      }
    }
    const lines = composeEnvLines({});
    const provided = new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const k of required) assert.ok(provided.get(k), `fake-env.ts provides ${k}`);
    // Both sides get the same fake values.
    assert.equal(provided.get('TWILIO_AUTH_TOKEN'), provided.get('SANDBOX_TWILIO_AUTH_TOKEN'));
    assert.equal(provided.get('CXONE_ACCESS_KEY_SECRET'), provided.get('SANDBOX_CXONE_ACCESS_KEY_SECRET'));
    assert.notEqual(composeEnvLines({}).find((l) => l.startsWith('TWILIO_AUTH_TOKEN=')), lines.find((l) => l.startsWith('TWILIO_AUTH_TOKEN=')), 'fresh per run');
    assert.ok(composeEnvLines({ HTTP_PORT: '3100' }).includes('PUBLIC_BASE_URL=http://127.0.0.1:3100'));
  });
});
