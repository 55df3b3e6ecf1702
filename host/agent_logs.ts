import { closeSync, fchownSync, fstatSync, openSync, readSync } from "node:fs";
import { chown, copyFile, readdir, stat, truncate } from "node:fs/promises";
import { stateFileMode } from "./state_dir.ts";

/**
 * Per-agent output files in the state directory: `<dir>/logs/<id>.log`, stdout and stderr
 * together. The agent writes to the file itself (the daemon hands it an O_APPEND descriptor),
 * so output costs the daemon nothing per line and an agent outlives its daemon without a
 * broken pipe. Rotation is logrotate's copytruncate: past `maxBytes` the file is copied to
 * `<id>.log.1` and truncated (lines written during the copy can be lost; O_APPEND writers
 * continue at the new end). The files are on the state directory, never on the mount, so the
 * short synchronous calls here cannot deadlock the daemon. Agents print what they like, secrets
 * included, so the files are the owner's only (0600), or 0640 with the read group (SPEC §9).
 */
export class AgentLogs {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #readGid: number | undefined;

  constructor(dir: string, maxBytes = 1 << 20, readGid?: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.#readGid = readGid;
  }

  path(id: number): string {
    return `${this.dir}/${id}.log`;
  }

  /** An append descriptor for the agent's output; the caller closes it after spawning. */
  open(id: number): number {
    const fd = openSync(this.path(id), "a", stateFileMode(this.#readGid));
    if (this.#readGid !== undefined) fchownSync(fd, fstatSync(fd).uid, this.#readGid);
    return fd;
  }

  /** The last `lines` lines (from at most the last 64 KiB). */
  tail(id: number, lines = 200): string {
    let fd: number;
    try {
      fd = openSync(this.path(id), "r");
    } catch {
      return "";
    }
    try {
      const size = fstatSync(fd).size;
      const n = Math.min(size, 65536);
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, size - n);
      let text = buf.toString("utf8");
      if (n < size) text = text.slice(text.indexOf("\n") + 1); // drop a partial first line
      const all = text.split("\n");
      const last = all[all.length - 1] === "" ? all.slice(0, -1) : all;
      return last.length === 0 ? "" : last.slice(-lines).join("\n") + "\n";
    } finally {
      closeSync(fd);
    }
  }

  /** Rotate every file over the limit (called from the sampling loop). */
  async rotate(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) {
      if (!n.endsWith(".log")) continue;
      const p = `${this.dir}/${n}`;
      const st = await stat(p).catch(() => null);
      if (!st || st.size <= this.maxBytes) continue;
      await copyFile(p, `${p}.1`).catch(() => {}); // the copy gets the file's mode
      if (this.#readGid !== undefined) await chown(`${p}.1`, st.uid, this.#readGid).catch(() => {});
      await truncate(p, 0).catch(() => {});
    }
  }
}
