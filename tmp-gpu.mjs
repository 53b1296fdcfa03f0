// dev harness: node tmp-gpu.mjs  -- exports run(wgslBody, inputs) via import
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
globalThis.__gpu = create([]);
let device;
export async function init() {
  if (device) return device;
  const adapter = await globalThis.__gpu.requestAdapter();
  device = await adapter.requestDevice();
  return device;
}
// src: WGSL containing fn kern(x: f32, dy: f32) -> f32 ; constants: overrides
export async function runKernel(src, xs, dys, constants = {}) {
  const d = await init();
  const code = src + `
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= arrayLength(&Y)) { return; }
  Y[i] = kern(X[i], DY[i]);
}`;
  d.pushErrorScope('validation');
  const module = d.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  for (const m of info.messages) console.error(m.type, m.lineNum + ':' + m.linePos, m.message, '|', code.split('\n')[m.lineNum - 1]);
  const pipe = d.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main', constants } });
  const err = await d.popErrorScope();
  if (err) throw new Error(err.message);
  const n = xs.length;
  const mk = (arr, usage) => { const b = d.createBuffer({ size: Math.max(4, n * 4), usage }); if (arr) d.queue.writeBuffer(b, 0, new Float32Array(arr)); return b; };
  const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const bx = mk(xs, S), bd = mk(dys, S), by = mk(null, S);
  const rb = d.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bg = d.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [bx, bd, by].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const enc = d.createCommandEncoder();
  const p = enc.beginComputePass(); p.setPipeline(pipe); p.setBindGroup(0, bg);
  const wg = Math.ceil(n / 256); const gx = Math.min(wg, 65535); p.dispatchWorkgroups(gx, Math.ceil(wg / gx)); p.end();
  enc.copyBufferToBuffer(by, 0, rb, 0, n * 4);
  d.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  rb.unmap(); [bx, bd, by, rb].forEach(b => b.destroy());
  return out;
}
