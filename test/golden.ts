import { readFile, writeFile } from "node:fs/promises";
import type { Test } from "tap";

const GOLDEN = new URL("../fixtures/golden/", import.meta.url);

/** Compare with fixtures/golden/<name>; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
export async function golden(t: Test, name: string, actual: string): Promise<void> {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === "1") await writeFile(file, actual);
  t.equal(actual, await readFile(file, "utf8"), `${name} is byte-exact`);
}
