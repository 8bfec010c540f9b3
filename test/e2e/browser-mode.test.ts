/// <reference lib="dom" />
// Browser mode in a real Chromium, driving the real runtime: worker threads, SQLite files, the
// router. The window served on 127.0.0.1 behind a token, and the bridge over its WebSocket.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AppState, ClientOutcome, LessonList } from '../../src/shared/bridge.ts';
import { openSessionFile } from '../../src/main/record/session-file.ts';

const root = join(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SHOTS = join(root, 'test-results', 'screenshots');

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Roles as the node cards say them, read the way a person reads the screen. */
function roles(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    for (const group of document.querySelectorAll('[role="group"][aria-label^="Node "]')) {
      out[(group.getAttribute('aria-label') as string).slice(5)] = group.querySelector('.role')?.textContent ?? '';
    }
    return out;
  });
}

/** The node whose card gives it this role (other than `except`): the leader, or the primary as primary-backup names it. */
async function holderOf(page: Page, role: string, except?: string, ms?: number): Promise<string> {
  return until(`a ${role}`, async () => Object.entries(await roles(page)).find(([id, r]) => r === role && id !== except)?.[0], ms);
}

const leaderOf = (page: Page, except?: string): Promise<string> => holderOf(page, 'leader', except);
const primaryOf = (page: Page, except?: string, ms?: number): Promise<string> => holderOf(page, 'primary', except, ms);

function commits(page: Page): Promise<number[]> {
  return page.evaluate(() => [...document.querySelectorAll('[role="group"][aria-label^="Node "] .facts span')].map((s) => Number(/(?:commit|chosen) (\d+)/.exec(s.textContent ?? '')?.[1] ?? -1)));
}

describe.skipIf(!hasChromium)(`browser mode${hasChromium ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install chromium)`}`, () => {
  let server: ChildProcess;
  let url = '';
  let browser: Browser;
  let page: Page;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-data-'));

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    server = spawn(process.execPath, [join(root, 'build', 'start.mjs'), '--web', '--data-dir', dataDir], { cwd: root });
    url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /Open (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(seen);
        if (match) resolve(match[1] as string);
      });
      server.on('exit', (code) => reject(new Error(`web server exited with ${code}: ${seen}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens on a live five-node cluster that elects a leader', async () => {
    // Nothing the page asks for goes unanswered, and nothing it runs throws.
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
    await page.goto(url);
    expect(await page.title()).toBe('Consensus Playground');
    expect(await page.locator('.mode').textContent()).toBe('Browser mode');
    await until('five node cards', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === 5);
    const leader = await leaderOf(page);
    const card = page.getByRole('group', { name: `Node ${leader}` });
    await expect(card.getByRole('button', { name: 'Kill' }).isVisible()).resolves.toBe(true);
    await expect(card.getByRole('button', { name: 'Pause' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SHOTS, 'cluster.png') });
    expect(problems).toEqual([]);
  });

  it('elects another leader when the leader is killed, and restarts the killed node from its file', async () => {
    const old = await leaderOf(page);
    await page.getByRole('group', { name: `Node ${old}` }).getByRole('button', { name: 'Kill' }).click();
    await until(`${old} shown down`, async () => (await roles(page))[old] === 'down');
    const next = await leaderOf(page, old);
    expect(next).not.toBe(old);
    await page.getByRole('group', { name: `Node ${old}` }).getByRole('button', { name: 'Restart' }).click();
    await until(`${old} running again`, async () => ['follower', 'candidate'].includes((await roles(page))[old] ?? ''));
  });

  it('commits on the majority side of a 2|3 partition only, and converges after the heal', async () => {
    const leader = await leaderOf(page);
    const others = Object.keys(await roles(page)).filter((id) => id !== leader);
    const minority = [leader, others[0] as string];
    const majority = others.slice(1);
    for (const id of minority) {
      const card = page.getByRole('group', { name: `Node ${id}` });
      await card.locator('summary').click();
      await card.getByLabel('Pick for partition').check();
      await card.locator('summary').click();
    }
    await page.getByRole('button', { name: 'Partition', exact: true }).click();
    await until('cut links drawn', async () => (await page.locator('.link.cut-both').count()) === 6);

    const clients = page.getByRole('region', { name: 'Clients' });
    // The old leader, cut off from the majority, cannot commit.
    await clients.getByLabel('Key', { exact: true }).fill('minority');
    await clients.getByLabel('Value', { exact: true }).fill('1');
    await clients.getByLabel('Target', { exact: true }).selectOption(leader);
    await clients.getByRole('button', { name: 'Send' }).click();
    // Meanwhile the majority elects its own leader and commits.
    // A follower answers a write with a pointer to the leader, so the write goes to whichever
    // majority node wins the election.
    const majorityLeader = await until('a leader on the majority side', async () => {
      const r = await roles(page);
      return majority.find((id) => r[id] === 'leader');
    });
    await clients.getByLabel('Key', { exact: true }).fill('majority');
    await clients.getByLabel('Value', { exact: true }).fill('2');
    await clients.getByLabel('Target', { exact: true }).selectOption(majorityLeader);
    await clients.getByRole('button', { name: 'Send' }).click();
    const results = clients.getByRole('list', { name: 'Client results' });
    await until('both answers', async () => (await results.locator('li').count()) >= 2, 30_000);
    const texts = await results.locator('li').allTextContents();
    expect(texts.find((t) => t.includes('majority'))).toMatch(/^ok/);
    // Never ok: info while the old leader still believes it leads, or a definite fail once
    // CheckQuorum has made it step down (a slow machine can take that long to send).
    expect(texts.find((t) => t.includes('minority'))).toMatch(/^(info|fail)/);
    await page.screenshot({ path: join(SHOTS, 'partition.png') });

    await page.getByRole('button', { name: 'Heal', exact: true }).first().click();
    await until('every commit index equal', async () => {
      const c = await commits(page);
      return c.length === 5 && c.every((x) => x === c[0] && x > 0);
    }, 30_000);
    // Health's map of consistency models: Raft keeps linearizability, and with it every weaker model.
    await until('the consistency map', async () => (await page.getByRole('button', { name: 'linearizable: true' }).count()) === 1, 15_000);
    await expect(page.getByRole('button', { name: 'read-your-writes: true' }).count()).resolves.toBe(1);
    await page.getByRole('region', { name: 'Health' }).screenshot({ path: join(SHOTS, 'health.png') });
  });

  it('shows a node’s committed entries, store and file in the inspector', async () => {
    const leader = await leaderOf(page);
    await page.getByRole('group', { name: `Node ${leader}` }).getByTitle(`Inspect ${leader}`).click();
    const inspector = page.getByRole('region', { name: `Inspector ${leader}` });
    const log = inspector.getByRole('table', { name: 'Log' });
    await until('the write in the log', async () => (await log.textContent())?.includes('write majority 2'));
    await until('committed marks', async () => (await log.locator('.entry.committed').count()) > 0);
    await inspector.getByRole('tab', { name: 'Store' }).click();
    await until('the key in the store', async () => (await inspector.getByRole('table', { name: 'Key-value store' }).textContent())?.includes('majority'));
    await inspector.getByRole('tab', { name: 'SQLite file' }).click();
    await until('the file tables', async () => (await inspector.textContent())?.includes('hard_state'));
    await inspector.getByRole('tab', { name: 'Log' }).click();
    await page.screenshot({ path: join(SHOTS, 'inspector.png') });
  });

  it('replays the recorded session at any moment, inspects it, and forks a live cluster from it', async () => {
    const liveCommit = Math.max(...(await commits(page)));
    await page.getByRole('button', { name: 'Sessions', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Recorded sessions' });
    const row = dialog.getByRole('row').filter({ hasText: 'recording' });
    await until('the session being recorded in the list', async () => (await row.count()) === 1);
    await row.getByRole('button', { name: /^Replay / }).click();
    const bar = page.getByRole('region', { name: 'Replay' });
    await until('the replay bar', async () => bar.isVisible());
    // At the start nothing is committed; at the end the majority write is.
    await until('all commit indexes 0 at the start', async () => (await commits(page)).every((c) => c <= 0));
    const scrubber = bar.getByRole('slider', { name: 'Replay time' });
    const end = Number(await scrubber.getAttribute('max'));
    expect(end).toBeGreaterThan(1000);
    await scrubber.fill(String(end));
    await until('commit indexes at the end of the recording', async () => Math.max(...(await commits(page))) >= Math.min(liveCommit, 3));
    const leader = await leaderOf(page);
    // Recorded nodes cannot be killed: only the fork can change what happens.
    await expect(page.getByRole('group', { name: `Node ${leader}` }).getByRole('button', { name: 'Kill' }).count()).resolves.toBe(0);
    await page.getByRole('group', { name: `Node ${leader}` }).getByTitle(`Inspect ${leader}`).click();
    const log = page.getByRole('region', { name: `Inspector ${leader}` }).getByRole('table', { name: 'Log' });
    await until('the recorded write in the re-executed log', async () => (await log.textContent())?.includes('write majority 2'));
    await until('the write in the client history', async () => (await page.getByRole('region', { name: 'Client history' }).textContent())?.includes('write majority 2'));
    await page.screenshot({ path: join(SHOTS, 'replay.png') });
    await bar.getByRole('button', { name: 'Next event' }).click();
    await bar.getByRole('button', { name: 'Fork here' }).click();
    await until('the live window again', async () => !(await bar.isVisible()));
    await leaderOf(page);
    await until('the fork keeps what was committed', async () => Math.max(...(await commits(page))) >= Math.min(liveCommit, 3));
    await expect(page.getByRole('group', { name: `Node ${leader}` }).getByRole('button', { name: /Kill|Restart/ }).count()).resolves.toBeGreaterThan(0);
  });

  it('validates forms next to the field, and offers the leader no campaigning in its menu', async () => {
    await page.getByRole('button', { name: 'New cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'New cluster' });
    await dialog.getByLabel('Nodes').fill('0');
    await expect(dialog.getByRole('alert').first().textContent()).resolves.toContain('at least 1');
    await dialog.getByLabel('Nodes').fill('abc');
    await expect(dialog.getByRole('alert').first().textContent()).resolves.toContain('a number');
    await expect(dialog.getByRole('button', { name: 'Start' }).isDisabled()).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const network = page.getByRole('region', { name: 'Network' });
    await network.getByLabel('Delay ms').fill('-5');
    await expect(network.getByRole('alert').textContent()).resolves.toContain('cannot be negative');
    await network.getByLabel('Delay ms').fill('');
    // The leader's menu has no campaigning in it; a follower's does, and opens over the ring
    // without stretching the card's buttons.
    const leader = await leaderOf(page);
    const card = page.getByRole('group', { name: `Node ${leader}` });
    await card.locator('summary').click();
    await expect(card.getByRole('button', { name: 'Remove' }).isVisible()).resolves.toBe(true);
    await expect(card.getByRole('button', { name: 'Transfer leadership here' }).count()).resolves.toBe(0);
    await card.locator('summary').click();
    const follower = page.getByRole('group', { name: /^Node n\d$/ }).filter({ hasText: 'follower' }).first();
    const killHeight = (await follower.getByRole('button', { name: 'Kill' }).boundingBox())!.height;
    await follower.locator('summary').click();
    await expect(follower.getByRole('button', { name: 'Transfer leadership here' }).isVisible()).resolves.toBe(true);
    expect((await follower.getByRole('button', { name: 'Kill' }).boundingBox())!.height).toBe(killHeight);
    await follower.locator('summary').click();
  });

  it('starts a Multi-Paxos cluster from the dialog, outlives its leader, commits a write, and replays the session', async () => {
    await page.getByRole('button', { name: 'New cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'New cluster' });
    await dialog.getByLabel('Algorithm').selectOption('multipaxos');
    // The form is the algorithm's own, from its descriptor.
    await until('the Multi-Paxos options', async () => (await dialog.textContent())?.includes('Multi-Paxos options'));
    await expect(dialog.getByLabel('Stable leader').isChecked()).resolves.toBe(true);
    await dialog.getByLabel('Nodes').fill('3');
    await dialog.getByRole('button', { name: 'Start' }).click();
    await until('three node cards', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === 3);
    const first = await leaderOf(page);
    // Its node actions are its own: phase 1 now, no leadership transfer.
    const follower = Object.entries(await roles(page)).find(([id, role]) => role === 'follower' && id !== first)?.[0] as string;
    const card = page.getByRole('group', { name: `Node ${follower}` });
    await card.locator('summary').click();
    await expect(card.getByRole('button', { name: 'Transfer leadership here' }).count()).resolves.toBe(0);
    await expect(card.getByRole('button', { name: 'Remove' }).count()).resolves.toBe(0);
    await card.locator('summary').click();
    await page.getByRole('group', { name: `Node ${first}` }).getByRole('button', { name: 'Kill' }).click();
    const next = await leaderOf(page, first);
    expect(next).not.toBe(first);
    const clients = page.getByRole('region', { name: 'Clients' });
    await clients.getByLabel('Key', { exact: true }).fill('paxos');
    await clients.getByLabel('Value', { exact: true }).fill('7');
    await clients.getByLabel('Target', { exact: true }).selectOption(next);
    await clients.getByRole('button', { name: 'Send' }).click();
    const results = clients.getByRole('list', { name: 'Client results' });
    await until('the write acknowledged', async () => (await results.locator('li').allTextContents()).some((t) => t.includes('paxos') && t.startsWith('ok')), 30_000);
    await page.screenshot({ path: join(SHOTS, 'multipaxos.png') });
    // Both running nodes learn the chosen write; the recording writes it down within its next flush.
    await until('the write chosen on both running nodes', async () => (await commits(page)).filter((c) => c >= 1).length === 2, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await page.getByRole('button', { name: 'Sessions', exact: true }).click();
    const sessions = page.getByRole('dialog', { name: 'Recorded sessions' });
    const row = sessions.getByRole('row').filter({ hasText: 'recording' });
    await until('the Multi-Paxos session in the list', async () => (await row.count()) === 1 && (await row.textContent())?.includes('multipaxos'));
    await row.getByRole('button', { name: /^Replay / }).click();
    const bar = page.getByRole('region', { name: 'Replay' });
    await until('the replay bar', async () => bar.isVisible());
    const scrubber = bar.getByRole('slider', { name: 'Replay time' });
    await scrubber.fill(await scrubber.getAttribute('max') as string);
    // At the end of the recording: the first leader down, the second leading, the write chosen.
    await until('the recorded end', async () => (await roles(page))[first] === 'down' && (await roles(page))[next] === 'leader');
    await until('the write chosen in the replay', async () => Math.max(...(await commits(page))) >= 1);
    await bar.getByRole('button', { name: 'Back to live' }).click();
    await until('the live window again', async () => !(await bar.isVisible()));
  });

  it('compares Raft with leaderless quorums side by side: one workload, a partition done to both, maps that differ', async () => {
    // Runnable alone (vitest -t): the page may not have been opened yet.
    if (!page.url().startsWith('http')) await page.goto(url);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const form = page.getByRole('form', { name: 'New comparison' });
    // Raft against leaderless quorums that read and write one replica each: the same partition
    // leaves one linearizable and the other reading stale values.
    await form.getByRole('group', { name: 'Side A' }).getByLabel('Algorithm').selectOption('raft');
    const sideB = form.getByRole('group', { name: 'Side B' });
    await sideB.getByLabel('Algorithm').selectOption('leaderless');
    await until('the leaderless options on side B', async () => (await sideB.getByLabel('Read quorum (R)').count()) === 1);
    await sideB.getByLabel('Read quorum (R)').fill('1');
    await sideB.getByLabel('Write quorum (W)').fill('1');
    await until('the weaker promise said on side B', async () => (await sideB.textContent())?.includes('Promises: no consistency model'));
    const both = form.getByRole('group', { name: 'Both sides' });
    await both.getByLabel('Nodes').fill('3');
    await both.getByLabel('Speed').fill('1');
    await form.getByRole('group', { name: 'Workload' }).getByLabel('Rate (ops/s)').fill('20');
    await form.getByRole('button', { name: 'Start both' }).click();

    const sides = [page.getByRole('region', { name: 'Side A' }), page.getByRole('region', { name: 'Side B' })];
    const sideRoles = (side: (typeof sides)[number]): Promise<Record<string, string>> =>
      side.evaluate((element) => {
        const out: Record<string, string> = {};
        for (const group of element.querySelectorAll('[role="group"][aria-label^="Node "]')) out[(group.getAttribute('aria-label') as string).slice(5)] = group.querySelector('.role')?.textContent ?? '';
        return out;
      });
    for (const side of sides) await until('three node cards on each side', async () => (await side.getByRole('group', { name: /^Node n\d$/ }).count()) === 3);
    // Side A elects a leader; side B has none (every node coordinates).
    const leaders = [await until('a leader on side A', async () => Object.entries(await sideRoles(sides[0]!)).find(([, role]) => role === 'leader')?.[0])];
    expect(Object.values(await sideRoles(sides[1]!)).every((role) => role === 'replica')).toBe(true);
    // The same workload reaches both: each side's clients get answers.
    const table = page.getByRole('region', { name: 'Comparison' });
    const okCounts = async (): Promise<number[]> => (await table.getByRole('row').filter({ hasText: 'ok / fail / info' }).getByRole('cell').allTextContents()).map((t) => Number(/^(\d+) \//.exec(t)?.[1] ?? 0));
    await until('answers on both sides', async () => (await okCounts()).every((n) => n >= 5), 30_000);

    // A partition, done to both at the same positions: side A's leader alone, the rest together.
    const faults = page.getByRole('region', { name: 'Faults on both sides' });
    await faults.getByLabel(`Pick ${leaders[0]}`).check();
    await faults.getByRole('button', { name: 'Partition', exact: true }).click();
    for (const side of sides) await until('the cut links on both rings', async () => (await side.locator('.link.cut-both').count()) === 2);
    const during = await okCounts();
    // The majority goes on answering on both sides (a new leader where the old one was cut off).
    await until('answers during the partition on both sides', async () => (await okCounts()).every((n, i) => n >= (during[i] as number) + 10), 30_000);
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
    await faults.getByRole('button', { name: 'Heal', exact: true }).click();
    for (const side of sides) await until('every link whole again on both rings', async () => (await side.locator('.link.cut-both').count()) === 0);
    await expect(faults.getByRole('list', { name: 'Faults done' }).textContent()).resolves.toMatch(/partition.*heal/);

    // Each side's availability chart marks the partition and the heal.
    for (const side of sides) await until('the partition and the heal marked on the chart', async () => (await side.locator('line.fault').count()) === 2);
    // Raft keeps the linearizability it promises; one-replica quorums read stale values.
    await until('side A measured linearizable', async () => (await sides[0]!.getByRole('button', { name: 'linearizable: true' }).count()) === 1, 20_000);
    await expect(sides[0]!.getByRole('button', { name: /: false$/ }).count()).resolves.toBe(0);
    await until('side B measured not linearizable', async () => (await sides[1]!.getByRole('button', { name: 'linearizable: false' }).count()) === 1, 20_000);
    await expect(table.getByRole('row').filter({ hasText: 'Promises' }).textContent()).resolves.toMatch(/linearizable, kept so far.*nothing/);

    // Narrow, the sides stack: side B below side A, not beside it.
    await page.setViewportSize({ width: 700, height: 1000 });
    const [a, b] = [await sides[0]!.boundingBox(), await sides[1]!.boundingBox()];
    expect(b!.y).toBeGreaterThanOrEqual(a!.y + a!.height);
    expect(a!.x + a!.width).toBeLessThanOrEqual(700);
    await page.screenshot({ path: join(SHOTS, 'compare-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 1000 });

    await faults.getByRole('button', { name: 'Stop both' }).click();
    await until('both sides stopped', async () => (await faults.textContent())?.includes('stopped'), 30_000);
    // The final reads at the stop tell the writes lost: none, on either side.
    await expect(table.getByRole('row').filter({ hasText: 'Acknowledged writes lost' }).getByRole('cell').allTextContents()).resolves.toEqual(['0', '0']);
    await page.getByRole('button', { name: 'Back to the cluster' }).click();
    await until('the window’s own cluster again', async () => (await page.getByRole('region', { name: 'Cluster' }).count()) === 1);
  });

  // The weak designs' anomalies, by hand: what a person does in the window to see each one.
  async function newCluster(algorithm: string, options: { fill?: Record<string, string>; check?: Record<string, boolean>; select?: Record<string, string> }, harness: { nodes: string; delayMs: string }): Promise<void> {
    if (!page.url().startsWith('http')) await page.goto(url);
    await page.getByRole('button', { name: 'New cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'New cluster' });
    await dialog.getByLabel('Algorithm').selectOption(algorithm);
    for (const [label, value] of Object.entries(options.select ?? {})) await dialog.getByLabel(label, { exact: true }).selectOption(value);
    for (const [label, value] of Object.entries(options.fill ?? {})) await dialog.getByLabel(label, { exact: true }).fill(value);
    for (const [label, on] of Object.entries(options.check ?? {})) await dialog.getByLabel(label, { exact: true }).setChecked(on);
    await dialog.getByLabel('Nodes').fill(harness.nodes);
    await dialog.getByLabel('Network delay (ms)').fill(harness.delayMs);
    await dialog.getByLabel('Speed').fill('1');
    await dialog.getByRole('button', { name: 'Start' }).click();
    await until('the new cluster', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === Number(harness.nodes) && !(await dialog.isVisible()));
  }

  /** Sends one operation by hand to one node; answers with the result line once it ended. */
  async function send(f: string, key: string, value: string | null, target: string): Promise<string> {
    const clients = page.getByRole('region', { name: 'Clients' });
    const results = clients.getByRole('list', { name: 'Client results' });
    const before = await results.locator('li').count();
    await clients.getByLabel('Operation', { exact: true }).selectOption(f);
    await clients.getByLabel('Key', { exact: true }).fill(key);
    if (value !== null) await clients.getByLabel('Value', { exact: true }).fill(value);
    await clients.getByLabel('Target', { exact: true }).selectOption(target);
    await clients.getByRole('button', { name: 'Send' }).click();
    await until(`${f} ${key} answered`, async () => (await results.locator('li').count()) > before, 15_000);
    // Its parts apart (outcome | what | = value | time), so that a value is not read into the time after it.
    return results.locator('li').first().evaluate((li) => [...li.childNodes].map((n) => n.textContent?.trim() ?? '').filter((t) => t !== '').join(' | '));
  }

  /** Cuts the named nodes off from the rest, as a person does: each card's menu, Pick for partition, then Partition. */
  async function partitionOff(ids: string[]): Promise<void> {
    for (const id of ids) {
      const card = page.getByRole('group', { name: `Node ${id}` });
      await card.locator('summary').click();
      await card.getByLabel('Pick for partition').check();
      await card.locator('summary').click();
    }
    await page.getByRole('button', { name: 'Partition', exact: true }).click();
    const total = await page.getByRole('group', { name: /^Node n\d+$/ }).count();
    await until('the partition drawn', async () => (await page.locator('.link.cut-both').count()) === ids.length * (total - ids.length));
  }

  const modelVerdict = async (model: string): Promise<string | undefined> => {
    const button = page.getByRole('region', { name: 'Health' }).getByRole('button', { name: new RegExp(`^${model}: `) });
    return (await button.count()) === 1 ? ((await button.getAttribute('aria-label')) ?? (await button.textContent()) ?? undefined) : undefined;
  };

  it('shows a stale read by hand: leaderless quorums with R = W = 1 on a slow network', async () => {
    await newCluster('leaderless', { fill: { 'Read quorum (R)': '1', 'Write quorum (W)': '1' }, check: { 'Read repair': false, 'Anti-entropy': false } }, { nodes: '3', delayMs: '600' });
    expect(await send('write', 'x', '1', 'n1')).toMatch(/^ok/);
    // The copies to n2 and n3 are still travelling: n2 answers from what it has.
    expect(await send('read', 'x', null, 'n2')).toMatch(/^ok .*\| = null \|/);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'leaderless-stale-read.png') });
  });

  it('shows last-writer-wins dropping an acknowledged write by hand: one node\'s clock skewed back', async () => {
    await newCluster('leaderless', { select: { 'Conflicts': 'lww' } }, { nodes: '3', delayMs: '5' });
    const card = page.getByRole('group', { name: 'Node n1' });
    await card.locator('summary').click();
    await card.getByLabel('Clock offset ms').fill('-5000');
    await card.getByRole('button', { name: 'Skew clock' }).click();
    await card.locator('summary').click();
    expect(await send('write', 'x', '1', 'n2')).toMatch(/^ok/);
    // Written after, acknowledged, and stamped five seconds earlier: the older stamp loses.
    expect(await send('write', 'x', '2', 'n1')).toMatch(/^ok/);
    expect(await send('read', 'x', null, 'n3')).toMatch(/^ok .*\| = 1 \|/);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'leaderless-lww-skew.png') });
  });

  it('shows a multi-value register keeping both of two concurrent writes, by hand, where last-writer-wins keeps one', async () => {
    for (const type of ['mv-register', 'lww-register'] as const) {
      await newCluster('crdt', { select: { 'Data type': type } }, { nodes: '3', delayMs: '5' });
      await partitionOff(['n1']);
      expect(await send('write', 'x', '1', 'n1')).toMatch(/^ok/);
      expect(await send('write', 'x', '2', 'n2')).toMatch(/^ok/);
      await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
      await until('every link whole', async () => (await page.locator('.link.cut-both').count()) === 0);
      // Gossip rounds bring both writes everywhere.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const read = await send('read', 'x', null, 'n3');
      if (type === 'mv-register') {
        expect(read).toMatch(/^ok .*\| = \[1,2\] \|/);
        await page.screenshot({ path: join(SHOTS, 'crdt-mv-siblings.png') });
        // A write after that read carries its context and replaces both.
        expect(await send('write', 'x', '3', 'n3')).toMatch(/^ok/);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(await send('read', 'x', null, 'n1')).toMatch(/^ok .*\| = 3 \|/);
      } else expect(read).toMatch(/^ok .*\| = [12] \|/);
    }
  });

  it('shows primary-backup losing an acknowledged write by hand: asynchronous acks, the primary cut off, then killed', async () => {
    // A long lease (3 s): time for a person, and for this walk, to act before the primary gives up.
    await newCluster('primary-backup', { select: { 'Acknowledge writes': 'async' }, fill: { 'Lease (ms)': '3000' } }, { nodes: '3', delayMs: '5' });
    const primary = await primaryOf(page);
    const card = page.getByRole('group', { name: `Node ${primary}` });
    await partitionOff([primary]);
    // Acknowledged at once, though no backup can have it.
    expect(await send('write', 'x', '1', primary)).toMatch(/^ok/);
    await card.getByRole('button', { name: 'Kill' }).click();
    await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
    const next = await primaryOf(page, primary, 30_000);
    expect(await send('read', 'x', null, next)).toMatch(/^ok .*\| = null \|/);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'primary-backup-lost-write.png') });
  });

  it('shows split brain by hand: primary-backup without fencing, two primaries acknowledging writes', async () => {
    await newCluster('primary-backup', { select: { 'Acknowledge writes': 'async' }, check: { Fencing: false }, fill: { 'Lease (ms)': '3000' } }, { nodes: '3', delayMs: '5' });
    const primary = await primaryOf(page);
    const card = page.getByRole('group', { name: `Node ${primary}` });
    await partitionOff([primary]);
    // Asleep (a long pause): its clock stands still, so its lease does not run out.
    await card.getByRole('button', { name: 'Pause' }).click();
    const second = await primaryOf(page, primary, 30_000);
    expect(await send('write', 'x', '2', second)).toMatch(/^ok/);
    // Awake again, still cut off, it still believes it leads: nothing tells it otherwise.
    await card.getByRole('button', { name: 'Resume' }).click();
    expect(await send('write', 'x', '1', primary)).toMatch(/^ok/);
    expect(Object.values(await roles(page)).filter((r) => r === 'primary').length).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'primary-backup-split-brain.png') });
    await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
  });

  it('shows a stale read from a backup by hand: primary-backup reading at any replica, one backup behind', async () => {
    await newCluster('primary-backup', { select: { Reads: 'any', 'Acknowledge writes': 'semi' }, fill: { 'Lease (ms)': '3000' } }, { nodes: '3', delayMs: '5' });
    const primary = await primaryOf(page);
    const [behind] = Object.keys(await roles(page)).filter((id) => id !== primary) as [string];
    // The primary's link to one backup is slow: semi-sync acknowledges once the other has the write.
    const network = page.getByRole('region', { name: 'Network' });
    await network.getByLabel('one link').check();
    await network.getByLabel('From', { exact: true }).selectOption(primary);
    await network.getByLabel('To', { exact: true }).selectOption(behind);
    await network.getByLabel('Delay ms', { exact: true }).fill('4000');
    await network.getByRole('button', { name: 'Apply' }).click();
    expect(await send('write', 'x', '1', primary)).toMatch(/^ok/);
    // The backup it has not reached answers from what it has.
    expect(await send('read', 'x', null, behind)).toMatch(/\| = null \|/);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'primary-backup-stale-backup-read.png') });
    await network.getByRole('button', { name: 'Reset links' }).click();
  });

  it('shows version vectors keeping concurrent writes as siblings by hand: leaderless quorums cut in two', async () => {
    await newCluster('leaderless', { select: { Conflicts: 'vclock' }, fill: { 'Write quorum (W)': '1', 'Read quorum (R)': '1' }, check: { 'Read repair': false, 'Anti-entropy': true } }, { nodes: '3', delayMs: '5' });
    await partitionOff(['n1']);
    expect(await send('write', 'x', '1', 'n1')).toMatch(/^ok/);
    expect(await send('write', 'x', '2', 'n2')).toMatch(/^ok/);
    await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
    // Anti-entropy brings each side's write to the other: both are kept, neither wins.
    const read = await until('siblings', async () => {
      const r = await send('read', 'x', null, 'n3');
      return /\| = \[1,2\] \|/.test(r) && r;
    }, 20_000);
    expect(read).toMatch(/^ok/);
    await page.screenshot({ path: join(SHOTS, 'leaderless-siblings.png') });
  });

  it('shows CRDT counters converging by hand after a partition, though a read on one side missed the other\'s increments', async () => {
    await newCluster('crdt', { select: { 'Data type': 'pn-counter' } }, { nodes: '3', delayMs: '5' });
    await partitionOff(['n1']);
    expect(await send('incr', 'c', '5', 'n1')).toMatch(/^ok/);
    expect(await send('incr', 'c', '3', 'n2')).toMatch(/^ok/);
    expect(await send('read', 'c', null, 'n1')).toMatch(/\| = 5 \|/);
    await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
    await until('every replica at 8', async () => {
      for (const node of ['n1', 'n2', 'n3']) if (!/\| = 8 \|/.test(await send('read', 'c', null, node))) return false;
      return true;
    }, 20_000);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'crdt-counter-converges.png') });
  });

  it('shows a stale read after a sloppy quorum heals by hand, before hinted handoff', async () => {
    await newCluster('leaderless', { check: { 'Sloppy quorums': true, 'Read repair': false, 'Anti-entropy': false }, fill: { 'Hinted handoff every (ms)': '10000' } }, { nodes: '5', delayMs: '5' });
    await partitionOff(['n1', 'n2']);
    // n1 and n2 stand in for the replicas they cannot reach, keeping hints.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const key of keys) expect(await send('write', key, '1', 'n1')).toMatch(/^ok/);
    await page.getByRole('region', { name: 'Network' }).getByRole('button', { name: 'Heal', exact: true }).click();
    await until('every link whole', async () => (await page.locator('.link.cut-both').count()) === 0);
    // Before the hints are handed over, a key whose replicas are all on the other side reads as never written.
    let stale: string | undefined;
    for (const key of keys) if (stale === undefined && /\| = null \|/.test(await send('read', key, null, 'n3'))) stale = key;
    expect(stale).toBeDefined();
    await page.screenshot({ path: join(SHOTS, 'leaderless-sloppy-stale.png') });
  });

  it('shows quorums that meet (R + W > N) still not linearizable by hand: a read returns the new value, a later read the old', async () => {
    await newCluster('leaderless', { fill: { 'Replicas (N)': '3', 'Read quorum (R)': '2', 'Write quorum (W)': '2' }, check: { 'Read repair': false, 'Write-back (ABD)': false, 'Anti-entropy': false } }, { nodes: '4', delayMs: '5' });
    expect(await send('write', 'x', '0', 'n1')).toMatch(/^ok/);
    // The three replicas of x hold it; the fourth node does not, and coordinates the slow write.
    const held = await until('x on its three replicas', async () => {
      const facts = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[role="group"][aria-label^="Node "]')].map((g) => [(g.getAttribute('aria-label') as string).slice(5), g.querySelector('.facts')?.textContent ?? ''])));
      const replicas = Object.keys(facts).filter((id) => /keys held 1/.test(facts[id] as string));
      return replicas.length === 3 && { replicas, other: Object.keys(facts).find((id) => !replicas.includes(id)) as string };
    });
    const [a, b, c] = held.replicas as [string, string, string];
    const coordinator = held.other;
    // Slow links: the coordinator's puts to b and c, and a's messages to b.
    const network = page.getByRole('region', { name: 'Network' });
    await network.getByLabel('one link').check();
    for (const [from, to] of [[coordinator, b], [coordinator, c], [a, b]] as const) {
      await network.getByLabel('From', { exact: true }).selectOption(from);
      await network.getByLabel('To', { exact: true }).selectOption(to);
      await network.getByLabel('Delay ms', { exact: true }).fill('4000');
      await network.getByRole('button', { name: 'Apply' }).click();
    }
    // The write of 1: its puts to b and c are slow, a has it at once.
    const clients = page.getByRole('region', { name: 'Clients' });
    await clients.getByLabel('Operation', { exact: true }).selectOption('write');
    await clients.getByLabel('Key', { exact: true }).fill('x');
    await clients.getByLabel('Value', { exact: true }).fill('1');
    await clients.getByLabel('Target', { exact: true }).selectOption(coordinator);
    await clients.getByRole('button', { name: 'Send' }).click();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Read through a: a itself (1) and c (0): the newest is 1.
    expect(await send('read', 'x', null, a)).toMatch(/\| = 1 \|/);
    // Then through b: b itself and c, both still 0 (a's answer to b is slow). A read that began
    // after a read of 1 ended returns the older value.
    expect(await send('read', 'x', null, b)).toMatch(/\| = 0 \|/);
    await until('the map: not linearizable', async () => (await modelVerdict('linearizable'))?.includes('false'), 20_000);
    await page.screenshot({ path: join(SHOTS, 'leaderless-quorums-not-linearizable.png') });
    await network.getByRole('button', { name: 'Reset links' }).click();
  });

  it('takes the token from the address once, out of the address bar, and refuses sockets without it', async () => {
    const base = url.slice(0, url.indexOf('#'));
    const token = url.slice(url.indexOf('#token=') + '#token='.length);
    // The page read its token and cleared it from the address bar; the tab keeps it for reloads.
    expect(page.url()).toBe(base);
    expect(await page.evaluate(() => sessionStorage.getItem('playground-token'))).toBe(token);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const nodes = await page.getByRole('group', { name: /^Node n\d$/ }).count();
    expect(nodes).toBeGreaterThan(0);
    await page.reload();
    await until('the cluster after a reload', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === nodes);
    // The files are the public build; the cluster is behind the socket, and the socket behind the token.
    const response = await fetch(base);
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(base, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    const socketOpens = (protocols: string[]): Promise<boolean> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${base.replace('http://', 'ws://')}bridge`, protocols);
        ws.onopen = () => {
          ws.close();
          resolve(true);
        };
        ws.onerror = () => resolve(false);
      });
    await expect(socketOpens(['playground'])).resolves.toBe(false);
    await expect(socketOpens(['playground', 'token.wrong'])).resolves.toBe(false);
    await expect(socketOpens(['playground', `token.${token}`])).resolves.toBe(true);
    // Opened without the token, the window says what to do instead of hanging.
    const stranger = await browser.newPage();
    await stranger.goto(base);
    await until('the missing-token message', async () => ((await stranger.textContent('body')) ?? '').includes('#token='));
    await stranger.close();
  });

  it('builds a preload a sandboxed window can run: CommonJS, requiring nothing but electron, carrying the version', () => {
    const preload = readFileSync(join(root, 'out', 'preload', 'index.cjs'), 'utf8');
    expect([...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(preload).toContain(JSON.stringify(version));
    expect(preload).not.toContain('process.env');
  });

  it('starts the desktop bundle with electron stood in for: a window, a cluster on the built threads, a recorded session, a clean quit', async () => {
    // Electron's binary cannot be downloaded here, so the built main process (out/main/index.js)
    // runs in plain Node with `electron` resolved to a stub that plays the window and the IPC.
    // This is what a relative path inside the bundle breaks, where the sources run fine.
    const userData = mkdtempSync(join(tmpdir(), 'bundle-user-data-'));
    const fixtures = join(root, 'test', 'e2e', 'fixtures');
    const child = fork(join(root, 'out', 'main', 'index.js'), {
      cwd: root,
      execArgv: ['--import', pathToFileURL(join(fixtures, 'electron-hooks.mjs')).href],
      env: { ...process.env, STUB_USER_DATA: userData },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const messages: Array<{ type: string; id?: number; answer?: { ok: boolean; value?: unknown; error?: string }; url?: string; status?: number; csp?: string; body?: string }> = [];
    child.on('message', (message) => messages.push(message as (typeof messages)[number]));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let nextId = 0;
    const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
      const id = ++nextId;
      child.send({ type: 'call', id, method, args });
      const answer = await until(`the answer to ${method}`, async () => messages.find((m) => m.type === 'answer' && m.id === id)?.answer, 20_000);
      expect(answer.ok, answer.error).toBe(true);
      return answer.value;
    };
    try {
      await until('the window to load the built page', async () => {
        if (child.exitCode !== null) throw new Error(`the bundle exited with ${child.exitCode}: ${stderr}`);
        return messages.some((m) => m.type === 'load');
      });
      // The packaged window loads the built page through the app's own protocol, with its CSP.
      const load = messages.find((m) => m.type === 'load')!;
      expect(load.url).toBe('app://playground/index.html');
      expect(load.status).toBe(200);
      expect(load.body).toBe(readFileSync(join(root, 'out', 'renderer', 'index.html'), 'utf8'));
      expect(load.csp).toContain("frame-ancestors 'none'");
      const leader = await until('a leader on the bundled node host', async () => ((await call('getState')) as AppState).nodes.find((n) => n.status?.role === 'leader')?.id);
      const outcome = (await call('clientOperation', 'leader', { f: 'write', key: 'bundle', value: 1 }, 5000)) as ClientOutcome;
      expect(outcome.type, outcome.error ?? '').toBe('ok');
      expect(leader).toMatch(/^n\d+$/);
      // The challenge files travel beside the bundle that reads them.
      expect(((await call('listChallenges')) as { challenges: unknown[] }).challenges).toHaveLength(3);
      // The lesson library ships beside the bundle (out/main/library): the Lessons panel has its lessons.
      const { lessons } = (await call('listLessons')) as LessonList;
      expect(lessons.find((l) => l.id === '01-raft-election')).toMatchObject({ problem: null, steps: 4 });
      child.send({ type: 'quit' });
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      // The recorder's writer thread started from its built script: the session is in its file.
      const clusters = join(userData, 'clusters');
      const file = readdirSync(clusters).find((name) => name.endsWith('.session.sqlite'));
      expect(file, 'a session file beside the node files').toBeDefined();
      const { db, meta } = openSessionFile(join(clusters, file as string));
      try {
        expect(meta.summary?.ops.ok).toBe(1);
        expect((db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'client'").get() as { n: number }).n).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(userData, { recursive: true, force: true });
    }
  });

  it('plays a challenge by clicking: an acknowledged write lost on asynchronous acks, judged and won', async () => {
    // Wherever the walks before left the window (a replay, say), from the live cluster.
    if (page.url().startsWith('http')) await page.reload();
    else await page.goto(url);
    await until('the live cluster after a reload', async () => (await page.getByRole('group', { name: /^Node n\d+$/ }).count()) > 0);
    await page.getByRole('button', { name: 'Challenges', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Challenges' });
    await dialog.getByRole('button', { name: 'Start Lose an acknowledged write: Primary-backup, asynchronous acks' }).click();
    const panel = page.getByRole('region', { name: 'Challenge' });
    await until('the challenge panel', async () => (await panel.getByLabel('Faults used of the budget').textContent()) === '0 of 3');
    await until('three node cards', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === 3);
    const primary = await primaryOf(page);
    // Cut the primary off from its backups: pick it, Partition (one fault).
    const card = page.getByRole('group', { name: `Node ${primary}` });
    await partitionOff([primary]);
    await until('the partition counted', async () => (await panel.getByLabel('Faults used of the budget').textContent()) === '1 of 3');
    // Write to it: with asynchronous acks it answers ok at once, its backups none the wiser.
    expect(await send('write', 'x', '1', primary)).toMatch(/^ok/);
    // It dies before the network heals; a backup is promoted without the write.
    await card.getByRole('button', { name: 'Kill' }).click();
    await until('the kill counted', async () => (await panel.getByLabel('Faults used of the budget').textContent()) === '2 of 3');
    await primaryOf(page, primary, 30_000);
    await panel.getByRole('button', { name: "I'm done" }).click();
    const verdict = panel.getByRole('status', { name: 'Verdict' });
    await until('the verdict', async () => (await verdict.count()) === 1 && ((await verdict.textContent()) ?? '').includes('Won!'), 30_000);
    expect(await verdict.textContent()).toMatch(/acknowledged writes? lost \(.*of key "x"/);
    expect(await verdict.textContent()).toContain('lost write');
    expect(await verdict.textContent()).toMatch(/Score: 2 faults, .* a new best/);
    await page.screenshot({ path: join(SHOTS, 'challenge.png') });
    // The best score is in the list now, and leaving keeps the cluster running.
    await panel.getByRole('button', { name: 'Leave' }).click();
    await until('the panel gone', async () => (await panel.count()) === 0);
    expect(await page.getByRole('group', { name: /^Node n\d$/ }).count()).toBe(3);
    await page.getByRole('button', { name: 'Challenges', exact: true }).click();
    await until('the best score listed', async () => ((await page.getByRole('dialog', { name: 'Challenges' }).textContent()) ?? '').includes('best: 2 faults'));
    // Narrow, the dialog still fits the window, and scrolls rather than running off it.
    await page.setViewportSize({ width: 600, height: 700 });
    const box = await page.getByRole('dialog', { name: 'Challenges' }).boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(600);
    expect(box!.y + box!.height).toBeLessThanOrEqual(700);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByRole('dialog', { name: 'Challenges' }).getByRole('button', { name: 'Close' }).click();
  });

  it('runs a lesson: the Raft election lesson asks to kill the leader, says a wrong kill, takes the click on the leader’s card, ends passed, then free play', async () => {
    // Runs alone too (-t lesson): then it opens the window itself.
    if (page.url() === 'about:blank') await page.goto(url);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByRole('button', { name: 'Lessons' }).click();
    const panel = page.getByRole('region', { name: 'Lessons' });
    const item = panel.getByRole('listitem').filter({ hasText: 'Raft: a leader is elected, dies' });
    await expect(item.textContent()).resolves.toMatch(/raft.*4 steps.*not started/);
    await item.getByRole('button', { name: 'Start' }).click();
    // The lesson's own cluster: three Raft nodes, a session like any other.
    await until('the lesson’s three nodes', async () => (await page.getByRole('group', { name: /^Node n\d$/ }).count()) === 3);
    const ask = panel.getByRole('status', { name: 'Your turn' });
    await ask.waitFor({ timeout: 60_000 });
    const asked = /kill the leader, (n\d)/.exec((await ask.textContent()) ?? '')?.[1] as string;
    expect(asked).toMatch(/^n\d$/);
    expect(await leaderOf(page)).toBe(asked);
    await expect(panel.locator('.step.running strong').first().textContent()).resolves.toBe('kill the leader');

    // A follower killed instead is said, and not taken; restarted, the lesson still waits.
    const other = Object.keys(await roles(page)).find((id) => id !== asked) as string;
    await page.getByRole('group', { name: `Node ${other}` }).getByRole('button', { name: 'Kill' }).click();
    await until('the wrong kill said', async () => ((await ask.getByRole('alert').textContent().catch(() => '')) ?? '').includes(`That was: kill ${other}.`));
    await page.screenshot({ path: join(SHOTS, 'lesson.png') });
    await page.setViewportSize({ width: 800, height: 600 });
    await until('the lesson stacked above the cluster', async () => {
      const lesson = await panel.boundingBox();
      const ring = await page.getByRole('region', { name: 'Cluster' }).boundingBox();
      return lesson !== null && ring !== null && lesson.y + lesson.height <= ring.y + 1 && lesson.width > 700;
    });
    await page.screenshot({ path: join(SHOTS, 'lesson-narrow.png') });
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByRole('group', { name: `Node ${other}` }).getByRole('button', { name: 'Restart' }).click();
    await until(`${other} running again`, async () => ['follower', 'candidate'].includes((await roles(page))[other] ?? ''));
    await expect(ask.isVisible()).resolves.toBe(true);

    await page.getByRole('group', { name: `Node ${asked}` }).getByRole('button', { name: 'Kill' }).click();
    const result = panel.locator('.result');
    await result.waitFor({ timeout: 90_000 });
    await expect(result.textContent()).resolves.toMatch(/Lesson passed.*Free play/);
    await expect(panel.getByText(`you did it: crash ${asked}`).isVisible()).resolves.toBe(true);
    expect(await panel.locator('.checks .failed').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'lesson-passed.png') });

    // Free play on the same cluster: the killed leader restarts by hand; the list says the lesson is done.
    await page.getByRole('group', { name: `Node ${asked}` }).getByRole('button', { name: 'Restart' }).click();
    await until(`${asked} running again`, async () => ['follower', 'candidate', 'leader'].includes((await roles(page))[asked] ?? ''));
    await panel.getByRole('button', { name: 'All lessons' }).click();
    await until('the lesson marked done', async () => ((await item.locator('.progress').textContent().catch(() => '')) ?? '').includes('done'));
    expect(await page.getByRole('group', { name: /^Node n\d$/ }).count()).toBe(3);
    await panel.screenshot({ path: join(SHOTS, 'lessons-list.png') });
  }, 240_000);
});
