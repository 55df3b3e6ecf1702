/** Where things live (SPEC §1): flags beat the environment, which beats the defaults. */
export function defaultMountpoint(env: Record<string, string | undefined> = process.env): string {
  if (env.AGENTSYS_ROOT) return env.AGENTSYS_ROOT;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  if (uid === 0) return "/run/agentsys";
  return `${env.XDG_RUNTIME_DIR || "/tmp"}/agentsys-${uid}`;
}

/** The state directory (SPEC §1): flag, else /var/lib/agentsys for root, else XDG state. */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  if (uid === 0) return "/var/lib/agentsys";
  return `${env.XDG_STATE_HOME || `${env.HOME ?? "/tmp"}/.local/state`}/agentsys`;
}

/** Strict flag parsing: known flags only; `--flag value` and `--flag=value`. */
export function parseFlags(args: string[], spec: Record<string, "string" | "boolean">): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) throw Object.assign(new Error(`unexpected argument "${a}"`), { name: "UsageError" });
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw Object.assign(new Error(`unknown flag "--${name}"`), { name: "UsageError" });
    if (kind === "boolean") {
      if (eq >= 0) throw Object.assign(new Error(`flag "--${name}" takes no value`), { name: "UsageError" });
      out[name] = true;
    } else {
      const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === "") throw Object.assign(new Error(`flag "--${name}" needs a value`), { name: "UsageError" });
      out[name] = v;
    }
  }
  return out;
}
