import { ACTION_NAMES } from "./fault_action.ts";
import { STATE_NAME } from "./agent_state.ts";
import { EVENT_KIND, EVENT_NAMES } from "./event_ring.ts";
import { FAULT, FAULT_FIELDS, FAULT_NAMES } from "./fault.ts";
import type { AgentSupervisor } from "./supervisor.ts";

/**
 * The `events` file: the event ring oldest first, one line each:
 * `<seq> <ts_us> <Kind> <agent_id> [key=value…]` (all kinds, agentsys's included).
 *
 * @example
 * renderEvents(sup); // "0 0 Spawn 100 pid=4242\n1 0 StateChange 100 state=running from=starting\n"
 */
export function renderEvents(sup: AgentSupervisor): string {
  const r = sup.ctx.events;
  const first = r.total - r.length;
  let out = "";
  for (let i = 0; i < r.length; i++) out += `${first + i} ${renderEventAt(sup, r.at(i))}\n`;
  return out;
}

/** One event at ring position `p`, without its sequence number: `<ts_us> <Kind> <agent_id> [k=v…]`. */
export function renderEventAt(sup: AgentSupervisor, p: number): string {
  const r = sup.ctx.events;
  const k = r.kind[p];
  let detail = "";
  switch (k) {
    case EVENT_KIND.Spawn:
      detail = ` pid=${r.a[p]}`;
      break;
    case EVENT_KIND.Exit:
      detail = ` code=${r.a[p]}${r.b[p] ? ` signal=${r.b[p]}` : ""}`;
      break;
    case EVENT_KIND.Fault: {
      const kind = r.a[p];
      const fields = FAULT_FIELDS[kind] ?? [];
      const text = r.text(p);
      const vals = fields.length === 2 ? [r.b[p], r.c[p]] : kind === FAULT.Crashed ? [r.b[p]] : [JSON.stringify(text)];
      detail = ` ${FAULT_NAMES[kind]} ${fields.map((f, j) => `${f}=${vals[j]}`).join(" ")}`;
      break;
    }
    case EVENT_KIND.Restart:
      detail = ` attempt=${r.a[p]}`;
      break;
    case EVENT_KIND.StateChange:
      detail = ` state=${STATE_NAME[r.a[p]]} from=${STATE_NAME[r.b[p]]}`;
      break;
    case EVENT_KIND.Failed:
      detail = ` restarts=${r.a[p]}`;
      break;
    case EVENT_KIND.Action:
      detail = ` action=${ACTION_NAMES[r.a[p]]} fault=${FAULT_NAMES[r.b[p]]}`;
      break;
  }
  return `${r.ts[p]} ${EVENT_NAMES[k]} ${r.agent[p]}${detail}`;
}
