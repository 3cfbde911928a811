/** Entry of `npm run simulate` (tools/sim/simulate-command.ts); not part of the shipped package. */
import { simulateMain } from './sim/simulate-command.js';

process.exitCode = await simulateMain(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
