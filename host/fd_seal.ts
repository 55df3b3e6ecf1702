import type { StdioOptions } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";

/**
 * stdio for a child with every descriptor the daemon holds without close-on-exec replaced by
 * /dev/null. libfuse 2 leaves /dev/fuse and the auto_unmount socket inheritable: an agent
 * holding them could speak the FUSE protocol, and would keep the mount alive after the daemon
 * dies (fusermount waits for the socket to close). Node cannot set FD_CLOEXEC, but a stdio
 * entry at index N makes libuv dup2 over fd N in the child. Rescanned once a second, or at
 * once after `rescan()` (the daemon opened descriptors children must not inherit).
 */
export class ChildFdSeal {
  #devNull = -1;
  #cached: { at: number; value: StdioOptions } = { at: 0, value: "ignore" };

  rescan(): void {
    this.#cached = { at: 0, value: this.#cached.value };
  }

  stdio(): StdioOptions {
    const now = Date.now();
    if (now - this.#cached.at < 1000) return this.#cached.value;
    if (this.#devNull < 0) this.#devNull = openSync("/dev/null", "r+");
    const leaky: number[] = [];
    try {
      for (const name of readdirSync("/proc/self/fdinfo")) {
        const fd = Number(name);
        if (!(fd > 2) || fd === this.#devNull) continue;
        const info = readFileSync(`/proc/self/fdinfo/${name}`, "utf8");
        const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(info)?.[1] ?? "2000000", 8);
        if (!(flags & 0o2000000)) leaky.push(fd); // no O_CLOEXEC
      }
    } catch {
      /* no procfs: nothing to seal */
    }
    const max = leaky.length > 0 ? Math.max(...leaky) : 2;
    const stdio: (number | "ignore" | "pipe")[] = ["ignore", "ignore", "ignore"];
    for (let fd = 3; fd <= max; fd++) stdio.push(leaky.includes(fd) ? this.#devNull : "ignore");
    this.#cached = { at: now, value: stdio };
    return stdio;
  }
}
