import { el, rendered, showWhere, startPage } from './common';

const { rt, backend } = await startPage('index');
const info = document.getElementById('adapter-info')!;
const a = rt.adapterInfo;
const rows: [string, string][] = [
  ['Backend', backend === 'webgpu' ? 'WebGPU' : 'CPU path'],
  ['Adapter', a ? [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed' : '—'],
  ['Feature level', a ? a.featureLevel : '—'],
  ['Features', a ? String(a.features.length) : '—'],
];
for (const [k, v] of rows) info.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v })));
showWhere('nothing yet: each page says what it computed and how long it took', null, null);
rendered();
