import { spawnSync } from "node:child_process";
import fc from "fast-check";
import t from "tap";
import { quoteShellWord, splitShellWords } from "../../syscalls/mod.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 4321);

function words(text: string): string[] {
  const s = splitShellWords(text);
  if (s.error !== undefined) throw new Error(s.error);
  return s.words;
}

t.test("splitShellWords() splits on blanks and removes quotes as sh does", async (t) => {
  t.same(words("  a \t b  "), ["a", "b"], "spaces and tabs, leading and trailing ones too");
  t.same(words(""), []);
  t.same(words("sh -c 'sleep 1; kill -SEGV $$'"), ["sh", "-c", "sleep 1; kill -SEGV $$"]);
  t.same(words(`'a "b" \\c'`), ['a "b" \\c'], "single quotes keep everything literal");
  t.same(words(`"a 'b' \\" \\\\ \\$ \\\` \\c \\n"`), ["a 'b' \" \\ $ ` \\c \\n"], "double quotes: only \\\" \\\\ \\$ \\` escape");
  t.same(words(`a\\ b \\'c \\"d \\\\ \\x`), ["a b", "'c", '"d', "\\", "x"], "a backslash outside quotes quotes any character");
  t.same(words(`a'b c'"d e"f`), ["ab cd ef"], "quoted parts and plain text join into one word");
  t.same(words(`'' "" x''`), ["", "", "x"], "empty quotes are an empty word");
  t.same(words("$HOME `id` *.txt ~ [a] #x a;b a|b (c) <d> &"), ["$HOME", "`id`", "*.txt", "~", "[a]", "#x", "a;b", "a|b", "(c)", "<d>", "&"], "no expansion, no operators, no comments");
  t.same(words("a\\\nb \\\n c"), ["ab", "c"], "backslash-newline is nothing, outside quotes");
  t.same(words('"a\\\nb"'), ["ab"], "and inside double quotes");
  t.same(words("'a\\\nb'"), ["a\\\nb"], "but literal inside single quotes");
  t.same(words("a\nb"), ["a", "b"], "a newline separates words");
  t.same(words("é 中'文' 🙂"), ["é", "中文", "🙂"]);
});

t.test("splitShellWords() says where each word is and stops at a limit", async (t) => {
  const text = ` kill  'a b'c {"x": 1}`;
  const s = splitShellWords(text, { limit: 2 });
  t.same(s.words, ["kill", "a bc"]);
  t.same(s.starts, [1, 7]);
  t.same(s.ends, [5, 13]);
  t.equal(text.slice(s.next), ` {"x": 1}`, "the rest is left unread");
  const rest = splitShellWords(text, { from: s.next });
  t.same(rest.words, ["{x:", "1}"], "from: reading on");
  t.same(rest.starts, [14, 20], "positions stay offsets in the whole text");
  t.equal(rest.next, text.length);
  t.equal(splitShellWords("a b", { limit: 0 }).next, 0);
});

t.test("splitShellWords() refuses an unterminated quote or a trailing backslash, naming the character", async (t) => {
  const cases: [string, string][] = [
    ["echo 'abc", "unterminated single quote: the ' at character 6 is never closed"],
    [`echo "abc`, 'unterminated double quote: the " at character 6 is never closed'],
    [`echo "abc\\"`, 'unterminated double quote: the " at character 6 is never closed'],
    [`a "b" 'c`, "unterminated single quote: the ' at character 7 is never closed"],
    ["echo abc\\", "trailing backslash at character 9: nothing follows it to quote"],
    [`"a\\`, 'unterminated double quote: the " at character 1 is never closed'],
  ];
  for (const [text, reason] of cases) {
    const s = splitShellWords(text);
    t.equal(s.error, reason, text);
  }
  const s = splitShellWords("ok 'sk-live-0123456789abcdef");
  t.same(s.words, ["ok"], "the words before it are kept");
  t.equal(s.next, 3, "next: where the word that failed starts");
  t.notMatch(s.error ?? "", /sk-live/, "a reason never quotes the text");
});

t.test("quoteShellWord() quotes only what needs it", async (t) => {
  t.equal(quoteShellWord("max_restarts=3"), "max_restarts=3");
  t.equal(quoteShellWord("/srv/a-b.c,d:e@f%g+h"), "/srv/a-b.c,d:e@f%g+h");
  t.equal(quoteShellWord(""), "''");
  t.equal(quoteShellWord("my dir"), "'my dir'");
  t.equal(quoteShellWord("it's"), "'it'\\''s'");
  t.equal(quoteShellWord("$x"), "'$x'");
});

t.test("property: quoting any words and splitting the line gives them back", async (t) => {
  const tricky = fc.string({ unit: fc.constantFrom("'", '"', "\\", " ", "\t", "\n", "$", "`", "a", "=", "#", "{", "é", "🙂") });
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ unit: "binary" }), tricky), { maxLength: 8 }), (list) => {
      const s = splitShellWords(list.map(quoteShellWord).join(" "));
      return s.error === undefined && JSON.stringify(s.words) === JSON.stringify(list);
    }),
    { numRuns: 5000, seed: SEED },
  );
  t.pass("5000 generated word lists came back unchanged");
});

// ── agreement with a real sh ────────────────────────────────────────────────────────────────
// Lines without what sh would expand ($ ` * ? [ ~), without its operators and comments (which
// the control language treats as ordinary characters) and without newlines (one line each).
const WIDE = [..."abcXYZ019 \t!\"#%&'()+,-./:;<=>@\\]^_{|}é中"];
const PLAIN = [..."abcXYZ019!%+,-./:=@]^_é中"];
const plain = fc.string({ unit: fc.constantFrom(...PLAIN), minLength: 1, maxLength: 4 });
const escaped = fc.constantFrom(...WIDE).map((c) => `\\${c}`);
const singleQuoted = fc.string({ unit: fc.constantFrom(...WIDE.filter((c) => c !== "'")), maxLength: 6 }).map((s) => `'${s}'`);
const doubleQuoted = fc
  .array(fc.oneof(fc.constantFrom(...WIDE.filter((c) => c !== '"' && c !== "\\")), fc.constantFrom(...WIDE).map((c) => `\\${c}`)), { maxLength: 6 })
  .map((parts) => `"${parts.join("")}"`);
const word = fc.array(fc.oneof(plain, escaped, singleQuoted, doubleQuoted), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(""));
const blanks = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 });
const line = fc
  .tuple(fc.array(fc.tuple(word, blanks), { maxLength: 6 }), fc.constantFrom("", " ", "\t "))
  .map(([ws, tail]) => ws.map(([w, b]) => w + b).join("") + tail);

/** Each line's words as /bin/sh sees them: one `printf '%s\0'` per line, all in one sh process. */
function shWords(lines: string[]): string[][] {
  const script = lines.map((l) => `printf '\\001'; printf '%s\\0' x ${l}\n`).join("");
  const r = spawnSync("/bin/sh", ["-s"], { input: script, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`Cannot run the lines through sh: ${r.stderr}`);
  return r.stdout
    .split("\x01")
    .slice(1)
    .map((out) => out.split("\0").slice(1, -1));
}

t.test("property: splitShellWords() agrees with /bin/sh", async (t) => {
  const lines = fc.sample(line, { numRuns: 400, seed: SEED });
  const expected = shWords(lines);
  t.equal(expected.length, lines.length, "sh printed every line");
  const disagree = lines.filter((l, i) => JSON.stringify(words(l)) !== JSON.stringify(expected[i]));
  t.same(disagree, [], `${lines.length} generated lines split alike (e.g. ${JSON.stringify(lines.find((l) => /['"\\]/.test(l)))})`);
  t.ok(lines.some((l) => l.includes("'")) && lines.some((l) => l.includes('"')) && lines.some((l) => l.includes("\\")), "the sample quotes and escapes");
});

t.test("sh refuses the unterminated quotes splitShellWords() refuses", async (t) => {
  for (const bad of ["echo 'abc", `echo "abc`, `echo "a\\"`]) {
    t.ok(splitShellWords(bad).error, `${bad}: refused`);
    t.not(spawnSync("/bin/sh", ["-c", `printf '%s\\0' x ${bad}`], { encoding: "utf8" }).status, 0, `${bad}: sh refuses it too`);
  }
});
