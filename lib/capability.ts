/**
 * Capabilities, in ABI order (index = the value carried by syscall 501's arg1). SIS values 0–5
 * are fixed; agentsys extensions start at 6 and are never renumbered.
 */
export const CAPABILITY_NAMES = [
  "FsBasic",
  "AudioControl",
  "DocBasic",
  "Capture",
  "Screenshot",
  "Admin",
  "NetClient",
  "LlmAccess",
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export const CAP = {
  FsBasic: 0,
  AudioControl: 1,
  DocBasic: 2,
  Capture: 3,
  Screenshot: 4,
  Admin: 5,
  NetClient: 6,
  LlmAccess: 7,
} as const;

export const CAP_COUNT = CAPABILITY_NAMES.length;
export const ADMIN_BIT = 1 << CAP.Admin;

const BY_NAME = new Map<string, number>(CAPABILITY_NAMES.map((n, i) => [n, i]));

/** Capability index for a name (exact, case-sensitive as in SIS), or -1. */
export function capabilityIndex(name: string): number {
  return BY_NAME.get(name) ?? -1;
}

/** Bitmask for a list of names; -1 when a name is unknown (the caller reports which). */
export function capabilityMask(names: readonly string[]): number {
  let mask = 0;
  for (let i = 0; i < names.length; i++) {
    const idx = BY_NAME.get(names[i]);
    if (idx === undefined) return -1;
    mask |= 1 << idx;
  }
  return mask;
}

/** Names of the bits set in `mask`, in ABI order. */
export function capabilityNames(mask: number): CapabilityName[] {
  const out: CapabilityName[] = [];
  for (let i = 0; i < CAP_COUNT; i++) if (mask & (1 << i)) out.push(CAPABILITY_NAMES[i]);
  return out;
}

/** Number of bits set (SIS prints "Capabilities: {n} total"). */
export function capabilityCount(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) n++;
  return n;
}
