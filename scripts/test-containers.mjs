// Runs the container suite when a Docker engine answers, and says so loudly when none does.
// `npm test` calls this last; `.ci/run` starts a local engine first (docker/ci-engine.sh).
import { spawnSync } from 'node:child_process';

const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
  encoding: 'utf8',
  timeout: 20_000,
});
if (probe.status !== 0) {
  const bar = '!'.repeat(78);
  process.stderr.write(
    [
      '',
      bar,
      '!!! CONTAINER SUITE SKIPPED: no Docker engine is reachable (`docker info` failed).',
      '!!! The image, compose and testcontainers checks in test/containers did NOT run.',
      '!!! On a machine without Docker, start a local engine with: bash docker/ci-engine.sh start',
      '!!! then run: npm run test:containers',
      bar,
      '',
    ].join('\n'),
  );
  process.exit(process.env.REQUIRE_CONTAINER_TESTS === 'true' ? 1 : 0);
}
process.stderr.write(`Docker engine ${probe.stdout.trim()} found: running the container suite\n`);
const run = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.containers.config.ts'], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
