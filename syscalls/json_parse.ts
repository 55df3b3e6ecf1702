import type { Decoded } from "./patch_decode.ts";

/**
 * JSON.parse for outside input whose failure reason is safe to show anyone. V8 quotes the text
 * around a bad token (`Unexpected token 's', ..."{"K":sk-secret"... is not valid JSON`), and a
 * `spawn {JSON}` line may carry an agent's secrets in `env`: the reason goes to `last_error`
 * and the audit trail, which everyone reads. A reason that quotes the input is replaced by one
 * that gives only the position.
 */
export function parseJson(text: string): Decoded<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const message = (e as Error).message;
    if (SAFE.test(message)) return { ok: false, reason: message };
    return { ok: false, reason: `Unexpected token in JSON at position ${badTokenAt(text)}` };
  }
}

/** V8's reasons that name only positions and punctuation (`Expected ',' or '}' … at position 32`). */
const SAFE = /^[A-Za-z -]*(?:'[,:{}[\]"]'[A-Za-z -]*)*(?:in JSON at position \d+(?: \(line \d+ column \d+\))?|after JSON at position \d+|of JSON input)$/;

function quotesInput(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch (e) {
    return !SAFE.test((e as Error).message);
  }
}

/**
 * Where the bad token is: the longest prefix that does not fail on it ends there (a prefix that
 * stops before the token fails only for running out of input). Cold path: ~log2(length) parses.
 */
function badTokenAt(text: string): number {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (quotesInput(text.slice(0, mid))) hi = mid - 1;
    else lo = mid;
  }
  return lo;
}
