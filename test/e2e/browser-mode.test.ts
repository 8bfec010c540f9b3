// Browser mode in a real Chromium: the same window the desktop app shows, served on 127.0.0.1
// behind a token.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(`browser mode${hasChromium ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install chromium)`}`, () => {
  let server: ChildProcess;
  let url = '';
  let browser: Browser;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    server = spawn(process.execPath, [join(root, 'build', 'start.mjs'), '--web'], { cwd: root });
    url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(seen);
        if (match) resolve(match[1] as string);
      });
      server.on('exit', (code) => reject(new Error(`web server exited with ${code}: ${seen}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  it('shows the window in browser mode', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Consensus Playground' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('.mode').textContent()).toBe('Browser mode');
    expect(await page.title()).toBe('Consensus Playground');
    await page.close();
  });

  it('refuses requests without the token, or from another origin or host', async () => {
    const base = url.slice(0, url.indexOf('?'));
    expect((await fetch(base)).status).toBe(403);
    expect((await fetch(`${base}?token=wrong`)).status).toBe(403);
    expect((await fetch(url, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(url)).status).toBe(200);
  });
});
