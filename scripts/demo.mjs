/* global process, console, URL */
// `npm run demo` (after `npm ci && npm run build`): replays examples/demo into a fresh embedded
// trace store and serves the viewer until Ctrl-C. DEMO_UI=HOST:PORT picks the address.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/src/ui/demo.js', import.meta.url);
if (!existsSync(built)) {
  console.error('kubestitch demo: dist/ is missing; run `npm ci && npm run build` first');
  process.exit(1);
}
const { startDemo } = await import(built.href);
const demo = await startDemo({
  demoDir: fileURLToPath(new URL('../examples/demo/', import.meta.url)),
  ...(process.env.DEMO_UI ? { addr: process.env.DEMO_UI } : {}),
  log: (line) => console.error(line),
}).catch((err) => {
  console.error(`kubestitch demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
console.log(`\nkubestitch viewer: ${demo.url}`);
if (demo.rolloutUrl) console.log(`rollout of Deployment shop/web: ${demo.rolloutUrl}`);
console.log('(Ctrl-C to stop)');
const stop = async (signal) => {
  console.error(`\nkubestitch demo: ${signal}, stopping`);
  await demo.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
