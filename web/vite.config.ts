/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dev server (npm run dev, port 5173) sends the API, the sockets, the payment sandbox and
// the posters to a running `make run` (TIKETI_API_URL to point elsewhere).
const backend = process.env.TIKETI_API_URL ?? "http://127.0.0.1:3001";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      "/api": backend,
      "/sandbox": backend,
      "/media": backend,
      "/socket.io": { target: backend, ws: true },
    },
  },
  build: {
    // Each organizer/staff page is its own chunk (React.lazy); recharts goes with the dashboard.
    chunkSizeWarningLimit: 600,
  },
  worker: { format: "es" },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
