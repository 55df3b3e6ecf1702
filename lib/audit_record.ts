/**
 * One audit entry as it is journaled, shown in the `audit` file and printed by the CLI
 * (`<seq> <wall> <ts_us> agent=<id> <action> <result> via=<file>[<class>] "<detail>"`).
 * `uid` is the caller's when the FUSE backend can tell (null with fuse-native).
 */
export interface AuditRecord {
  seq: number;
  wall: string;
  ts_us: number;
  agent: number;
  action: string;
  result: string;
  via: string;
  uid: number | null;
  detail: string;
}

/**
 * How much of a detail the trail keeps (a control write's text): enough for a whole spec with
 * its environment digests, so the trail can prove what was set; longer ones end in "…".
 */
export const AUDIT_DETAIL_MAX = 1000;

/** The line of the `audit` file (and of `agentsys audit`). */
export function auditLine(e: AuditRecord): string {
  return `${e.seq} ${e.wall} ${e.ts_us} agent=${e.agent} ${e.action} ${e.result} via=${e.via} ${JSON.stringify(e.detail)}`;
}
