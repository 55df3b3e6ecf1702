/**
 * Result codes everywhere — core, command codecs, the tree, both FUSE backends, binary replies:
 * 0 or a positive value for success, a negative Linux errno for a rejection. One table and one
 * sign, so no layer translates codes and the FUSE layer hands them straight to the kernel
 * (whose replies carry −errno too). Why a call failed is left in the owner's `reason` string
 * (cold path: only set on failure).
 */
export const ERRNO = {
  EPERM: -1,
  ENOENT: -2,
  ESRCH: -3,
  EIO: -5,
  E2BIG: -7,
  EBADF: -9,
  EAGAIN: -11,
  EACCES: -13,
  EBUSY: -16,
  EEXIST: -17,
  ENODEV: -19,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  ENOSPC: -28,
  ENOSYS: -38,
  EPROTO: -71,
  EBADMSG: -74,
} as const;
export type Errno = (typeof ERRNO)[keyof typeof ERRNO];

const NAMES: Record<number, string> = {};
for (const [name, code] of Object.entries(ERRNO)) NAMES[code] = name;

/** `errnoName(-3)` → `"ESRCH"`; unknown codes render as `E<n>`. */
export function errnoName(code: number): string {
  return NAMES[code] ?? `E${-code}`;
}
