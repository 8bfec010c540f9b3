// The little Markdown a lesson's narration uses: paragraphs, **bold**, *italic* (or _italic_),
// `code`, and lists (- or * or 1.). Parsed into blocks of text runs that the window renders as text
// nodes, never as HTML: a lesson file is anyone's, and whatever else it holds (tags, links,
// scripts) shows as the characters it is.

export interface Run {
  text: string;
  bold: boolean;
  italic: boolean;
  code: boolean;
}

export type Block = { kind: 'p'; runs: Run[] } | { kind: 'ul' | 'ol'; items: Run[][] };

/** Past this a narration is cut: a lesson's step says a few sentences. */
const MAX_CHARS = 20_000;

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.slice(0, MAX_CHARS).replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { kind: 'ul' | 'ol'; items: string[] } | null = null;
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push({ kind: 'p', runs: parseInline(paragraph.join(' ')) });
    paragraph = [];
    if (list !== null) blocks.push({ kind: list.kind, items: list.items.map(parseInline) });
    list = null;
  };
  for (const line of lines) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet === null ? NUMBERED.exec(line) : null;
    const item = bullet ?? numbered;
    if (item !== null) {
      const kind = bullet !== null ? 'ul' : 'ol';
      if (paragraph.length > 0 || (list !== null && list.kind !== kind)) flush();
      list ??= { kind, items: [] };
      list.items.push(item[1] as string);
    } else if (list !== null && /^\s+\S/.test(line)) {
      // An indented line goes on with the item above it.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
    } else {
      if (list !== null) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return blocks;
}

/** Text with `code`, **bold** and *italic* (nested bold and italic allowed); a marker left unclosed is a character like any. */
export function parseInline(text: string): Run[] {
  const runs: Run[] = [];
  const push = (piece: string, bold: boolean, italic: boolean, code: boolean): void => {
    if (piece === '') return;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.bold === bold && last.italic === italic && last.code === code) last.text += piece;
    else runs.push({ text: piece, bold, italic, code });
  };
  const walk = (s: string, bold: boolean, italic: boolean): void => {
    let i = 0;
    let plain = '';
    const emit = (): void => {
      push(plain, bold, italic, false);
      plain = '';
    };
    while (i < s.length) {
      const c = s[i] as string;
      if (c === '\\' && i + 1 < s.length && '\\`*_'.includes(s[i + 1] as string)) {
        plain += s[i + 1];
        i += 2;
        continue;
      }
      if (c === '`') {
        const end = s.indexOf('`', i + 1);
        if (end > i + 1) {
          emit();
          push(s.slice(i + 1, end), bold, italic, true);
          i = end + 1;
          continue;
        }
      }
      if (s.startsWith('**', i) && !bold) {
        let end = s.indexOf('**', i + 2);
        // "***" closes an italic run inside, then the bold one.
        while (end !== -1 && s[end + 2] === '*') end++;
        if (end > i + 2) {
          emit();
          walk(s.slice(i + 2, end), true, italic);
          i = end + 2;
          continue;
        }
      }
      if ((c === '*' || c === '_') && !italic && s[i + 1] !== c && s[i + 1] !== ' ' && (c === '*' || i === 0 || /\W/.test(s[i - 1] as string))) {
        const end = findClosing(s, c, i + 1);
        if (end !== -1) {
          emit();
          walk(s.slice(i + 1, end), bold, true);
          i = end + 1;
          continue;
        }
      }
      plain += c;
      i++;
    }
    emit();
  };
  walk(text, false, false);
  return runs;
}

/** The marker that closes an italic run opened just before `from`: not doubled, not after a space, and for _ at the end of a word. */
function findClosing(s: string, marker: string, from: number): number {
  for (let i = from + 1; i < s.length; i++) {
    if (s[i] === '`') {
      const end = s.indexOf('`', i + 1);
      if (end !== -1) i = end;
      continue;
    }
    if (s[i] !== marker || s[i - 1] === ' ') continue;
    if (s[i + 1] === marker) {
      i++;
      continue;
    }
    if (marker === '_' && i + 1 < s.length && /\w/.test(s[i + 1] as string)) continue;
    return i;
  }
  return -1;
}
