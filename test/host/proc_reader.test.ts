import t from "tap";
import { parseIoSyscalls, parseProcStat } from "../../host/proc_reader.ts";

t.test("parseProcStat() reads ppid, pgrp, CPU and RSS, even with spaces and ')' in the name", async (t) => {
  // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  //         utime stime cutime cstime prio nice threads itreal starttime vsize rss …
  const line = "4242 (my (odd) agent) S 1 4242 4242 0 -1 4194560 100 0 0 0 12 3 4 1 20 0 1 0 500 1000000 256 18446744073709551615";
  t.same(parseProcStat(line), { state: "S", ppid: 1, pgrp: 4242, cpuUs: (12 + 3 + 4 + 1) * 10_000, rssBytes: 256 * 4096, starttime: 500 });
});

t.test("parseIoSyscalls() adds syscr and syscw", async (t) => {
  t.equal(parseIoSyscalls("rchar: 1\nwchar: 2\nsyscr: 30\nsyscw: 12\nread_bytes: 0\n"), 42);
  t.equal(parseIoSyscalls(""), 0);
});
