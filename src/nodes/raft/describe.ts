// Raft's messages in one line each, as the scenario files print them (and match them by their
// first word in `deliver type=...`).

import { formatEntry } from '../describe.ts';
import type { RaftMessage } from './messages.ts';

export function describeRaftMessage(body: { type: string }): string {
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
