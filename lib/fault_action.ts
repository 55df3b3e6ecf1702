import { FAULT_COUNT } from "./fault.ts";

/** Recovery actions (SPEC §3), as codes. */
export const ACTION = { Kill: 0, Throttle: 1, Restart: 2, Alert: 3 } as const;
export type ActionCode = (typeof ACTION)[keyof typeof ACTION];
export const ACTION_NAMES = ["Kill", "Throttle", "Restart", "Alert"] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Action per fault kind, indexed by `FAULT` code. */
export type RecoveryActions = readonly ActionCode[];

/** Presets of SPEC §3: `default` per fault kind, `permissive` all Alert, `strict` all Kill. */
export const RECOVERY_PRESETS: Readonly<Record<"default" | "permissive" | "strict", RecoveryActions>> = {
  default: [
    ACTION.Throttle, // CpuQuotaExceeded
    ACTION.Kill, // MemoryExceeded
    ACTION.Throttle, // SyscallFlood
    ACTION.Restart, // Crashed
    ACTION.Kill, // CapabilityViolation
    ACTION.Restart, // Unresponsive
    ACTION.Kill, // PolicyViolation
  ],
  permissive: new Array<ActionCode>(FAULT_COUNT).fill(ACTION.Alert),
  strict: new Array<ActionCode>(FAULT_COUNT).fill(ACTION.Kill),
};
export type RecoveryPresetName = keyof typeof RECOVERY_PRESETS;

/** Action code for a name, or -1. */
export function actionIndex(name: string): number {
  return (ACTION_NAMES as readonly string[]).indexOf(name);
}
