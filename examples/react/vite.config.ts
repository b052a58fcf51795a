import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The dev server runs on its own origin, not the API's: the API allows it
// with -cors-origins (reading answers) and -trusted-origins (cookie writes).
// Both on 127.0.0.1 so that they are one site and the cookie, SameSite=Lax,
// travels with fetch(..., {credentials: 'include'}).
export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
  preview: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
  build: {
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        cookie: fileURLToPath(new URL('cookie.html', import.meta.url)),
      },
    },
  },
});
