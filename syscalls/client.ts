import { decodeReplies, encodeRequest, type ReplyRecord } from "./record_codec.ts";
import { NR } from "./commands.ts";

/**
 * A small, I/O-free client for agents and tools: build request records and read replies.
 * Pair it with any way of writing and reading the `syscall` file (one open file descriptor,
 * write the requests, then read until every reply is in); `bin/syscall_client.ts` does
 * that with Node's fs.
 *
 * @example
 * const req = SyscallRequests.heartbeat(1000);
 * // write req to <mount>/syscall, read 32 bytes back, decodeReplies(...)
 */
export const SyscallRequests = {
  getTelemetry: (capacity = 0) => encodeRequest(NR.get_telemetry, 0, capacity),
  getAgentInfo: (agent: number, capacity = 0) => encodeRequest(NR.get_agent_info, agent, capacity),
  addCapability: (agent: number, cap: number) => encodeRequest(NR.update_policy, agent, 0, cap),
  removeCapability: (agent: number, cap: number) => encodeRequest(NR.update_policy, agent, 1, cap),
  enableRestart: (agent: number, maxRestarts: number) => encodeRequest(NR.update_policy, agent, 2, maxRestarts),
  disableRestart: (agent: number) => encodeRequest(NR.update_policy, agent, 3, 0),
  updateScope: (agent: number, scope: object) => encodeRequest(NR.update_policy, agent, 4, 0, new TextEncoder().encode(JSON.stringify(scope))),
  spawn: (spec: object, pid = 0) => encodeRequest(NR.spawn, 0, pid, 0, new TextEncoder().encode(JSON.stringify(spec))),
  /** action: 0 stop, 1 kill, 2 restart, 3 reset, 4 throttle, 5 unthrottle, 6 remove, 7 ready */
  signal: (agent: number, action: number) => encodeRequest(NR.signal, agent, action),
  heartbeat: (agent: number) => encodeRequest(NR.heartbeat, agent),
  fault: (agent: number, fault: object) => encodeRequest(NR.fault, agent, 0, 0, new TextEncoder().encode(JSON.stringify(fault))),
  compliance: (agent: number, event: object) => encodeRequest(NR.compliance, agent, 0, 0, new TextEncoder().encode(JSON.stringify(event))),
  /** kind: 0 status, 1 policy, 2 agents, 3 metrics, 4 compliance, 5 events */
  query: (agent: number, kind: number, capacity = 0) => encodeRequest(NR.query, agent, kind, capacity),
};

export { decodeReplies, encodeRequest, type ReplyRecord };

/** A reply's payload as text. */
export function replyText(r: ReplyRecord): string {
  return new TextDecoder().decode(r.payload);
}
