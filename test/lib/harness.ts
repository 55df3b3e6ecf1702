import { AgentSupervisor, createManualClock, createSeededRandom, type ManualClock } from "../../lib/mod.ts";

/** A supervisor on a manual clock and a seeded random source: every figure is reproducible. */
export function createTestSupervisor(seed = 1): { sup: AgentSupervisor; clock: ManualClock } {
  const clock = createManualClock();
  const sup = new AgentSupervisor({ clock, random: createSeededRandom(seed) });
  return { sup, clock };
}
