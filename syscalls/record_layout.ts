/**
 * Binary syscall records (SPEC §8): one documented fixed layout, little-endian. A request is
 * a 32-byte header then `total_len − 32` bytes of payload; a reply likewise. Several records
 * may be written at once; replies come back in order on the same file descriptor.
 *
 * Request header                       Reply header
 *   0  magic     "ASYS" (4 bytes)        0  magic     "ASYR"
 *   4  version   u16 (= 1)               4  version   u16
 *   6  nr        u16                     6  nr        u16 (of the request)
 *   8  total_len u32 (header+payload)    8  total_len u32 (header+payload)
 *  12  agent_id  u32                    12  reserved  u32 (0)
 *  16  arg0      u64                    16  ret       i64 (≥ 0 result, < 0 −errno)
 *  24  arg1      u64                    24  full_len  u64 (payload size the result needs)
 *  32  payload                          32  payload
 */
export const RECORD_VERSION = 1;
export const HEADER_SIZE = 32;
export const REQUEST_MAGIC = 0x53595341; // "ASYS" read as little-endian u32
export const REPLY_MAGIC = 0x52595341; // "ASYR"
export const MAX_RECORD = 1 << 20; // a request larger than 1 MiB is refused (EINVAL)
export const DEFAULT_REPLY_CAPACITY = 65536;

export const OFF_MAGIC = 0;
export const OFF_VERSION = 4;
export const OFF_NR = 6;
export const OFF_LEN = 8;
export const OFF_AGENT = 12;
export const OFF_ARG0 = 16;
export const OFF_ARG1 = 24;
export const OFF_RET = 16;
export const OFF_FULL = 24;
