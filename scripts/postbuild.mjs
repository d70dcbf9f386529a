// Makes the CLI entry point executable after tsc, so `npm ci` leaves a runnable `roster-watch`.
import { chmodSync, existsSync } from 'node:fs';

if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
