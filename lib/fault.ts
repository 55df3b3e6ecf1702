/**
 * The seven SIS faults. In the core a fault is three numbers and an optional string
 * (`kind`, `a`, `b`, `text`) so it can sit in typed-array rings; `Fault` objects exist only at
 * the edges (reports in, JSON out).
 */
export const FAULT = {
  CpuQuotaExceeded: 0,
  MemoryExceeded: 1,
  SyscallFlood: 2,
  Crashed: 3,
  CapabilityViolation: 4,
  Unresponsive: 5,
  PolicyViolation: 6,
} as const;
export type FaultKind = (typeof FAULT)[keyof typeof FAULT];
export const FAULT_COUNT = 7;

export const FAULT_NAMES = [
  "CpuQuotaExceeded",
  "MemoryExceeded",
  "SyscallFlood",
  "Crashed",
  "CapabilityViolation",
  "Unresponsive",
  "PolicyViolation",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export const SEVERITY = { Low: 0, Medium: 1, High: 2, Critical: 3 } as const;
export const SEVERITY_NAMES = ["Low", "Medium", "High", "Critical"] as const;

/** Severity per fault kind (SPEC §3). */
export const FAULT_SEVERITY: readonly number[] = [
  SEVERITY.Medium, // CpuQuotaExceeded
  SEVERITY.High, // MemoryExceeded
  SEVERITY.Medium, // SyscallFlood
  SEVERITY.Critical, // Crashed
  SEVERITY.Critical, // CapabilityViolation
  SEVERITY.High, // Unresponsive
  SEVERITY.High, // PolicyViolation
];

/** SIS payload field names per kind; `[a, b]`, or `[text]` for the string-carrying kinds. */
export const FAULT_FIELDS: readonly (readonly string[])[] = [
  ["used", "quota"],
  ["used", "limit"],
  ["rate", "threshold"],
  ["signal"],
  ["attempted"],
  ["idle_time", "threshold"],
  ["reason"],
];

/** A fault as reported from outside and as rendered in JSON (SIS externally tagged enum). */
export type Fault =
  | { type: "CpuQuotaExceeded"; used: number; quota: number }
  | { type: "MemoryExceeded"; used: number; limit: number }
  | { type: "SyscallFlood"; rate: number; threshold: number }
  | { type: "Crashed"; signal: number }
  | { type: "CapabilityViolation"; attempted: string }
  | { type: "Unresponsive"; idle_time: number; threshold: number }
  | { type: "PolicyViolation"; reason: string };

/** Flatten a `Fault` to the core's (kind, a, b, text) form. */
export function faultParts(f: Fault): { kind: FaultKind; a: number; b: number; text: string } {
  switch (f.type) {
    case "CpuQuotaExceeded":
      return { kind: FAULT.CpuQuotaExceeded, a: f.used, b: f.quota, text: "" };
    case "MemoryExceeded":
      return { kind: FAULT.MemoryExceeded, a: f.used, b: f.limit, text: "" };
    case "SyscallFlood":
      return { kind: FAULT.SyscallFlood, a: f.rate, b: f.threshold, text: "" };
    case "Crashed":
      return { kind: FAULT.Crashed, a: f.signal, b: 0, text: "" };
    case "CapabilityViolation":
      return { kind: FAULT.CapabilityViolation, a: 0, b: 0, text: f.attempted };
    case "Unresponsive":
      return { kind: FAULT.Unresponsive, a: f.idle_time, b: f.threshold, text: "" };
    case "PolicyViolation":
      return { kind: FAULT.PolicyViolation, a: 0, b: 0, text: f.reason };
  }
}

/** Rebuild a `Fault` object from the core's flat form (cold path: renderers). */
export function faultFromParts(kind: number, a: number, b: number, text: string): Fault {
  switch (kind) {
    case FAULT.CpuQuotaExceeded:
      return { type: "CpuQuotaExceeded", used: a, quota: b };
    case FAULT.MemoryExceeded:
      return { type: "MemoryExceeded", used: a, limit: b };
    case FAULT.SyscallFlood:
      return { type: "SyscallFlood", rate: a, threshold: b };
    case FAULT.Crashed:
      return { type: "Crashed", signal: a };
    case FAULT.CapabilityViolation:
      return { type: "CapabilityViolation", attempted: text };
    case FAULT.Unresponsive:
      return { type: "Unresponsive", idle_time: a, threshold: b };
    default:
      return { type: "PolicyViolation", reason: text };
  }
}

/** SIS JSON form: `{"Crashed":{"signal":11}}`. */
export function faultJson(kind: number, a: number, b: number, text: string): Record<string, unknown> {
  const f = faultFromParts(kind, a, b, text);
  const { type, ...payload } = f;
  return { [type]: payload };
}

/** One-line human description (the `metrics <id>` "Recent Faults" list). */
export function describeFault(kind: number, a: number, b: number, text: string): string {
  switch (kind) {
    case FAULT.CpuQuotaExceeded:
      return `CPU quota exceeded: ${a} us used, quota ${b} us`;
    case FAULT.MemoryExceeded:
      return `Memory exceeded: ${a} bytes used, limit ${b} bytes`;
    case FAULT.SyscallFlood:
      return `Syscall flood: ${a}/sec, threshold ${b}/sec`;
    case FAULT.Crashed:
      return `Crashed with signal ${a}`;
    case FAULT.CapabilityViolation:
      return `Capability violation: attempted ${text}`;
    case FAULT.Unresponsive:
      return `Unresponsive: idle ${a} us, threshold ${b} us`;
    default:
      return `Policy violation: ${text}`;
  }
}
