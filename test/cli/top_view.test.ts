import t from "tap";
import { agentsJson } from "../../lib/mod.ts";
import { formatBytes, formatUptime, renderTop } from "../../bin/top_view.ts";
import { golden } from "../golden.ts";
import { buildScenario } from "../lib/scenario.ts";

process.env.TZ = "UTC";

t.test("renderTop(): system line, sorted rows with CPU bars, recent events", async (t) => {
  const all = agentsJson(buildScenario());
  const events = ["1 0 Spawn 100 pid=4100", "2 0 Spawn 101 pid=4101", "3 5 Exit 100 code=-11 signal=11"];
  const now = new Date("2026-11-29T12:34:56Z");
  const text = renderTop(all, { sort: "c", rows: Infinity, events, now });
  await golden(t, "cli/top.txt", text);
  const rows = text.split("\n").slice(4, 7).map((l) => l.trim().split(/\s+/)[0]);
  t.same(rows, ["100", "101", "102"], "by CPU, highest first");
  const byName = renderTop(all, { sort: "n", rows: Infinity, events, now }).split("\n").slice(4, 7).map((l) => l.trim().split(/\s+/)[1]);
  t.same(byName, ["planner", "researcher-with-", "screen-reader"]);
  const small = renderTop(all, { sort: "i", rows: 9, events, now });
  t.match(small, /… 2 more/, "cut to the terminal's rows, with a count");
  t.match(renderTop({ ...all, agents: [] }, { sort: "c", rows: Infinity, events: [], now }), /No active agents\n\nRecent events:\n {2}\(none\)\n$/);
});

t.test("units: bytes and uptimes as top shows them", async (t) => {
  t.same([formatBytes(512), formatBytes(1536), formatBytes(52_428_800), formatBytes(3 * 2 ** 30)], ["512B", "1.5K", "50M", "3.0G"]);
  t.same([formatUptime(0), formatUptime(5e6), formatUptime(125e6), formatUptime(7200e6 + 60e6), formatUptime(90_000e6)], ["-", "5s", "2m05s", "2h01m", "1d01h"]);
});
