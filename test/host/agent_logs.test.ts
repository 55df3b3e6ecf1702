import t from "tap";
import { closeSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AgentLogs } from "../../host/agent_logs.ts";

t.test("AgentLogs: append descriptors, tail, copytruncate rotation", async (t) => {
  const dir = t.testdir({});
  const logs = new AgentLogs(dir, 100);
  t.equal(logs.tail(1), "", "no file yet");
  const fd = logs.open(1);
  for (let i = 1; i <= 30; i++) writeSync(fd, `line ${i}\n`);
  t.equal(logs.tail(1, 3), "line 28\nline 29\nline 30\n");
  await logs.rotate();
  t.match(await readFile(`${dir}/1.log.1`, "utf8"), /^line 1\n[\s\S]*line 30\n$/, "old content kept in .1");
  t.equal(logs.tail(1), "", "current file truncated");
  writeSync(fd, "after rotation\n"); // the writer's O_APPEND descriptor keeps working
  closeSync(fd);
  t.equal(logs.tail(1), "after rotation\n");
});
