/** What `fit` returns: per-epoch logs, as in Keras/TensorFlow.js (`history.history.loss`). */
export type Logs = Record<string, number>;

export class History {
  /** Epoch indices (0-based) that ran. */
  readonly epoch: number[] = [];
  /** Per-epoch values by name: loss, each metric, val_loss, val_<metric>. */
  readonly history: Record<string, number[]> = {};
  /** Set when training stopped early: the last epoch that ran and why. */
  stopped: { epoch: number; reason: 'stopWhenLossBelow' | 'callback' } | null = null;
  /** With `keepLastOutputs`: each row's outputs [N * K] from the forward pass of the last epoch run (before its update). */
  lastOutputs: Float32Array | null = null;
  [name: string]: unknown;

  /** @internal */
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      (this.history[k] ??= []).push(v);
      if (!(k in this)) (this as Record<string, unknown>)[k] = this.history[k];
    }
  }

  get loss(): number[] {
    return this.history.loss ?? [];
  }
}
