/**
 * Resource limits (SPEC §3). `0` in a field means "no limit" (what SIS's `unlimited` does
 * with `u64::MAX`); keeping 0 lets limits live in a Float64Array without sentinels.
 */
export interface ResourceLimits {
  cpu_quota_us: number;
  memory_limit_bytes: number;
  syscall_rate_limit: number;
  watchdog_timeout_us: number;
}

export const LIMIT_FIELDS = [
  "cpu_quota_us",
  "memory_limit_bytes",
  "syscall_rate_limit",
  "watchdog_timeout_us",
] as const satisfies readonly (keyof ResourceLimits)[];
export type LimitField = (typeof LIMIT_FIELDS)[number];

/** A limit's column in the limit table: `limits.at(slot, LIMIT.cpu_quota_us)`. */
export const LIMIT = { cpu_quota_us: 0, memory_limit_bytes: 1, syscall_rate_limit: 2, watchdog_timeout_us: 3 } as const satisfies Record<LimitField, number>;
export type LimitIndex = (typeof LIMIT)[LimitField];
for (const f of LIMIT_FIELDS) if (LIMIT_FIELDS[LIMIT[f]] !== f) throw new Error("Cannot load limits: LIMIT must follow LIMIT_FIELDS");

export const LIMIT_PRESETS: Readonly<Record<"conservative" | "unlimited", Readonly<ResourceLimits>>> = {
  conservative: {
    cpu_quota_us: 1_000_000,
    memory_limit_bytes: 104_857_600,
    syscall_rate_limit: 1000,
    watchdog_timeout_us: 30_000_000,
  },
  unlimited: { cpu_quota_us: 0, memory_limit_bytes: 0, syscall_rate_limit: 0, watchdog_timeout_us: 0 },
};
export type LimitPresetName = keyof typeof LIMIT_PRESETS;
