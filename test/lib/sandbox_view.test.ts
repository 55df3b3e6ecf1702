import t from "tap";
import { CAP, compareViews, isBeneath, sandboxView } from "../../lib/mod.ts";

const bit = (...caps: number[]) => caps.reduce((m, c) => m | (1 << c), 0);

t.test("sandboxView(): what each capability and scope key binds", async (t) => {
  t.same(sandboxView(0, {}, "/w"), { writable: [], readable: ["/w"], devices: [], maxFileSize: 0 }, "no capability: the working directory read-only");
  t.same(sandboxView(bit(CAP.FsBasic), {}, "/w"), { writable: ["/w"], readable: [], devices: [], maxFileSize: 0 }, "FsBasic: the working directory read-write by default");
  t.same(sandboxView(bit(CAP.FsBasic), { path_prefix: "/srv/a", max_file_size: 10 }, "/w"), { writable: ["/srv/a"], readable: ["/w"], devices: [], maxFileSize: 10 });
  t.same(sandboxView(bit(CAP.FsBasic), { path_prefix: "/w" }, "/w/sub"), { writable: ["/w"], readable: [], devices: [], maxFileSize: 0 }, "a cwd beneath the scope is not bound twice");
  t.same(sandboxView(bit(CAP.DocBasic), { docs: ["/d1", "/d2"] }, "/w").readable, ["/w", "/d1", "/d2"]);
  t.same(sandboxView(0, { docs: ["/d1"] }, "/w").readable, ["/w"], "docs without DocBasic bind nothing");
  t.same(sandboxView(bit(CAP.AudioControl, CAP.Capture, CAP.Screenshot), {}, "/w").devices, ["snd", "video", "display"]);
  t.same(sandboxView(bit(CAP.NetClient, CAP.Admin), {}, "/w").devices, [], "the network is the proxy's, not the view's");
});

t.test("compareViews(): narrower restarts, wider waits", async (t) => {
  const fs = sandboxView(bit(CAP.FsBasic), { path_prefix: "/srv/a" }, "/w");
  const none = sandboxView(0, {}, "/w");
  t.same(compareViews(fs, none), { narrower: ["write under /srv/a"], wider: [] });
  t.same(compareViews(none, fs), { narrower: [], wider: ["write under /srv/a"] });
  t.same(compareViews(fs, fs), { narrower: [], wider: [] });
  const sub = sandboxView(bit(CAP.FsBasic), { path_prefix: "/srv/a/b" }, "/w");
  t.same(compareViews(fs, sub).narrower, ["write under /srv/a"], "a narrower path is narrower");
  t.same(compareViews(sub, fs).wider, ["write under /srv/a"]);
  t.same(compareViews(sandboxView(0, { max_file_size: 100 }, "/w"), sandboxView(0, { max_file_size: 10 }, "/w")).narrower, ["files over 10 bytes"]);
  t.same(compareViews(sandboxView(0, {}, "/w"), sandboxView(0, { max_file_size: 10 }, "/w")).narrower, ["files over 10 bytes"]);
  t.same(compareViews(sandboxView(bit(CAP.Capture), {}, "/w"), none).narrower, ["device video"]);
});

t.test("isBeneath() compares whole components", async (t) => {
  t.ok(isBeneath("/srv/a", "/srv/a"));
  t.ok(isBeneath("/srv/a/b", "/srv/a/"));
  t.notOk(isBeneath("/srv/ab", "/srv/a"));
  t.ok(isBeneath("/x", "/"));
});
