import t from "tap";
import { agentsys } from "../cli/cli.ts";
import { startDaemon } from "./daemon.ts";

/**
 * What only the /dev/fuse backend does (the rest of the fs suite runs on it with
 * AGENTSYS_BACKEND=devfuse): the caller's uid in the audit trail, ENOSYS for what the tree
 * does not implement, statfs.
 */
t.test("devfuse backend: caller identity in the audit trail, ENOSYS, statfs", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse"]);
  t.equal((await d.sh('echo "spawn 100 a FsBasic -- sleep 1000" > "$M/ctl"')).code, 0);
  const audit = await agentsys(["audit", "--agent", "100", "--state", `${d.mount}-state`, "--json"]);
  const write = audit.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.action === "write");
  t.equal(write?.uid, 0, "the writer's uid, from the request header");
  const mk = await d.sh('mkdir "$M/x" 2>&1; mkfifo "$M/y" 2>&1');
  t.match(mk.stdout, /Function not implemented/, "unknown opcodes are ENOSYS");
  t.equal((await d.sh('df "$M" >/dev/null')).code, 0, "statfs answers");
  t.equal((await d.sh('cat "$M/status" >/dev/null')).code, 0, "and the tree still serves");
});
