/**
 * WGSL sources, imported as text (Vite `?raw`). A kernel file may call functions from the
 * library files it lists; the module compiled is the library files followed by the kernel,
 * and compiler messages are mapped back to `shaders/<file>:line:col`.
 */
import mathLib from '../../shaders/lib/math.wgsl?raw';
import activationsLib from '../../shaders/lib/activations.wgsl?raw';
import customActivationLib from '../../shaders/lib/custom_activation.wgsl?raw';
import idsLib from '../../shaders/lib/ids.wgsl?raw';
import lossTermsLib from '../../shaders/lib/loss_terms.wgsl?raw';
import lossesLib from '../../shaders/lib/losses.wgsl?raw';
import optimizersLib from '../../shaders/lib/optimizers.wgsl?raw';

export interface ShaderFile {
  readonly file: string;
  readonly code: string;
}

export const MATH_LIB: ShaderFile = { file: 'lib/math.wgsl', code: mathLib };
export const ACTIVATIONS_LIB: ShaderFile = { file: 'lib/activations.wgsl', code: activationsLib };
/** Generated named ids (src/gpu/ids.ts): activation codes and loss / metric value ids. */
export const IDS_LIB: ShaderFile = { file: 'lib/ids.wgsl', code: idsLib };
export const LOSS_TERMS_LIB: ShaderFile = { file: 'lib/loss_terms.wgsl', code: lossTermsLib };
export const LOSSES_LIB: ShaderFile = { file: 'lib/losses.wgsl', code: lossesLib };
export const OPTIMIZERS_LIB: ShaderFile = { file: 'lib/optimizers.wgsl', code: optimizersLib };
export const CUSTOM_ACTIVATION_STUB: ShaderFile = { file: 'lib/custom_activation.wgsl', code: customActivationLib };

export interface ComposedShader {
  readonly key: string;
  readonly code: string;
  /** Maps a line of `code` (1-based) back to its file and line. */
  locate(line: number): { file: string; line: number };
}

export function composeShader(parts: readonly ShaderFile[]): ComposedShader {
  const starts: { file: string; start: number; lines: number }[] = [];
  let line = 1;
  const chunks: string[] = [];
  for (const p of parts) {
    const text = p.code.endsWith('\n') ? p.code : p.code + '\n';
    const lines = text.split('\n').length - 1;
    starts.push({ file: p.file, start: line, lines });
    chunks.push(text);
    line += lines;
  }
  const code = chunks.join('');
  return {
    key: parts.map((p) => p.file).join('+') + ':' + hash(code),
    code,
    locate(l: number) {
      for (const s of starts) {
        if (l >= s.start && l < s.start + s.lines) return { file: s.file, line: l - s.start + 1 };
      }
      return { file: parts[parts.length - 1]?.file ?? '?', line: l };
    },
  };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16);
}
