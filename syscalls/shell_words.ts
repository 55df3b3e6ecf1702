/**
 * Words of a command line, split as a POSIX shell splits a simple command's words (SPEC §7), so
 * that `echo "…" > ctl` means what a shell user expects: blanks (space, tab, newline) separate
 * words; `'…'` keeps everything literal; `"…"` keeps everything literal but `\"`, `\\`, `\$`,
 * `` \` `` (the character itself) and backslash-newline (nothing); outside quotes a backslash
 * quotes the next character (backslash-newline is nothing). Quoted parts and plain text join
 * into one word (`a'b c'"d"` is `ab cd`); `''` is an empty word. No expansion of any kind
 * happens: `$`, backticks, globs and `~` are literal, and unlike sh, `#` and `| & ; < > ( )`
 * are ordinary characters (a control line is one command, never run by a shell).
 */

/** The words read from a text, where each was written, and why reading stopped early if it did. */
export interface ShellWords {
  /** The words, quotes removed. */
  words: string[];
  /** Offset of each word's first character in the text (a quote, when it starts with one). */
  starts: number[];
  /** Offset just past each word's last character (past its closing quote). */
  ends: number[];
  /**
   * Where reading stopped: past the last word when `limit` words were read (`text.slice(next)`
   * is the unread rest), at the start of the word that could not be read on an error, else the
   * text's length.
   */
  next: number;
  /** Why the word at `next` could not be read (an unterminated quote, a trailing backslash). */
  error?: string;
}

export interface SplitShellWordsOptions {
  /** Offset to start reading at (default 0); positions stay offsets in the whole text. */
  from?: number;
  /** Read at most this many words and leave the rest unread (a JSON tail, free text). */
  limit?: number;
}

/**
 * Split `text` into words as sh would (see the file's header). An error names the position
 * (1-based character in `text`) and never quotes the text, which may hold a secret.
 *
 * @example
 * splitShellWords(`sh -c 'sleep 1; kill -SEGV $$'`).words; // ["sh", "-c", "sleep 1; kill -SEGV $$"]
 * splitShellWords(`a "b`).error; // 'unterminated double quote: the " at character 3 is never closed'
 */
export function splitShellWords(text: string, options: SplitShellWordsOptions = {}): ShellWords {
  const limit = options.limit ?? Infinity;
  const out: ShellWords = { words: [], starts: [], ends: [], next: 0 };
  const n = text.length;
  let i = options.from ?? 0;
  while (out.words.length < limit) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let word = "";
    // A word that is only backslash-newlines is no word at all, as in sh.
    let seen = false;
    while (i < n && !isBlank(text.charCodeAt(i))) {
      const c = text[i];
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) return failed(out, start, `unterminated single quote: the ' at character ${i + 1} is never closed`);
        word += text.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        const open = i++;
        for (;;) {
          if (i >= n) return failed(out, start, `unterminated double quote: the " at character ${open + 1} is never closed`);
          const d = text[i];
          if (d === '"') break;
          const e = text[i + 1];
          if (d === "\\" && (e === '"' || e === "\\" || e === "$" || e === "`")) {
            word += e;
            i += 2;
          } else if (d === "\\" && e === "\n") i += 2;
          else {
            word += d;
            i++;
          }
        }
        i++;
      } else if (c === "\\") {
        if (i + 1 >= n) return failed(out, start, `trailing backslash at character ${i + 1}: nothing follows it to quote`);
        if (text[i + 1] !== "\n") {
          word += text[i + 1];
          seen = true;
        }
        i += 2;
        continue;
      } else {
        const run = plainRun(text, i);
        word += text.slice(i, run);
        i = run;
      }
      seen = true;
    }
    if (!seen) continue;
    out.words.push(word);
    out.starts.push(start);
    out.ends.push(i);
  }
  out.next = out.words.length === limit ? i : n;
  return out;
}

/**
 * A word written so that `splitShellWords` (and sh) reads it back exactly: as it is when it
 * holds only characters no shell treats specially, else in single quotes (a `'` inside
 * becomes `'\''`).
 *
 * @example
 * quoteShellWord("max_restarts=3"); // "max_restarts=3"
 * quoteShellWord("it's"); // "'it'\\''s'"
 */
export function quoteShellWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a;
}

/** The end of a run of characters that are neither blanks, quotes nor backslashes. */
function plainRun(text: string, i: number): number {
  let j = i + 1;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (isBlank(c) || c === 0x27 || c === 0x22 || c === 0x5c) break;
  }
  return j;
}

function failed(out: ShellWords, start: number, error: string): ShellWords {
  out.next = start;
  out.error = error;
  return out;
}
