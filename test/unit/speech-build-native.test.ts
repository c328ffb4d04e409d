/**
 * scripts/build-native.ts's policy: a compiler that runs and fails always fails the build;
 * no compiler is a skip on a developer machine but a failure in CI (CI set) or with
 * NATIVE_REQUIRED=1, so CI never passes without the native pacer and decoder helper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const run = (env: Record<string, string>) => {
  const base = { ...process.env };
  delete base.CI;
  delete base.NATIVE_REQUIRED;
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-native.ts'], { env: { ...base, FORCE: '1', ...env }, encoding: 'utf8', timeout: 60_000 });
};

test('a failing compiler fails the build', { skip: process.platform !== 'linux' }, () => {
  const r = run({ CC: 'false' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /false failed/);
});

test('no compiler: skipped locally, a failure in CI or with NATIVE_REQUIRED=1', { skip: process.platform !== 'linux' }, () => {
  const cc = '/nonexistent/cc';
  const local = run({ CC: cc });
  assert.equal(local.status, 0, local.stdout + local.stderr);
  assert.match(local.stdout, /not runnable/);
  assert.equal(run({ CC: cc, CI: 'true' }).status, 1);
  assert.equal(run({ CC: cc, NATIVE_REQUIRED: '1' }).status, 1);
});
