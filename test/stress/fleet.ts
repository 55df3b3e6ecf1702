import { writeFile } from "node:fs/promises";

/** The crash-looping fleet of the stress tests: ids FIRST…FIRST+n-1. */
export const FIRST = 1000;

/**
 * `n` agents that each run `sleep <lifeS>` and exit 3, restarted for ever with a short
 * backoff, so the daemon spawns, reaps and restarts continuously.
 */
export async function crashLoopFleet(path: string, n: number, lifeS = 1): Promise<void> {
  const lines = ["version: 1", "defaults:", "  restart_backoff: { base_ms: 100, cap_ms: 400 }", "agents:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - { name: loop${i}, agent_id: ${FIRST + i}, command: sh, args: ["-c", "sleep ${lifeS}; exit 3"], auto_restart: true, max_restarts: 65535, capabilities: [FsBasic] }`);
  }
  await writeFile(path, lines.join("\n") + "\n");
}

/** `n` quiet long-running agents (sleep), for kill bursts and re-adoption. */
export async function sleeperFleet(path: string, n: number, first = FIRST): Promise<void> {
  const lines = ["version: 1", "defaults:", "  restart_backoff: { base_ms: 100, cap_ms: 400 }", "agents:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - { name: sleeper${i}, agent_id: ${first + i}, command: sleep, args: ["100000"], auto_restart: true, max_restarts: 65535, capabilities: [FsBasic] }`);
  }
  await writeFile(path, lines.join("\n") + "\n");
}
