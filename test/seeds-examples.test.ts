import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, Sequential, createRuntime, type Runtime } from '../src/index';
import { C2F, HOUSE, NET222_EXPECTED, train222 } from '../examples/seeds';

for (const backend of ['webgpu', 'cpu'] as const) {
  describe(`seeds' worked examples on ${backend}`, () => {
    let rt: Runtime;
    beforeAll(async () => {
      rt = await createRuntime({ backend });
    });
    afterAll(() => rt.dispose());

    for (const [key, variant] of [['sigmoid1000', 'sigmoid'], ['sigmoid100000', 'sigmoid'], ['softmax100000', 'softmax']] as const) {
      it(`2-2-2 ${key} prints the seeds' digits`, async () => {
        const want = NET222_EXPECTED[key];
        const r = await train222(rt, variant, want.epochs);
        expect(r.y).toEqual(want.y);
        expect(r.lines).toEqual(want.lines);
        expect(r.lastEpoch).toBe(want.epochs - 1);
      });
    }

    it('2-2-2 sigmoid1000 on the general per-op path prints the same digits as the fused kernel', async () => {
      const want = NET222_EXPECTED.sigmoid1000;
      const fused = await train222(rt, 'sigmoid', want.epochs);
      const general = await train222(rt, 'sigmoid', want.epochs, undefined, 'general');
      expect(general.y).toEqual(want.y);
      expect(general.lines).toEqual(want.lines);
      expect(general.lastEpoch).toBe(want.epochs - 1);
      expect(general.history.loss).toEqual(fused.history.loss);
    });

    it('2-2-2 ReLU + linear on the general path: E < 1e-7 fires at epoch 665 too', async () => {
      const stop = await train222(rt, 'linear', 2000, 1e-7, 'general');
      expect(stop.lastEpoch).toBe(665);
      expect(stop.history.stopped).toEqual({ epoch: 665, reason: 'stopWhenLossBelow' });
      const fused = await train222(rt, 'linear', 2000, 1e-7);
      expect(stop.lines).toEqual(fused.lines);
      expect(stop.y).toEqual(fused.y);
    });

    it('2-2-2 ReLU + linear: epoch 599 line, and E < 1e-7 fires at epoch 665', async () => {
      const r600 = await train222(rt, 'linear', 600);
      expect(r600.y).toEqual(NET222_EXPECTED.linear600.y);
      expect(r600.lines[0]).toEqual(NET222_EXPECTED.linear600.lines[0]);
      const stop = await train222(rt, 'linear', 100000, 1e-7);
      expect(stop.lastEpoch).toBe(665);
      expect(stop.lastLoss).toBeLessThan(1e-7);
      expect(stop.lastLoss).toBeCloseTo(9.9e-8, 8);
      expect(stop.history.stopped).toEqual({ epoch: 665, reason: 'stopWhenLossBelow' });
    });

    it('house classifier: net inputs, sigmoid outputs, hidden ReLU and the BCE by hand', async () => {
      const lin = new Sequential([Input({ shape: [2] }), Dense({ units: 1 })], { runtime: rt });
      lin.setWeights([HOUSE.w, HOUSE.b]);
      const sig = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
      sig.setWeights([HOUSE.w, HOUSE.b]);
      const z = await (await lin.predict(HOUSE.x)).read();
      const y = await (await sig.predict(HOUSE.x)).read();
      // The seeds print float64 spreadsheet values of float32 weights: agree to float32 precision.
      HOUSE.netInputs.forEach((v, i) => expect(Math.abs(z[i] - v)).toBeLessThan(3e-8));
      HOUSE.outputs.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThan(4e-8));
      const h = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'relu' }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
      h.setWeights([HOUSE.hidden.w, HOUSE.hidden.b, HOUSE.hidden.w2, HOUSE.hidden.b2]);
      h.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
      const yh = await (await h.predict(HOUSE.x)).read();
      const bce = -Array.from(yh).reduce((s, p, i) => s + HOUSE.y[i] * Math.log(p) + (1 - HOUSE.y[i]) * Math.log(1 - p), 0) / yh.length;
      expect(bce).toBeCloseTo(HOUSE.bce, 6);
      expect((await h.evaluate(HOUSE.x, HOUSE.y)) as number).toBeCloseTo(HOUSE.bce, 5);
      expect(h.summary(false)).toMatch(/Total params: 5/);
    });

    it('Celsius to Fahrenheit neuron', async () => {
      if (!rt.activations.custom.has('c2f')) {
        await rt.defineActivation('c2f', {
          wgsl: { forward: 'max(32.0, x)', backward: 'select(0.0, dy, x > 32.0)' },
          cpu: { forward: (x) => Math.max(32, x), backward: (x, _y, dy) => (x > 32 ? dy : 0) },
        });
      }
      const m = new Sequential([Input({ shape: [1] }), Dense({ units: 1, activation: 'c2f' as string })], { runtime: rt });
      m.setWeights([[[9 / 5]], [32]]);
      const f = Array.from(await (await m.predict(C2F.celsius)).read());
      expect(f.map((v) => v.toFixed(1))).toEqual(C2F.fahrenheit.map((v) => v.toFixed(1)));
    });

    it('linear regression y = 2x predicts about [7, 10, 11, 12]', async () => {
      const m = new Sequential([Input({ shape: [1] }), Dense({ units: 1, kernelInitializer: { name: 'glorotUniform', config: { seed: 3 } } })], { runtime: rt });
      m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
      const h = await m.fit([1, 2, 3, 4], [2, 4, 6, 8], { epochs: 500, seed: 1 });
      expect(h.history.mae.length).toBe(500);
      const p = Array.from(await (await m.predict([3.5, 5, 5.5, 6])).read());
      [7, 10, 11, 12].forEach((v, i) => expect(Math.abs(p[i] - v)).toBeLessThan(0.3));
    });
  });
}
