// Short, readable one-line forms of entries, messages and replies, as scenario files and logs show them.

import type { ClientRequest, LogEntry, Reply } from '../../shared/protocol.ts';
import type { RaftMessage } from '../../nodes/raft/messages.ts';

export function formatRequest(request: ClientRequest): string {
  const op = request.op;
  const who = `c${request.clientId}#${request.seq}`;
  switch (op.f) {
    case 'read':
      return `${who} read ${op.key}`;
    case 'write':
      return `${who} write ${op.key}=${JSON.stringify(op.value)}`;
    case 'cas':
      return `${who} cas ${op.key} ${JSON.stringify(op.expected)}->${JSON.stringify(op.value)}`;
    case 'append':
      return `${who} append ${op.key}+=${JSON.stringify(op.value)}`;
    case 'delete':
      return `${who} delete ${op.key}`;
  }
}

export function formatEntry(entry: LogEntry): string {
  const head = `${entry.index}/${entry.term}`;
  switch (entry.data.type) {
    case 'noop':
      return `${head} noop`;
    case 'config':
      return `${head} config ${entry.data.voters.join(',')}`;
    case 'command':
      return `${head} ${formatRequest(entry.data.request)}`;
  }
}

export function formatMessage(body: { type: string }): string {
  const m = body as RaftMessage;
  switch (m.type) {
    case 'request_vote':
      return `${m.preVote ? 'PreVote' : 'Vote'} t=${m.term} last=${m.lastIndex}/${m.lastTerm}${m.transfer ? ' transfer' : ''}`;
    case 'request_vote_response':
      return `${m.preVote ? 'PreVoteResp' : 'VoteResp'} t=${m.term} ${m.granted ? 'granted' : 'rejected'}`;
    case 'append_entries': {
      const entries = m.entries.length === 0 ? '' : ` [${m.entries.map(formatEntry).join(', ')}]`;
      return `App t=${m.term} prev=${m.prevIndex}/${m.prevTerm} commit=${m.commit}${entries}${m.commitOnly ? ' (commit only)' : ''}`;
    }
    case 'append_entries_response':
      return m.success
        ? `AppResp t=${m.term} ok match=${m.matchIndex}`
        : `AppResp t=${m.term} reject prev=${m.rejectedIndex} hint=${m.conflictIndex}/${m.conflictTerm}`;
    case 'heartbeat':
      return `Heartbeat t=${m.term} commit=${m.commit} ctx=${m.context}`;
    case 'heartbeat_response':
      return `HeartbeatResp t=${m.term} ctx=${m.context}`;
    case 'install_snapshot':
      return `Snapshot t=${m.term} at=${m.snapshot.index}/${m.snapshot.term} voters=${m.snapshot.voters.join(',')} keys=${m.snapshot.data.kv.length}`;
    case 'timeout_now':
      return `TimeoutNow t=${m.term}`;
    default:
      return JSON.stringify(body);
  }
}

export function formatReply(reply: Reply): string {
  if (reply.kind === 'admin') return `admin#${reply.requestId} ${reply.ok ? 'ok' : 'failed'}: ${reply.message}`;
  const who = `c${reply.clientId}#${reply.seq}`;
  if (reply.ok) return `${who} ok ${JSON.stringify(reply.value)}`;
  const hint = reply.leaderHint ? ` leader=${reply.leaderHint}` : '';
  return `${who} ${reply.error} (${reply.definite ? 'definite' : 'indefinite'})${hint}`;
}
