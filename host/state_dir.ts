import { chmodSync, chownSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from "node:fs";

/**
 * The state directory's modes (SPEC §9, Secrets): the journal holds every agent's spec with its
 * environment, and agents print what they like into their logs, so like `/proc/<pid>/environ`
 * it is for the daemon's owner only — directories 0700, files 0600 — or, with a read group
 * (`up --read-group`, as the systemd journal has `adm`), 0750 and 0640 owned by that group.
 * Runs before anything is written: a directory made wider by hand or by an older version is
 * put right, and `log` says what was changed. Synchronous: this is the state directory, never
 * the mount.
 */
export interface StateDirOptions {
  readGid?: number;
  /** Create the journal's file with its mode before SQLite does (its -wal and -shm copy it). */
  journal?: string;
  log?: (line: string) => void;
}

export function secureStateDir(dir: string, options: StateDirOptions = {}): void {
  const { readGid, log = () => {} } = options;
  const dirMode = readGid === undefined ? 0o700 : 0o750;
  const fileMode = stateFileMode(readGid);
  mkdirSync(`${dir}/logs`, { recursive: true, mode: dirMode });
  if (options.journal) closeSync(openSync(`${dir}/${options.journal}`, "a", fileMode));
  const fixed: string[] = [];
  const put = (path: string, mode: number) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return; // never follow a link planted in the directory
    if ((st.mode & 0o777) !== mode) {
      fixed.push(`${path} ${(st.mode & 0o777).toString(8).padStart(4, "0")} → ${mode.toString(8).padStart(4, "0")}`);
      chmodSync(path, mode);
    }
    if (readGid !== undefined && st.gid !== readGid) chownSync(path, st.uid, readGid);
  };
  put(dir, dirMode);
  for (const name of readdirSync(dir)) {
    const path = `${dir}/${name}`;
    const st = lstatSync(path);
    if (st.isDirectory()) {
      put(path, dirMode);
      for (const inner of readdirSync(path)) if (lstatSync(`${path}/${inner}`).isFile()) put(`${path}/${inner}`, fileMode);
    } else if (st.isFile()) put(path, fileMode);
  }
  if (fixed.length > 0) {
    const shown = fixed.slice(0, 5).join(", ") + (fixed.length > 5 ? `, and ${fixed.length - 5} more` : "");
    log(`state directory ${dir}: modes were wider than ${readGid === undefined ? "owner-only" : "owner + read group"}; fixed: ${shown}`);
  }
}

/** The mode of every file in the state directory (the journal, logs, the pid file, the key). */
export function stateFileMode(readGid: number | undefined): number {
  return readGid === undefined ? 0o600 : 0o640;
}
