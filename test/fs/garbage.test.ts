import t from "tap";
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { startDaemon } from "./daemon.ts";

/** A short smoke of the fuzzing (test/stress/mount_fuzz.test.ts): random bytes never crash the daemon. */
t.test("random bytes written to every control file are refused, and the daemon keeps serving", async (t) => {
  const d = await startDaemon(t);
  await d.sh('echo "spawn 100 a FsBasic -- sleep 1000" > "$M/ctl"');
  const files = ["ctl", "syscall", "limits", "recovery", "agents/100/policy", "agents/100/ctl"];
  let refused = 0;
  let accepted = 0;
  for (let i = 0; i < 600; i++) {
    const file = files[i % files.length];
    const len = [0, 1, 7, 31, 32, 33, 100, 4096, 70_000][i % 9];
    const bytes = randomBytes(len);
    if (file === "syscall" && len >= 32 && i % 3 === 0) bytes.write("ASYS", 0, "latin1"); // get past the magic now and then
    const fh = await open(`${d.mount}/${file}`, "r+").catch(() => open(`${d.mount}/${file}`, "w"));
    try {
      await fh.write(bytes, 0, bytes.length);
      accepted++;
    } catch {
      refused++;
    } finally {
      await fh.close();
    }
  }
  t.ok(refused > 400, `${refused} random writes refused, ${accepted} accepted (empty writes and the like)`);
  t.equal(d.child.exitCode, null, "daemon alive");
  const r = await d.sh('cat "$M/status"');
  t.equal(r.code, 0);
  t.match(r.stdout, /Active Agents: {3}1\n/, "the agent is untouched");
  t.match((await d.sh('cat "$M/agents/100/policy"')).stdout, /Capability list: FsBasic\n/);
});
