import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * The demo pages (demo/*.html): `npm run demo` serves them, `npm run build` writes the static
 * site to demo-dist/ (next to the library in dist/), `npm run preview` serves that build.
 */
const root = resolve(import.meta.dirname, 'demo');

export const PAGES = {
  index: 'Home',
  activations: 'Activations',
  softmax: 'Softmax and loss',
  neuron: 'Neuron',
  training: 'Training',
} as const;

/** Puts the one shared nav (demo/partials/nav.html) into every page, marking the current one. */
function sharedNav(): Plugin {
  return {
    name: 'webgpu-nn-demo-nav',
    transformIndexHtml(html, ctx) {
      const page = ctx.filename ? ctx.filename.split(/[\\/]/).pop()!.replace(/\.html$/, '') : 'index';
      const links = Object.entries(PAGES)
        .map(([id, title]) => {
          const current = id === page ? ' aria-current="page"' : '';
          return `<li><a href="./${id === 'index' ? '' : `${id}.html`}"${current}>${title}</a></li>`;
        })
        .join('');
      const nav = readFileSync(resolve(root, 'partials/nav.html'), 'utf8').replace('<!--links-->', links);
      return html.replace('<!--nav-->', nav);
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [sharedNav()],
  // The shaders live outside demo/; Vite may serve them in dev.
  server: { fs: { allow: [import.meta.dirname] }, host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: resolve(import.meta.dirname, 'demo-dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: Object.fromEntries(Object.keys(PAGES).map((id) => [id, resolve(root, `${id}.html`)])),
    },
  },
});
