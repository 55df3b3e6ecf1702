/**
 * Prints the fleet file's JSON Schema (docs/fleet.schema.json), generated from the TypeBox
 * schema the loader validates with, so the two cannot drift (a test compares them).
 * `npm run schema` rewrites the file.
 */
import { Fleet } from "../syscalls/mod.ts";

export function fleetJsonSchema(): string {
  return JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", ...Fleet }, null, 2) + "\n";
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) process.stdout.write(fleetJsonSchema());
