import { UsageError, intFlag, type CliCommand } from "./cli.ts";
import { renderTop, SORT_KEYS, type SortKey } from "./top_view.ts";
import { TreeClient } from "./tree_client.ts";

const KEYS_HELP = `keys: q quit · ${Object.entries(SORT_KEYS).map(([k, v]) => `${k} ${v.name}`).join(" · ")}`;

/** `agentsys top`: a live view on a TTY (alternate screen, keys), one plain snapshot otherwise. */
export const TOP_COMMAND: CliCommand = {
  name: "top",
  usage: `top [--sort c|m|r|f|u|i|n] [--interval MS] [--once] [--json]\n\n  On a terminal it refreshes every second (${KEYS_HELP});\n  when stdout is not a terminal, or with --once, it prints one snapshot.`,
  flags: { sort: { type: "string" }, interval: { type: "string" }, once: { type: "boolean" }, json: { type: "boolean" } },
  positionals: [0, 0],
  async run(args) {
    const c = new TreeClient(args.flags.mount as string | undefined);
    let sort = (args.flags.sort ?? "c") as SortKey;
    if (!(sort in SORT_KEYS)) throw new UsageError(`--sort "${sort}": expected one of ${Object.keys(SORT_KEYS).join(", ")}`);
    const interval = intFlag(args.flags, "interval", 1000, 100);
    const frame = async (rows: number) => {
      const [all, events] = await Promise.all([c.agents(), c.read("events")]);
      return renderTop(all, { sort, rows, events: events.split("\n").filter(Boolean), now: new Date() });
    };
    if (args.flags.json) {
      process.stdout.write(JSON.stringify(await c.agents(), null, 2) + "\n");
      return 0;
    }
    const tty = process.stdout.isTTY && process.stdin.isTTY;
    if (!tty || args.flags.once) {
      process.stdout.write(await frame(Infinity));
      return 0;
    }
    return new Promise<number>((resolve, reject) => {
      // One draw at a time: a key or a resize during a draw asks for another right after it.
      let timer: NodeJS.Timeout | undefined;
      let drawing = false;
      let again = false;
      let done = false;
      const restore = () => {
        done = true;
        clearTimeout(timer);
        process.stdin.setRawMode(false);
        process.stdin.pause();
        process.stdout.write("\x1b[?25h\x1b[?1049l");
      };
      const draw = async (): Promise<void> => {
        if (done) return;
        if (drawing) {
          again = true;
          return;
        }
        drawing = true;
        clearTimeout(timer);
        try {
          const text = await frame(process.stdout.rows || 24);
          if (done) return;
          const cols = process.stdout.columns || 80;
          const clipped = text.split("\n").map((l) => (l.length > cols ? l.slice(0, cols) : l)).join("\x1b[K\n");
          process.stdout.write(`\x1b[H${clipped}${KEYS_HELP.slice(0, cols)}\x1b[K\x1b[J`);
        } catch (e) {
          restore();
          return reject(e);
        } finally {
          drawing = false;
        }
        if (again) {
          again = false;
          return draw();
        }
        timer = setTimeout(() => void draw(), interval);
      };
      process.stdout.write("\x1b[?1049h\x1b[?25l\x1b[2J");
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on("data", (d: Buffer) => {
        const k = d.toString();
        if (k === "q" || k === "\x03" || k === "\x1b") {
          restore();
          resolve(0);
        } else if (k in SORT_KEYS) {
          sort = k as SortKey;
          void draw();
        }
      });
      process.stdout.on("resize", () => void draw());
      void draw();
    });
  },
};
