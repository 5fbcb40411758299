import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The production build is plain static files in dist/: index.html plus content-hashed assets
 * under dist/assets/, which the edge serves with long immutable cache headers (index.html gets
 * no-store). Nothing is inlined into index.html, because the CSP allows script-src 'self'
 * only; small assets stay files too (no data: URLs for fonts or scripts).
 */
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev -w @tracking/web`: the API of `npm run up`, as the edge would forward it.
    proxy: {
      '/api/': { target: 'http://127.0.0.1:8080', headers: { 'x-forwarded-proto': 'https' } },
    },
  },
});
