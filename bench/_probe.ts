import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
(globalThis as any).navigator = { gpu };
const { createRuntime } = await import('../src/index');
const rt = await createRuntime({ gpu });
console.log(rt.adapterInfo, rt.device!.features.has('timestamp-query'));
const d = rt.device!;
const n = 16 * 2 ** 20;
const a = d.createBuffer({ size: n * 4, usage: 0x80 | 0x4 | 0x8 });
const b = d.createBuffer({ size: n * 4, usage: 0x80 | 0x4 | 0x8 });
const qs = d.createQuerySet({ type: 'timestamp', count: 4 });
const qb = d.createBuffer({ size: 32, usage: 0x200 | 0x4 });
const rb = d.createBuffer({ size: 32, usage: 0x1 | 0x8 });
for (let k = 0; k < 3; k++) {
  const e = d.createCommandEncoder();
  e.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }).end();
  e.copyBufferToBuffer(a, 0, b, 0, n * 4);
  e.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2, endOfPassWriteIndex: 3 } }).end();
  e.resolveQuerySet(qs, 0, 4, qb, 0);
  e.copyBufferToBuffer(qb, 0, rb, 0, 32);
  const t0 = performance.now();
  d.queue.submit([e.finish()]);
  await rb.mapAsync(1);
  const t = new BigInt64Array(rb.getMappedRange().slice(0));
  rb.unmap();
  console.log('wall', performance.now() - t0, 'ts', [...t].map((v) => Number(v - t[0]) / 1e6));
}
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
console.log(await tf.setBackend('webgpu'), tf.getBackend());
const x = tf.randomNormal([n]);
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  const info = await tf.time(() => tf.sigmoid(x));
  console.log('tfjs sigmoid', performance.now() - t0, info.kernelMs, info.wallMs);
}
const be: any = tf.backend();
console.log(Object.keys(be), typeof be.submitQueue);
rt.dispose();
process.exit(0);
