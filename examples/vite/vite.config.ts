// Vite's dev server with a chat room beside HMR: `npx vite examples/vite`, open the page in two tabs.
import { universalApi } from 'roomcast/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [
    universalApi({
      endpointPrefix: '/api',
      enableWs: true,
      // A module path, not the objects: edit chat.ts and its clients reconnect to the new code.
      wsHandlers: ['./chat.ts'],
    }),
  ],
})
