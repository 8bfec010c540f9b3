// The desktop shell itself. Electron's binary is downloaded lazily and cannot be fetched on every
// machine; where it is missing this spec says so and skips, and browser mode covers the window.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { _electron as electron } from 'playwright-core';
import { findElectronBinary } from '../../build/electron-binary.mjs';

const root = join(import.meta.dirname, '..', '..');
const binary = findElectronBinary(root);

describe.skipIf(binary.path === null)(`electron app${binary.path === null ? ` (skipped: ${binary.reason})` : ''}`, () => {
  it('opens the window', async () => {
    const app = await electron.launch({ executablePath: binary.path as string, args: [root] });
    const window = await app.firstWindow();
    expect(await window.title()).toBe('Consensus Playground');
    await app.close();
  }, 120_000);
});
