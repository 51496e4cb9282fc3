// Vite 8 build of the benchmark page, as a server-side app uses Vite: the
// JS entry is the input, files are served under /static/, and
// dist/vite/.vite/manifest.json tells the server which files it needs.
// Every path is relative to this directory, so the same config builds a copy.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/",
  input: ["src/main.ts"],
  build: {
    outDir: "dist/vite",
    emptyOutDir: true,
    manifest: true,
    // The entry chunk (CodeMirror's core and the app) is ~510 kB minified,
    // over Vite's default 500 kB warning: expected here.
    chunkSizeWarningLimit: 1024,
  },
});
