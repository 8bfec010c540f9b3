import { contextBridge } from 'electron';
import type { PlaygroundBridge } from '../shared/bridge.ts';

const bridge: PlaygroundBridge = {
  mode: 'electron',
  version: process.env.npm_package_version ?? '0.1.0',
};

contextBridge.exposeInMainWorld('playground', bridge);
