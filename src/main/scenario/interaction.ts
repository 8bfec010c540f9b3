// A hand-driven cluster for scenario files (etcd's datadriven InteractionEnv): nothing happens
// unless a command says so. Messages wait in one queue in the order they were sent until a
// `deliver` or `stabilize` moves them, so a scenario can hold, drop or reorder any of them and
// reproduce the exact interleavings the papers draw.
//
// It drives any registered algorithm: `add-nodes 3 algo=NAME KEY=VALUE...` picks the algorithm
// and sets its options by their keys (or aliases) in the algorithm's option fields, starting from
// its scenarioDefaults. Messages print as the algorithm describes them.

import type { AdminCommand, ClientRequest, KvOp, LogEntry, NodeId, NodeStatus } from '../../shared/protocol.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import type { KvValue } from '../../shared/history.ts';
import { createRng } from '../../shared/rng.ts';
import { MemoryStorage } from '../../nodes/storage.ts';
import type { Algorithm, ConsensusNode, Envelope, Ready } from '../../nodes/types.ts';
import { DEFAULT_ALGORITHM, algorithmNames, getAlgorithm } from '../../nodes/index.ts';
import { OptionError, parseAssignments } from '../../nodes/descriptor.ts';
import { formatEntry, formatMessage, formatReply } from './format.ts';
import { NetworkRules } from '../sim/network-rules.ts';

export class ScenarioError extends Error {}

/** What the `log`, `kv` and `state` commands read of a node, when its class offers it. */
export interface ScenarioNode extends ConsensusNode {
  entries?(): LogEntry[];
  termAt?(index: number): number;
  keyValues?(): Array<[string, KvValue]>;
  /** One line about state the status does not show (an acceptor's promise and accepts, say). */
  describeState?(): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
type AnyAlgorithm = Algorithm<any, ConsensusNode>;

/** add-nodes keys that the harness takes for itself rather than the algorithm's options. */
const HARNESS_KEYS = new Set(['algo', 'seed']);

interface Member {
  id: NodeId;
  storage: MemoryStorage;
  node: ScenarioNode | null;
  restarts: number;
  bootstrapVoters: NodeId[];
  lastStatus: NodeStatus | null;
  /** Its clock's reading: TICK_MS more at each of its ticks, plus the offset `skew` sets. */
  clockMs: number;
}

export interface InteractionOptions {
  /**
   * Runs this algorithm instead of the one `add-nodes algo=NAME` names (a mutant stands in for the
   * real one: its name must start with NAME).
   */
  algorithm?: AnyAlgorithm;
  /** Called for every Ready, after its persist is written (the safety monitors plug in here). */
  onReady?: (node: NodeId, ready: Ready, status: NodeStatus) => void;
  onStart?: (node: NodeId, member: { storage: MemoryStorage; status: NodeStatus }) => void;
  onCrash?: (node: NodeId) => void;
}

export class InteractionEnv {
  private readonly members = new Map<NodeId, Member>();
  private queue: Envelope[] = [];
  private options: Record<string, unknown> = {};
  private seed = 1;
  // The same rules as the simulator's and the live cluster's network: a partition cuts a node in no
  // group off alone, whoever runs it.
  // Only its cuts are used: messages wait in the queue until a command delivers them.
  private readonly network = new NetworkRules({ drop: 0, delayMs: 0, jitterMs: 0, duplicate: 0, reorder: 0 });
  private readonly seqByClient = new Map<number, number>();
  private nextAdminId = 1;
  private out: string[] = [];
  /** Chosen by the first add-nodes. */
  private chosenAlgorithm: AnyAlgorithm | null = null;

  private readonly hooks: InteractionOptions;

  constructor(hooks: InteractionOptions = {}) {
    this.hooks = hooks;
  }

  private get algorithm(): AnyAlgorithm {
    if (this.chosenAlgorithm === null) throw new ScenarioError('no nodes yet: start with add-nodes');
    return this.chosenAlgorithm;
  }

  /** Runs one command and returns what it printed. */
  run(command: string, args: string[]): string {
    this.out = [];
    const handler = this.commands[command];
    if (handler === undefined) throw new ScenarioError(`unknown command ${JSON.stringify(command)}`);
    handler(args);
    return this.out.join('\n');
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private readonly commands: Record<string, (args: string[]) => void> = {
    'add-nodes': (args) => this.addNodes(args),
    campaign: (args) => this.forEachNode(args, (m) => this.admin(m, { type: 'campaign' })),
    tick: (args) => this.tick(args),
    skew: (args) => this.skew(args),
    'process-ready': (args) => this.forEachNode(args, (m) => this.processReady(m)),
    deliver: (args) => this.deliver(args),
    stabilize: (args) => this.stabilize(args),
    partition: (args) => this.partition(args),
    cut: (args) => this.cut(args),
    heal: () => {
      this.network.heal();
      this.print('healed');
    },
    crash: (args) => this.forEachNode(args, (m) => this.crash(m)),
    restart: (args) => this.forEachNode(args, (m) => this.restart(m)),
    propose: (args) => this.propose(args),
    transfer: (args) => this.admin(this.member(args[0]), { type: 'transfer_leadership', to: this.need(args[1], 'target node') }),
    'add-server': (args) => this.addServer(args),
    'remove-server': (args) => this.admin(this.member(args[0]), { type: 'remove_server', node: this.need(args[1], 'node to remove') }),
    status: (args) => this.status(args),
    log: (args) => this.forEachNode(args, (m) => this.printLog(m)),
    kv: (args) => this.forEachNode(args, (m) => this.printKv(m)),
    state: (args) => this.forEachNode(args, (m) => this.printState(m)),
  };

  private need(value: string | undefined, what: string): string {
    if (value === undefined) throw new ScenarioError(`missing ${what}`);
    return value;
  }

  private member(id: string | undefined): Member {
    const member = this.members.get(this.need(id, 'node'));
    if (member === undefined) throw new ScenarioError(`no node ${id}`);
    return member;
  }

  private live(member: Member): ScenarioNode {
    if (member.node === null) throw new ScenarioError(`${member.id} is down`);
    return member.node;
  }

  private forEachNode(args: string[], fn: (member: Member) => void): void {
    const ids = args.filter((a) => !a.includes('='));
    const targets = ids.length === 0 ? [...this.members.values()] : ids.map((id) => this.member(id));
    for (const member of targets) fn(member);
  }

  private parseKeyValues(args: string[]): Map<string, string> {
    const map = new Map<string, string>();
    for (const arg of args) {
      const eq = arg.indexOf('=');
      if (eq > 0) map.set(arg.slice(0, eq), arg.slice(eq + 1));
    }
    return map;
  }

  private addNodes(args: string[]): void {
    const count = Number(args[0]);
    if (!Number.isInteger(count) || count < 1) throw new ScenarioError('add-nodes needs a count');
    const kv = this.parseKeyValues(args.slice(1));
    const algorithm = this.pickAlgorithm(kv.get('algo'));
    const assignments = [...kv].filter(([key]) => !HARNESS_KEYS.has(key)).map(([key, value]) => `${key}=${value}`);
    let chosen: Record<string, unknown>;
    try {
      chosen = parseAssignments(algorithm.options, assignments);
    } catch (error) {
      if (error instanceof OptionError) throw new ScenarioError(`add-nodes: ${error.message}`);
      throw error;
    }
    // Chosen only once its options are good: a refused command leaves the scenario as it was.
    this.chosenAlgorithm = algorithm;
    this.options = { ...(algorithm.defaultOptions as object), ...(algorithm.scenarioDefaults ?? {}), ...chosen };
    this.seed = kv.has('seed') ? Number(kv.get('seed')) : 1;
    const start = this.members.size;
    const ids = Array.from({ length: count }, (_, i) => `n${start + i + 1}`);
    for (const id of ids) this.createMember(id, ids);
    this.print(`${ids.join(' ')} started; voters ${ids.join(',')}`);
  }

  private pickAlgorithm(named: string | undefined): AnyAlgorithm {
    let algorithm: AnyAlgorithm;
    if (this.hooks.algorithm !== undefined) {
      if (named !== undefined && !this.hooks.algorithm.name.startsWith(named)) throw new ScenarioError(`the scenario is for ${named}, not ${this.hooks.algorithm.name}`);
      algorithm = this.hooks.algorithm;
    } else {
      // More nodes later in a scenario join the algorithm it already runs.
      const found = named === undefined && this.chosenAlgorithm !== null ? this.chosenAlgorithm : getAlgorithm(named ?? DEFAULT_ALGORITHM);
      if (found === undefined) throw new ScenarioError(`unknown algorithm ${JSON.stringify(named)}; known: ${algorithmNames().join(', ')}`);
      algorithm = found;
    }
    if (this.chosenAlgorithm !== null && this.chosenAlgorithm !== algorithm) throw new ScenarioError('one algorithm per scenario');
    return algorithm;
  }

  private createMember(id: NodeId, bootstrapVoters: NodeId[]): Member {
    const member: Member = { id, storage: new MemoryStorage(), node: null, restarts: 0, bootstrapVoters, lastStatus: null, clockMs: 0 };
    this.members.set(id, member);
    this.startNode(member);
    return member;
  }

  private startNode(member: Member): void {
    const rng = createRng(this.seed).fork(`${member.id}/${member.restarts}`);
    member.node = this.algorithm.create({ id: member.id, bootstrapVoters: member.bootstrapVoters, rng, options: this.options }, member.storage.load());
    member.lastStatus = member.node.status();
    this.hooks.onStart?.(member.id, { storage: member.storage, status: member.lastStatus });
  }

  private tick(args: string[]): void {
    const target = this.member(args[0]);
    const count = args[1] === undefined ? 1 : Number(args[1]);
    const node = this.live(target);
    for (let i = 0; i < count; i++) {
      target.clockMs += TICK_MS;
      node.step(this.algorithm.readsClock === true ? { kind: 'tick', clockMs: target.clockMs } : { kind: 'tick' });
      this.reportStateChange(target);
    }
  }

  /** `skew NODE MS`: the node's clock jumps MS milliseconds (negative: back), as a clock-skew fault's offset. */
  private skew(args: string[]): void {
    const member = this.member(args[0]);
    const ms = Number(this.need(args[1], 'milliseconds'));
    if (!Number.isInteger(ms)) throw new ScenarioError(`skew takes whole milliseconds, not ${args[1]}`);
    member.clockMs += ms;
    this.print(`${member.id}'s clock reads ${member.clockMs} ms`);
  }

  private admin(member: Member, command: AdminCommand): void {
    this.live(member).step({ kind: 'admin', request: { requestId: this.nextAdminId++, command } });
    this.processReady(member);
  }

  private addServer(args: string[]): void {
    const leader = this.member(args[0]);
    const id = this.need(args[1], 'new node id');
    if (!this.members.has(id)) this.createMember(id, []);
    this.admin(leader, { type: 'add_server', node: id });
  }

  private propose(args: string[]): void {
    const member = this.member(args[0]);
    const f = this.need(args[1], 'operation');
    const key = this.need(args[2], 'key');
    const kv = this.parseKeyValues(args.slice(3));
    const clientId = kv.has('client') ? Number(kv.get('client')) : 1;
    const positional = args.slice(3).filter((a) => !a.includes('='));
    const parse = (text: string | undefined): string | number | null => {
      if (text === undefined || text === 'null') return null;
      return /^-?\d+$/.test(text) ? Number(text) : text;
    };
    let op: KvOp;
    switch (f) {
      case 'read':
        op = { f, key };
        break;
      case 'write':
        op = { f, key, value: parse(positional[0]) };
        break;
      case 'cas':
        op = { f, key, expected: parse(positional[0]), value: parse(positional[1]) };
        break;
      case 'append':
        op = { f, key, value: this.need(positional[0], 'value to append') };
        break;
      case 'delete':
        op = { f, key };
        break;
      case 'incr':
        op = { f, key, value: Number(this.need(positional[0], 'amount')) };
        break;
      case 'add':
      case 'remove':
        op = { f, key, value: parse(this.need(positional[0], 'element')) };
        break;
      default:
        throw new ScenarioError(`unknown operation ${f}`);
    }
    const seq = (this.seqByClient.get(clientId) ?? 0) + 1;
    this.seqByClient.set(clientId, seq);
    // `context=...`: the opaque causal context a reply gave (a store that keeps siblings takes it back on a write).
    const context = kv.get('context');
    const request: ClientRequest = context === undefined ? { clientId, seq, op } : { clientId, seq, op, context };
    this.live(member).step({ kind: 'client', request });
    this.processReady(member);
  }

  private partition(args: string[]): void {
    const groups = args.map((g) => g.replace(/[()]/g, '').split(',').filter(Boolean));
    for (const group of groups) for (const id of group) this.member(id);
    this.network.partition(groups, [...this.members.keys()]);
    this.print(`partitioned ${groups.map((g) => `(${g.join(',')})`).join(' ')}`);
  }

  private cut(args: string[]): void {
    const from = this.member(args[0]).id;
    const to = this.member(args[1]).id;
    this.network.cut(from, to);
    this.print(`cut ${from}->${to}`);
  }

  private crash(member: Member): void {
    member.node = null;
    this.hooks.onCrash?.(member.id);
    this.print(`${member.id} crashed`);
  }

  private restart(member: Member): void {
    if (member.node !== null) throw new ScenarioError(`${member.id} is running`);
    member.restarts++;
    this.startNode(member);
    const s = member.lastStatus as NodeStatus;
    if (s.term === undefined || s.commit === undefined) this.print(`${member.id} restarted: ${s.role}`);
    else this.print(`${member.id} restarted: term=${s.term} vote=${s.votedFor ?? '-'} commit=${s.commit} last=${s.lastIndex} snapshot=${s.snapshotIndex}`);
  }

  /** Takes a node's Ready: persist, queue its messages, print its replies and state changes. */
  private processReady(member: Member): boolean {
    const node = member.node;
    if (node === null || !node.hasReady()) {
      if (node !== null) this.reportStateChange(member);
      return false;
    }
    const ready = node.ready();
    if (ready.persist) member.storage.write(ready.persist);
    const status = node.status();
    this.hooks.onReady?.(member.id, ready, status);
    for (const message of ready.messages) this.queue.push(message);
    for (const entry of ready.applied) {
      if (entry.entry.data.type !== 'noop') this.print(`${member.id} applied ${formatEntry(entry.entry)}`);
    }
    for (const reply of ready.replies) this.print(`${member.id} replied ${formatReply(reply)}`);
    this.reportStateChange(member);
    return true;
  }

  private reportStateChange(member: Member): void {
    if (member.node === null) return;
    const now = member.node.status();
    const before = member.lastStatus;
    member.lastStatus = now;
    if (before === null) return;
    if (before.role !== now.role || before.term !== now.term) {
      this.print(now.term === undefined ? `${member.id} became ${now.role}` : `${member.id} became ${now.role} at term ${now.term}`);
    }
  }

  private canDeliver(message: Envelope): string | null {
    const dest = this.members.get(message.dest);
    if (dest === undefined || dest.node === null) return `${message.dest} is down`;
    if (this.network.isCut(message.src, message.dest)) return 'link cut';
    return null;
  }

  private deliverOne(message: Envelope, drop: boolean): void {
    const reason = drop ? 'dropped' : this.canDeliver(message);
    const line = `${message.src}->${message.dest} ${formatMessage(this.algorithm, message.body)}`;
    if (reason !== null) {
      this.print(`${line}  (lost: ${reason})`);
      return;
    }
    this.print(line);
    (this.members.get(message.dest) as Member).node?.step({ kind: 'message', envelope: message });
  }

  /**
   * `deliver [to=n2] [from=n1] [drop=true] [type=App] [count=K]`: delivers (or drops) the queued
   * messages that match, oldest first, and leaves the rest queued.
   */
  private deliver(args: string[]): void {
    const kv = this.parseKeyValues(args);
    const to = kv.get('to');
    const from = kv.get('from');
    const type = kv.get('type');
    const drop = kv.get('drop') === 'true';
    let budget = kv.has('count') ? Number(kv.get('count')) : Number.POSITIVE_INFINITY;
    const remaining: Envelope[] = [];
    const taken: Envelope[] = [];
    for (const message of this.queue) {
      const matches =
        budget > 0 &&
        (to === undefined || message.dest === to) &&
        (from === undefined || message.src === from) &&
        (type === undefined || formatMessage(this.algorithm, message.body).split(' ')[0] === type);
      if (matches) {
        taken.push(message);
        budget--;
      } else {
        remaining.push(message);
      }
    }
    this.queue = remaining;
    for (const message of taken) this.deliverOne(message, drop);
    for (const member of this.members.values()) this.reportStateChange(member);
  }

  /** Process readies and deliver messages until nothing moves (or only among the nodes named). */
  private stabilize(args: string[]): void {
    const only = args.length > 0 ? new Set(args.map((id) => this.member(id).id)) : null;
    for (let round = 0; round < 10_000; round++) {
      let moved = false;
      for (const member of this.members.values()) {
        if (only && !only.has(member.id)) continue;
        if (this.processReady(member)) moved = true;
      }
      const deliverable = this.queue.filter((m) => !only || (only.has(m.src) && only.has(m.dest)));
      if (deliverable.length > 0) {
        moved = true;
        this.queue = this.queue.filter((m) => !deliverable.includes(m));
        for (const message of deliverable) this.deliverOne(message, false);
      }
      if (!moved) return;
    }
    throw new ScenarioError('stabilize did not settle after 10000 rounds');
  }

  private status(args: string[]): void {
    this.forEachNode(args, (member) => {
      if (member.node === null) {
        this.print(`${member.id}: down`);
        return;
      }
      const s = member.node.status();
      if (s.term === undefined || s.commit === undefined) {
        // Not a log algorithm: its own fields, in the order it reports them.
        const fields = Object.entries(s).filter(([key]) => key !== 'id' && key !== 'role' && key !== 'leader');
        this.print(`${member.id}: ${s.role} leader=${s.leader ?? '-'}${fields.map(([key, value]) => ` ${key}=${Array.isArray(value) ? value.join(',') : String(value)}`).join('')}`);
        return;
      }
      this.print(
        `${member.id}: ${s.role} term=${s.term} leader=${s.leader ?? '-'} vote=${s.votedFor ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} snapshot=${s.snapshotIndex} voters=${(s.voters ?? []).join(',')}`,
      );
    });
  }

  private printLog(member: Member): void {
    const node = this.live(member);
    if (node.entries === undefined) throw new ScenarioError(`${this.algorithm.name} nodes do not show a log`);
    const entries = node.entries();
    const s = node.status();
    const snapshotIndex = s.snapshotIndex ?? 0;
    const head = snapshotIndex > 0 ? ` (snapshot at ${snapshotIndex}/${node.termAt?.(snapshotIndex) ?? '?'})` : '';
    this.print(`${member.id} log${head}: ${entries.length === 0 ? '(empty)' : entries.map(formatEntry).join(' | ')}`);
  }

  private printKv(member: Member): void {
    const node = this.live(member);
    if (node.keyValues === undefined) throw new ScenarioError(`${this.algorithm.name} nodes do not show their store`);
    const pairs = node.keyValues().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.print(`${member.id} kv: ${pairs.length === 0 ? '(empty)' : pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  }

  private printState(member: Member): void {
    const node = this.live(member);
    if (node.describeState === undefined) throw new ScenarioError(`${this.algorithm.name} nodes have no state beyond their status`);
    this.print(`${member.id} ${node.describeState()}`);
  }

  /** The node objects, for tests that need to look closer than the commands do. */
  node(id: NodeId): ScenarioNode | null {
    return this.members.get(id)?.node ?? null;
  }
}

/** A scenario file: blocks of `command args...`, a `----` line, and the expected output up to a blank line. */
export interface ScenarioCase {
  line: number;
  /** The comment lines just above the command, kept when the file is regenerated. */
  comments: string[];
  command: string;
  args: string[];
  expected: string;
}

export function parseScenario(text: string): ScenarioCase[] {
  const lines = text.split('\n');
  const cases: ScenarioCase[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const trimmed = (lines[i] as string).trim();
    if (trimmed === '') {
      i++;
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push(trimmed);
      i++;
      continue;
    }
    const [command, ...args] = trimmed.split(/\s+/);
    const line = i + 1;
    i++;
    if ((lines[i] ?? '').trim() !== '----') throw new ScenarioError(`line ${line}: expected ---- after the command`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '') {
      expected.push(lines[i] as string);
      i++;
    }
    cases.push({ line, comments, command: command as string, args, expected: expected.join('\n') });
    comments = [];
  }
  return cases;
}

/** Output as a scenario file shows it: a command that printed nothing shows `ok`. */
export function normalizeOutput(actual: string): string {
  return actual === '' ? 'ok' : actual;
}

export function renderScenario(cases: Array<ScenarioCase & { actual: string }>): string {
  const parts: string[] = [];
  for (const c of cases) {
    const head = c.comments.length > 0 ? c.comments.join('\n') + '\n' : '';
    parts.push(`${head}${[c.command, ...c.args].join(' ')}\n----\n${normalizeOutput(c.actual)}\n`);
  }
  return parts.join('\n');
}
