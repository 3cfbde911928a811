// Runs the CLI from source (no build needed) so tests can spawn it as a real process: kill -9,
// SIGTERM and restarts are about processes, not functions.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
