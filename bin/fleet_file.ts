import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { FleetError, loadFleet, type FleetPlan } from "../syscalls/mod.ts";
import { UsageError } from "./cli.ts";

/** Read and check a fleet file; a bad file is a usage error (exit 2) naming line and field. */
export async function readFleet(path: string): Promise<FleetPlan> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (e) {
    throw new UsageError(`fleet file ${path}: ${(e as Error).message}`);
  }
  try {
    return loadFleet(text, path, dirname(abs));
  } catch (e) {
    if (e instanceof FleetError) throw new UsageError(e.message);
    throw e;
  }
}
