import { open, readFile, stat } from "node:fs/promises";
import type { AgentJson, AgentSpec, AgentsJson } from "../lib/mod.ts";
import { CliError } from "./cli.ts";
import { defaultMountpoint } from "./config.ts";

/**
 * The CLI's only way to the daemon: the mounted tree (no private socket), so everything the CLI
 * does can be done from any shell or language. Reads are plain file reads; commands are one
 * line written to a `ctl` file opened read-write, whose reply (`ok N` / `error ERRNO: reason`)
 * is read back from the same descriptor.
 */
export class TreeClient {
  readonly mount: string;

  constructor(mount: string | undefined) {
    this.mount = mount ?? defaultMountpoint();
  }

  /** Fail early, with advice, when nothing (or a dead daemon) is mounted there. */
  async ensureMounted(): Promise<void> {
    try {
      await stat(`${this.mount}/agents.json`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTCONN") throw new CliError(`the daemon serving ${this.mount} is gone (stale mount); clear it with: fusermount -uz ${this.mount}`, code);
      throw new CliError(`no agentsys daemon at ${this.mount} (start one with "agentsys up", or pass --mount DIR / set AGENTSYS_ROOT)`, code ?? "ENOENT");
    }
  }

  /** A file of the tree; a missing per-agent file means the agent does not exist. */
  async read(rel: string, agent?: number): Promise<string> {
    try {
      return await readFile(`${this.mount}/${rel}`, "utf8");
    } catch (e) {
      throw await this.#explain(e as NodeJS.ErrnoException, rel, agent);
    }
  }

  async agents(): Promise<AgentsJson> {
    return JSON.parse(await this.read("agents.json")) as AgentsJson;
  }

  async agent(id: number): Promise<AgentJson> {
    return JSON.parse(await this.read(`agents/${id}/agent.json`, id)) as AgentJson;
  }

  /**
   * The agent's whole spec, environment values included (`agents/<id>/spec.json`: the daemon's
   * owner, the agent's user and the read group only); EACCES for anyone else.
   */
  async spec(id: number): Promise<AgentSpec | null> {
    return JSON.parse(await this.read(`agents/${id}/spec.json`, id)) as AgentSpec | null;
  }

  /** `agents()` with whole specs where the caller may read them (the views show env values as "(set)"). */
  async agentsWithSpecs(): Promise<AgentsJson> {
    const all = await this.agents();
    for (const a of all.agents) {
      if (!a.spec?.env) continue;
      a.spec = await this.spec(a.agent_id).catch((e: CliError) => {
        if (e.errno === "EACCES" || e.errno === "ESRCH") return a.spec; // not ours to see, or gone meanwhile
        throw e;
      });
    }
    return all;
  }

  /**
   * Apply one command line through a control file (`ctl` by default) and return the value of
   * its `ok N` reply; a refusal throws CliError with the errno and the daemon's reason.
   */
  async exec(line: string, file = "ctl"): Promise<number> {
    let fh;
    try {
      fh = await open(`${this.mount}/${file}`, "r+");
    } catch (e) {
      throw await this.#explain(e as NodeJS.ErrnoException, file);
    }
    try {
      let failure: NodeJS.ErrnoException | null = null;
      try {
        await fh.write(Buffer.from(line.endsWith("\n") ? line : `${line}\n`));
      } catch (e) {
        failure = e as NodeJS.ErrnoException;
      }
      const buf = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const reply = buf.toString("utf8", 0, bytesRead).trim().split("\n").pop() ?? "";
      const err = /^error (E[A-Z0-9]+): (.*)$/.exec(reply);
      if (failure || err) throw new CliError(err ? err[2] : (failure?.message ?? "refused"), err ? err[1] : failure?.code);
      const ok = /^ok (-?\d+)$/.exec(reply);
      return ok ? Number(ok[1]) : 0;
    } finally {
      await fh.close();
    }
  }

  async #explain(e: NodeJS.ErrnoException, rel: string, agent?: number): Promise<CliError> {
    if (e.code === "ENOENT") {
      await this.ensureMounted();
      if (agent !== undefined) return new CliError(`no such agent: ${agent}`, "ESRCH");
    }
    if (e.code === "ENOTCONN") return new CliError(`the daemon serving ${this.mount} is gone (stale mount); clear it with: fusermount -uz ${this.mount}`, e.code);
    if (e.code === "EACCES") {
      const why = rel.endsWith("/spec.json") || rel.endsWith("/log") ? "an agent's spec and log are for the daemon's owner, the agent's user and the read group" : "control files are for the daemon's owner";
      return new CliError(`${this.mount}/${rel}: permission denied (${why})`, e.code);
    }
    return new CliError(`${this.mount}/${rel}: ${e.message}`, e.code);
  }
}
