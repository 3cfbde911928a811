// Preloaded (`node --import`) into the built CLI by the bench's replay phase. At exit it writes
// the process's wall time since start, CPU time and peak RSS to the file KUBESTITCH_BENCH_REPORT
// names. Plain JavaScript, so nothing is compiled in the measured process: its peak RSS is that of
// `kubestitch replay` as a user runs it (the tsx child it replaced started at 227 MB).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const path = process.env.KUBESTITCH_BENCH_REPORT;
if (path !== undefined && path !== '') {
  process.on('exit', (code) => {
    const cpu = process.cpuUsage();
    const report = {
      code,
      seconds: performance.now() / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    writeFileSync(path, JSON.stringify(report));
  });
}
