// The window's only way out: exactly the PlaygroundBridge interface, one method per operation, each
// a message to the main process, which validates it. Nothing of Electron or Node leaks through.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, type PlaygroundApi, type PlaygroundBridge, type UpdateBatch } from '../shared/bridge.ts';
// Inlined by the build: an app started by its icon has no npm environment to read a version from.
import { version } from '../../package.json';

const api = Object.fromEntries(API_METHODS.map((method) => [method, (...args: unknown[]) => ipcRenderer.invoke('playground:call', method, args)])) as unknown as PlaygroundApi;

const bridge: PlaygroundBridge = {
  ...api,
  mode: 'electron',
  version,
  onUpdate(listener: (batch: UpdateBatch) => void): () => void {
    const handler = (_event: IpcRendererEvent, batch: UpdateBatch): void => listener(batch);
    ipcRenderer.on('playground:update', handler);
    return () => ipcRenderer.off('playground:update', handler);
  },
};

contextBridge.exposeInMainWorld('playground', bridge);
