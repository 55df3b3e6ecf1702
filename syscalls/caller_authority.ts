import { CAP, type AgentSupervisor, type Caller } from "../lib/mod.ts";
import type { Command } from "./command_schemas.ts";
import { READ_OPS, SELF_OPS } from "./verbs.ts";

/**
 * What a command may do when the caller is an agent (SPEC §9: "an agent acting through the
 * shim may only act on itself unless it holds Admin"). The caller is known to be an agent when
 * the FUSE backend tells the requesting pid (the /dev/fuse backend) and that process, or one of
 * its ancestors, is a supervised agent; with fuse-native nobody is known and file permissions
 * alone decide, as before.
 *
 * An agent may read anything (the same as the world-readable files), and about itself: report
 * (heartbeat, ready, fault, compliance, profile), stop or restart itself, and patch its own
 * policy — where the policy controller lets it only drop privileges. Everything else — acting on
 * another agent, spawning, limits, recovery, dependencies, risk levels, resets, unthrottling —
 * is the daemon owner's (EPERM, InsufficientPermission). Which verbs are which: `self` in the
 * verb table (verbs.ts).
 */

/** "" when `caller` may run `command`, else why not. */
export function refusalFor(sup: AgentSupervisor, caller: Caller, command: Command): string {
  const self = caller.agentId;
  if (self === undefined || READ_OPS.has(command.op)) return "";
  if (sup.policy.checkCapability(self, CAP.Admin)) return "";
  const target = "agent" in command ? command.agent : undefined;
  if (target === self && SELF_OPS.has(command.op)) return "";
  const what = target === undefined ? `"${command.op}"` : target === self ? `"${command.op}" on itself` : `"${command.op}" on agent ${target}`;
  return `agent ${self} may not ${what}: an agent acts only on itself (${[...SELF_OPS].join(", ")}) unless it holds Admin; the rest is the daemon owner's (InsufficientPermission)`;
}
