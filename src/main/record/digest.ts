// What a recording keeps of a Ready's messages when it does not keep the messages themselves.

/**
 * A Ready's messages are kept as a digest: every one of them is also recorded whole where it
 * matters, as an input of the node it reached (or a send in the journal if it never arrived), and
 * a re-execution that produces other messages changes the digest. This halves a session's size.
 */
export function messagesDigest(messages: readonly { src: string; dest: string; body: string }[]): string {
  // FNV-1a in two lanes: fast, and 64 bits leave no room for a chance collision to hide a divergence.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const m of messages) {
    for (const text of [m.src, m.dest, m.body]) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
        h2 = Math.imul(h2 ^ c, 0x85ebca6b) >>> 0;
      }
      h1 = Math.imul(h1 ^ 0xff, 0x01000193) >>> 0;
    }
  }
  return `${messages.length}:${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}
