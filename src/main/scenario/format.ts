// Short, readable one-line forms of entries, messages and replies, as scenario files and logs show
// them. Messages are the algorithm's to describe (Algorithm.describeMessage).

import type { Reply } from '../../shared/protocol.ts';
import type { Algorithm } from '../../nodes/types.ts';

export { formatEntry, formatRequest } from '../../nodes/describe.ts';

export function formatMessage(algorithm: Pick<Algorithm, 'describeMessage'>, body: { type: string }): string {
  return algorithm.describeMessage?.(body) ?? JSON.stringify(body);
}

export function formatReply(reply: Reply): string {
  if (reply.kind === 'admin') return `admin#${reply.requestId} ${reply.ok ? 'ok' : 'failed'}: ${reply.message}`;
  const who = `c${reply.clientId}#${reply.seq}`;
  if (reply.ok) return `${who} ok ${JSON.stringify(reply.value)}${reply.context === undefined ? '' : ` context=${reply.context}`}`;
  const hint = reply.leaderHint ? ` leader=${reply.leaderHint}` : '';
  return `${who} ${reply.error} (${reply.definite ? 'definite' : 'indefinite'})${hint}`;
}
