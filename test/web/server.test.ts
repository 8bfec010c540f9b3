// Browser mode's server as a hostile neighbour sees it: any program on the machine, or any page in
// the user's browser, can send it bytes. None may end the process (it holds the running cluster
// and its recording), and none may reach the cluster without the token.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { createRng } from '../../src/shared/rng.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { requestPath, startWebServer, type WebServer } from '../../src/main/web/server.ts';
import { openSessionFile } from '../../src/main/record/session-file.ts';
import { verifySession } from '../../src/main/record/reexecute.ts';

/** Sends raw bytes and gives back what came back before the server answered in full or closed (or `ms` passed). */
function raw(port: number, bytes: string | Buffer, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      // One whole response is enough: keep-alive would hold the socket open.
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0) {
        const length = /content-length: (\d+)/i.exec(got.slice(0, end));
        if (length === null || got.length >= end + 4 + Number(length[1])) {
          clearTimeout(timer);
          done();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      done();
    });
    socket.write(bytes);
  });
}

interface Answer {
  type: string;
  id: unknown;
  result?: { ok: boolean; error?: string; value?: unknown };
}

/** A bridge connection as a program would open it; resolves to null when the server refuses it. */
function openSocket(web: WebServer, protocols: string[] = ['playground', `token.${web.token}`], headers: Record<string, string> = {}): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}/bridge`, protocols, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', () => resolve(null));
    ws.once('unexpected-response', () => resolve(null));
  });
}

function answerTo(ws: WebSocket, id: unknown, ms = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to call ${String(id)}`)), ms);
    const listen = (data: Buffer): void => {
      const message = JSON.parse(String(data)) as Answer;
      if (message.type === 'result' && message.id === id) {
        clearTimeout(timer);
        ws.off('message', listen);
        resolve(message);
      }
    };
    ws.on('message', listen);
  });
}

function closed(ws: WebSocket, ms = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('browser mode server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-server-'));
  const root = join(dir, 'renderer');
  const service = new PlaygroundService(join(dir, 'clusters'));
  let web: WebServer;

  beforeAll(async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Consensus Playground</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET');
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
    web = await startWebServer({ root, service });
  }, 30_000);

  afterAll(async () => {
    await web?.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (): string => `Host: 127.0.0.1:${web.port}\r\n`;
  const stillServes = async (): Promise<void> => {
    const response = await fetch(`http://127.0.0.1:${web.port}/`);
    expect(response.status).toBe(200);
    const ws = await openSocket(web);
    expect(ws, 'the bridge still opens').not.toBeNull();
    ws!.send(JSON.stringify({ id: 'alive', method: 'getState', args: [] }));
    expect((await answerTo(ws!, 'alive')).result?.ok).toBe(true);
    ws!.close();
  };

  it('reads request paths without ever throwing', () => {
    expect(requestPath('/assets/app.js?x=1')).toBe('/assets/app.js');
    expect(requestPath('/a%20b')).toBe('/a b');
    expect(requestPath('/%E0%A4%A')).toBeNull();
    expect(requestPath('http://[x')).toBeNull();
    expect(requestPath('*')).toBeNull();
    expect(requestPath('/%00')).toBeNull();
    expect(requestPath(undefined)).toBeNull();
  });

  it('answers the requests that used to end the process, and goes on serving', async () => {
    // An absolute-form target that is not a URL, with no token at all.
    expect(await raw(web.port, `GET http://[x HTTP/1.1\r\n${host()}\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    // A malformed percent-encoding.
    expect(await raw(web.port, `GET /%E0%A4%A HTTP/1.1\r\n${host()}\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(web.port, `GET /%E0%A4%A HTTP/1.1\r\n${host()}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/);
    expect(await raw(web.port, 'garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(web.port, `GET /../secret.txt HTTP/1.1\r\n${host()}\r\n`)).not.toContain('TOP SECRET');
    expect(await raw(web.port, `GET /..%2Fsecret.txt HTTP/1.1\r\n${host()}\r\n`)).toMatch(/^HTTP\/1\.1 (403|404)/);
    expect(await raw(web.port, `POST / HTTP/1.1\r\n${host()}Content-Length: 0\r\n\r\n`)).toMatch(/^HTTP\/1\.1 405/);
    expect(await raw(web.port, `GET /assets HTTP/1.1\r\n${host()}\r\n`)).toMatch(/^HTTP\/1\.1 404/);
    await stillServes();
  });

  it('answers frames that used to end the process: null, non-objects, one over the limit', async () => {
    const ws = (await openSocket(web))!;
    for (const [frame, why] of [
      ['null', /an object/],
      ['[1,2]', /an object/],
      ['"getState"', /an object/],
      ['{"id":', /JSON/],
    ] as const) {
      const answer = answerTo(ws, null);
      ws.send(frame);
      expect((await answer).result).toMatchObject({ ok: false, error: expect.stringMatching(why) });
    }
    ws.send(JSON.stringify({ id: 7, method: 'nodeAction', args: null }));
    expect((await answerTo(ws, 7)).result).toMatchObject({ ok: false, error: expect.stringMatching(/invalid nodeAction/) });
    // 10 MB in one frame: the connection goes, the server stays.
    ws.send(Buffer.alloc(10 * 2 ** 20, 0x61));
    expect(await closed(ws)).toBe(true);
    await stillServes();
  });

  it('keeps the token out of cookies and the request, and asks the page for it in the socket handshake', async () => {
    expect(web.url).toBe(`http://127.0.0.1:${web.port}/#token=${web.token}`);
    const page = await fetch(`http://127.0.0.1:${web.port}/`);
    expect(page.headers.get('set-cookie')).toBeNull();
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).toMatch(/base-uri 'none'/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const old = await fetch(`http://127.0.0.1:${web.port}/?token=${web.token}`);
    expect(old.headers.get('set-cookie')).toBeNull();
    expect(await openSocket(web, ['playground'])).toBeNull();
    expect(await openSocket(web, ['playground', 'token.wrong'])).toBeNull();
    expect(await openSocket(web, ['playground'], { Cookie: `playground_token=${web.token}` })).toBeNull();
    expect(await openSocket(web, ['playground', `token.${web.token}`], { Origin: 'http://127.0.0.1:1' })).toBeNull();
    expect(await openSocket(web, ['playground', `token.${web.token}`], { Host: 'evil.example' })).toBeNull();
    const ok = await openSocket(web);
    expect(ok?.protocol).toBe('playground');
    ok?.close();
    // Static files never leave the folder they are served from, and a foreign Host gets nothing.
    expect(await raw(web.port, `GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/);
  });

  it('survives a fuzz of request lines, headers, paths and frames, and the recording still verifies', async () => {
    const rng = createRng(20261206);
    const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length - 1)] as T;
    const junk = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(rng.int(0, 255))).join('');
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'G\0T', junk(3), ''];
    const paths = ['/', '/index.html', '/bridge', '/assets/app.js', '/%', '/%ff%fe', '/%E0%A4%A', '/..', '/../../etc/passwd', '//x', '*', 'http://[x', 'http://127.0.0.1/', '/\u00e9', `/${'a'.repeat(20_000)}`, '/?token=%', '/#frag'];
    const headers = [host(), 'Host: evil\r\n', 'Host:\r\n', 'Origin: null\r\n', 'Connection: Upgrade\r\nUpgrade: websocket\r\n', 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\n', `Sec-WebSocket-Protocol: playground, token.${web.token}\r\n`, 'Content-Length: -1\r\n', 'Content-Length: 99999999\r\n', 'Transfer-Encoding: chunked\r\n', `X-${junk(4)}: ${junk(8)}\r\n`, `${'X'.repeat(20_000)}: y\r\n`];
    for (let i = 0; i < 120; i++) {
      const lines = Array.from({ length: rng.int(0, 4) }, () => pick(headers)).join('');
      const request = `${pick(methods)} ${pick(paths)} ${pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/9', junk(2)])}\r\n${lines}\r\n${rng.int(0, 3) === 0 ? junk(rng.int(0, 64)) : ''}`;
      await raw(web.port, Buffer.from(request, 'latin1'), 300);
    }
    const frames = ['null', 'true', '0', '""', '[]', '{}', '{"method":"getState"}', '{"id":{},"method":"getState","args":[]}', '{"id":1,"method":"__proto__","args":[]}', '{"id":1,"method":"constructor","args":[]}', '{"id":1,"method":"nodeAction","args":["n1"]}', '{"id":1,"method":"partition","args":[[[]]]}', '{"id":1,"method":"setLinkRule","args":[null,null,{"drop":2}]}', '{"id":1,"method":"deleteSessions","args":[["../x.session.sqlite"]]}', '{"id":1,"method":"replayMoment","args":["x.session.sqlite",-1]}'];
    for (let round = 0; round < 4; round++) {
      const ws = await openSocket(web);
      expect(ws).not.toBeNull();
      for (let i = 0; i < 40; i++) {
        const kind = rng.int(0, 3);
        ws!.send(kind === 0 ? junk(rng.int(0, 200)) : kind === 1 ? Buffer.from(junk(rng.int(0, 200)), 'latin1') : pick(frames));
      }
      ws!.send(JSON.stringify({ id: 'end', method: 'getState', args: [] }));
      expect((await answerTo(ws!, 'end')).result?.ok).toBe(true);
      ws!.close();
    }
    await stillServes();
    // The recording went on through all of it, and re-executes as recorded.
    const recording = (await service.listSessions()).find((s) => s.recording)!.name;
    await service.stopCluster();
    const { db, meta } = openSessionFile(join(dir, 'clusters', recording));
    try {
      expect(meta.summary, 'the session was closed').not.toBeNull();
      const result = verifySession(db);
      expect(result.divergence).toBeNull();
      expect(result.lives).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 120_000);
});
