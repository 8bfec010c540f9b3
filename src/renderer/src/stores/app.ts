import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { AppMode } from '../../../shared/bridge.ts';

export const useAppStore = defineStore('app', () => {
  const mode = computed<AppMode>(() => window.playground?.mode ?? 'browser');
  const version = computed(() => window.playground?.version ?? 'browser mode');
  return { mode, version };
});
