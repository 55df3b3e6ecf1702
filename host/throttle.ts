import type { AgentSupervisor } from "../lib/mod.ts";
import type { CgroupV1 } from "./cgroup_v1.ts";

/** Soft throttle: a SIGSTOP/SIGCONT duty cycle with this period. */
const THROTTLE_PERIOD_MS = 100;

/**
 * The Throttle action (SPEC §4) carried out: a real CPU cap in the agent's cgroup where one is
 * writable (`cpu.cfs_quota_us`), else a SIGSTOP/SIGCONT duty cycle of its process group. The
 * cap is the agent's `cpu_quota_us` per second, or half a CPU when the quota is none or a whole
 * CPU (the syscall-flood case, where CPU is not what was breached).
 */
export class Throttle {
  readonly #sup: AgentSupervisor;
  readonly #cgroup: CgroupV1 | null;
  readonly #signal: (id: number, sig: NodeJS.Signals) => void;
  readonly #log: (line: string) => void;
  /** Throttled agents: the duty cycle's timer, or a marker timer under a cgroup cap. */
  readonly #active = new Map<number, ReturnType<typeof setInterval>>();

  constructor(sup: AgentSupervisor, cgroup: CgroupV1 | null, signal: (id: number, sig: NodeJS.Signals) => void, log: (line: string) => void) {
    this.#sup = sup;
    this.#cgroup = cgroup;
    this.#signal = signal;
    this.#log = log;
  }

  /** Agents being throttled now. */
  ids(): number[] {
    return [...this.#active.keys()];
  }

  start(id: number): void {
    if (this.#active.has(id)) return;
    const quota = this.#sup.limits.of(id)?.cpu_quota_us ?? 0;
    const share = quota > 0 && quota < 1_000_000 ? quota / 1_000_000 : 0.5;
    if (this.#cgroup?.cpuRoot) {
      const cg = this.#cgroup;
      const marker = setInterval(() => {}, 1 << 30); // marks "throttled"; no duty cycle needed
      marker.unref();
      this.#active.set(id, marker);
      void cg.setQuota(id, share).then((ok) => {
        if (!ok) this.#log(`agent ${id}: cgroup throttle failed`);
      });
      this.#log(`agent ${id}: throttled to ${Math.round(share * 100)} % of a CPU (cgroup cpu.cfs_quota_us)`);
      return;
    }
    const runMs = Math.max(1, Math.round(THROTTLE_PERIOD_MS * share));
    const timer = setInterval(() => {
      this.#signal(id, "SIGCONT");
      const stopper = setTimeout(() => {
        if (this.#active.get(id) === timer) this.#signal(id, "SIGSTOP");
      }, runMs);
      stopper.unref();
    }, THROTTLE_PERIOD_MS);
    timer.unref();
    this.#active.set(id, timer);
    this.#signal(id, "SIGSTOP");
    this.#log(`agent ${id}: throttled to ${Math.round(share * 100)} % of a CPU (SIGSTOP/SIGCONT duty cycle)`);
  }

  /** Lift the throttle; `resume` continues a stopped group (not wanted when it is being killed). */
  end(id: number, resume: boolean): void {
    const timer = this.#active.get(id);
    if (!timer) return;
    clearInterval(timer);
    this.#active.delete(id);
    if (this.#cgroup?.cpuRoot) {
      // Lifted even without `resume`: a restarted process joins the same group.
      void this.#cgroup.setQuota(id, null);
      return;
    }
    if (resume) this.#signal(id, "SIGCONT");
  }
}
