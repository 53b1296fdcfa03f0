/**
 * The contract between the activation table, the WGSL activation library and the runtime.
 *
 * Every activation is selected in WGSL by the override constant `ACTIVATION` (its `id`),
 * and gets its numeric parameters packed into one `vec4<f32>` uniform (`pack`).
 */

/** User-facing parameters, e.g. `{alpha: 0.2}` or `{bipolar: true}` or `{approximate: 'tanh'}`. */
export type ActivationParams = Record<string, number | boolean | string | undefined>;

/** Packed parameters as they reach WGSL (`p: vec4<f32>`) and the CPU twin. */
export type PackedParams = readonly [number, number, number, number];

export interface ActivationSpec {
  /** Canonical camelCase name, e.g. `leakyRelu`. */
  readonly name: string;
  /** Other spellings accepted (Keras snake_case, PyTorch names), e.g. `leaky_relu`, `swish`. */
  readonly aliases: readonly string[];
  /** Value of the WGSL override constant `ACTIVATION` for this function. */
  readonly id: number;
  /** Formula, parameters with defaults, derivative and convention at kinks (for docs). */
  readonly doc: { formula: string; derivative: string; params?: string };
  /** Names of the accepted parameters (anything else is an error). */
  readonly paramNames: readonly string[];
  /**
   * Validates user parameters (unknown names, wrong types, non-finite values) and packs them
   * with defaults filled in. Throws an Error naming the activation and the bad parameter.
   */
  pack(params: ActivationParams | undefined): PackedParams;
  /** CPU reference, float64 arithmetic; the caller rounds the result to float32. */
  forward(x: number, p: PackedParams): number;
  /** dy * f'(x), float64; the caller rounds to float32. */
  backward(x: number, dy: number, p: PackedParams): number;
}

/** What `defineActivation` takes: WGSL expressions and their CPU twins. */
export interface CustomActivationDefinition {
  wgsl: {
    /** WGSL expression in `x` (f32), e.g. `max(32.0, 1.8 * x + 32.0)`. */
    forward: string;
    /** WGSL expression in `x`, `y` (= forward(x)) and `dy`, giving dy * f'(x). */
    backward: string;
  };
  cpu: {
    forward: (x: number) => number;
    backward: (x: number, y: number, dy: number) => number;
  };
  /** ULP bound used when cross-checking GPU against CPU (default 4). */
  ulp?: number;
}
