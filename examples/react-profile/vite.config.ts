import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Port 5173 is in the API's default CORS_ALLOWED_ORIGINS.
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
