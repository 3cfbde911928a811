// tsc compiles only TypeScript; the vendored OTLP .proto files the receiver loads at run time and
// the viewer's HTML/CSS/JS (served as-is, no build step) must sit next to the compiled code in dist/.
import { cpSync } from 'node:fs';

cpSync('src/sources/otlp/proto', 'dist/src/sources/otlp/proto', { recursive: true });
cpSync('src/ui/assets', 'dist/src/ui/assets', { recursive: true });
