// Minimal types for fuse-native 2.2.6 (the package ships none). Only what fs/ uses.
declare module "fuse-native" {
  type Cb = (...args: unknown[]) => void;
  export default class Fuse {
    constructor(mnt: string, ops: Record<string, (...args: never[]) => void>, opts?: Record<string, unknown>);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    _fuseOptions(): string;
    /** One record per libfuse worker thread it has served (fuse-native.c `_malloc`). */
    readonly _threads: Set<unknown>;
    static unmount(mnt: string, cb: Cb): void;
    static isConfigured(cb: (err: Error | null, ok: boolean) => void): void;
    static readonly ENOENT: number;
    static readonly EIO: number;
  }
}
