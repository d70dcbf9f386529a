/**
 * Preloaded into a measured process (`node --import dist/bench/rusage-report.js dist/cli.js …`):
 * when the process exits it writes its own peak RSS and CPU (user + system) as JSON to the file
 * named by BENCH_RUSAGE_FILE, and the bytes it handed to write(2) and its kin (Linux's
 * /proc/self/io `wchar`, files and sockets alike: SQLite's WAL and the checkpoint at close, the
 * rate budget's database, the requests, its output; null where there is no such file). Loads nothing but node:fs, so the process measured is the CLI's own.
 */
import { readFileSync, writeFileSync } from 'node:fs';

// `maxRSS` is in kibibytes (getrusage's ru_maxrss on Linux), so `peakRssMb` here and in every
// benchmark is maxRSS / 1024: mebibytes (MiB), which the tables label as such. The issue's
// 128 MiB goal is 134 MB; compare these figures with 128.

const file = process.env.BENCH_RUSAGE_FILE;
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    let writtenBytes: number | null = null;
    try {
      const match = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
      if (match) writtenBytes = Number(match[1]);
    } catch {
      // Not Linux: the figure is left out.
    }
    writeFileSync(
      file,
      JSON.stringify({
        peakRssMb: usage.maxRSS / 1024,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        writtenBytes,
      }),
    );
  });
}
