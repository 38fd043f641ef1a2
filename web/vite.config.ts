// Vite builds the app into web/dist, which demine-server embeds (cargo feature `web`).
// The small plugin below writes the service worker (public/sw.template.js) with the list of
// files of this build, so the worker precaches exactly the app shell of this version.
import { defineConfig, type Plugin } from 'vite';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

function serviceWorker(): Plugin {
  return {
    name: 'demine-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => !f.endsWith('.map'));
      files.push('manifest.webmanifest', 'icon.svg');
      const version = createHash('sha256').update(files.sort().join('\n')).digest('hex').slice(0, 16);
      const template = readFileSync(fileURLToPath(new URL('./src/sw.template.js', import.meta.url)), 'utf8');
      const source = template
        .replace('__VERSION__', version)
        .replace('__PRECACHE__', JSON.stringify([...new Set(['/', ...files.map((f) => '/' + f)])]));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    // One shell: the app is small next to MapLibre; no CDN, no dynamic imports from elsewhere.
    assetsInlineLimit: 0,
  },
  plugins: [serviceWorker()],
});
