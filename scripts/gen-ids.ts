// Writes shaders/lib/ids.wgsl from the semantics tables (see src/gpu/ids.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { idsWgsl } from '../src/gpu/ids';

const out = fileURLToPath(new URL('../shaders/lib/ids.wgsl', import.meta.url));
writeFileSync(out, idsWgsl());
console.log(`wrote ${out}`);
