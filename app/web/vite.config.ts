import { writeFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vitest/config';

// The build replaces dist/, but dist/.gitkeep must stay: the Go package
// embeds dist/ and a fresh checkout has to compile before any npm build.
function keepGitkeep(): Plugin {
  return {
    name: 'keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(new URL('./dist/.gitkeep', import.meta.url), '');
    },
  };
}

// `npm run dev` proxies the API to a running `make run` (or API=...).
const api = process.env.API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/openapi.yaml': api,
      '/docs': api,
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
