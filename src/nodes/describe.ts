// Short, readable one-line forms of client requests and log entries, shared by every algorithm's
// describeMessage and by the scenario files.

import type { ClientRequest, EntryData, LogEntry } from '../shared/protocol.ts';

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
    case 'incr':
      return `${who} incr ${op.key}${op.value >= 0 ? '+' : ''}${op.value}`;
    case 'add':
      return `${who} add ${op.key} ${JSON.stringify(op.value)}`;
    case 'remove':
      return `${who} remove ${op.key} ${JSON.stringify(op.value)}`;
  }
}

export function formatEntryData(data: EntryData): string {
  switch (data.type) {
    case 'noop':
      return 'noop';
    case 'config':
      return `config ${data.voters.join(',')}`;
    case 'command':
      return formatRequest(data.request);
  }
}

export function formatEntry(entry: LogEntry): string {
  return `${entry.index}/${entry.term} ${formatEntryData(entry.data)}`;
}
