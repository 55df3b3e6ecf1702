import t from "tap";
import { decodePatch, decodePatchWords } from "../../syscalls/mod.ts";

t.test("decodePatch() reads the policy file syntax", async (t) => {
  t.same(decodePatch("+FsBasic"), { ok: true, value: { type: "AddCapability", capability: "FsBasic" } });
  t.same(decodePatch(" -Capture \n"), { ok: true, value: { type: "RemoveCapability", capability: "Capture" } });
  t.same(decodePatch("restart 5"), { ok: true, value: { type: "EnableAutoRestart", max_restarts: 5 } });
  t.same(decodePatch("norestart"), { ok: true, value: { type: "DisableAutoRestart" } });
  t.same(decodePatch("scope path=/x max_file_size=10 max_ops_per_sec=3"), {
    ok: true,
    value: { type: "UpdateScope", scope: { path_prefix: "/x", max_file_size: 10, max_ops_per_sec: 3 } },
  });
  t.same(decodePatch("scope"), { ok: true, value: { type: "UpdateScope", scope: {} } }, "bare scope clears it");
});

t.test("decodePatch() splits words as sh does", async (t) => {
  t.same(decodePatch("scope path='/srv/my dir' max_ops_per_sec=3"), { ok: true, value: { type: "UpdateScope", scope: { path_prefix: "/srv/my dir", max_ops_per_sec: 3 } } });
  t.same(decodePatch(`scope "path=/srv/it's" max_file_size="10"`), { ok: true, value: { type: "UpdateScope", scope: { path_prefix: "/srv/it's", max_file_size: 10 } } });
  t.same(decodePatch("scope path=/a\\ b"), { ok: true, value: { type: "UpdateScope", scope: { path_prefix: "/a b" } } });
  t.same(decodePatch("'+FsBasic'"), { ok: true, value: { type: "AddCapability", capability: "FsBasic" } });
  t.same(decodePatch("scope path='/srv"), { ok: false, reason: "unterminated single quote: the ' at character 12 is never closed" });
  t.same(decodePatchWords(["scope", "path=/srv/my dir"]), { ok: true, value: { type: "UpdateScope", scope: { path_prefix: "/srv/my dir" } } });
});

t.test("decodePatch() explains what it expected", async (t) => {
  const bad: [string, RegExp][] = [
    ["", /empty patch/],
    ["+Teleport", /unknown capability "Teleport"/],
    ["+FsBasic extra", /expected \+Cap/],
    ["restart", /max_restarts/],
    ["restart 70000", /0-65535/],
    ["restart -1", /max_restarts/],
    ["norestart now", /no arguments/],
    ["scope path=relative", /absolute path/],
    ["scope max_file_size=big", /non-negative integer/],
    ["scope color=red", /scope key "color"/],
    ["scope =x", /key=value/],
  ];
  for (const [text, why] of bad) {
    const r = decodePatch(text);
    t.equal(r.ok, false, `"${text}" refused`);
    if (!r.ok) t.match(r.reason, why);
  }
});

t.test("decodePatch() reads the sandbox's scope keys: docs and net", async (t) => {
  t.same(decodePatch("scope docs=/srv/manuals,/srv/specs"), { ok: true, value: { type: "UpdateScope", scope: { docs: ["/srv/manuals", "/srv/specs"] } } });
  t.same(decodePatch("scope net=API.example.com,*.pypi.org:443"), { ok: true, value: { type: "UpdateScope", scope: { net: "api.example.com,*.pypi.org:443" } } });
  t.same(decodePatch("scope net="), { ok: true, value: { type: "UpdateScope", scope: { net: "" } } }, "an empty allowlist allows nothing");
  for (const [text, why] of [
    ["scope docs=relative/path", /absolute paths/],
    ["scope docs=", /absolute paths/],
    ["scope net=exa..mple.com", /scope net/],
    ["scope net=host:99999", /scope net/],
  ] as const) {
    const r = decodePatch(text);
    t.equal(r.ok, false, `"${text}" refused`);
    if (!r.ok) t.match(r.reason, why);
  }
});
