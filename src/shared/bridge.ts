// What the window may ask of the app. It grows one typed method per operation as the live cluster
// arrives; the preload exposes exactly this, and browser mode will serve the same over WebSocket.

export type AppMode = 'electron' | 'browser';

export interface PlaygroundBridge {
  readonly mode: AppMode;
  readonly version: string;
}

declare global {
  interface Window {
    /** Present in the Electron window; absent in browser mode. */
    playground?: PlaygroundBridge;
  }
}
