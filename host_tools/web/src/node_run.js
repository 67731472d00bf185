// The simulated die under node, for tests and scripts: the page's Session, driven by a JSON script.
//   node build/web/sim-node.mjs script.json   (bundled by `node host_tools/web/build.mjs`)
// script: {"hex": "firmware/build/nano/firmware.hex", "display": true, "steps": [
//   ["run", ms], ["button", 1 | 0], ["uart", "<hex bytes>"], ["rolls", n, max_ms]]}
// ("rolls" runs until n landed rolls have been decoded in all, at most max_ms). Prints one JSON object: the
// landed rolls (each with the OLED's GDDRAM as hex, page-major, when its ROLL frame arrived), the logs, the
// final picture, the decoder's counts, simulated and wall time.
// {"decode": "<hex bytes>"} instead runs only the host side of the UART on a capture: prints
// {frames: [{type, seq, payload}], stats, rolls, tally}.
import { readFileSync } from "node:fs";

import { RollLog } from "./rolls.js";
import { Session } from "./session.js";

const SLICE_MS = 5;

const hex = (a) => Buffer.from(a).toString("hex");

function decode(bytes) {
  const frames = [];
  const log = new RollLog({ frame: (f) => frames.push({ type: f.type, seq: f.seq, payload: hex(f.payload) }) });
  log.feed(bytes);
  return { frames, stats: log.decoder.stats, rolls: log.rolls, tally: log.tally };
}

function main(path) {
  const script = JSON.parse(readFileSync(path, "utf8"));
  if (script.decode !== undefined) {
    process.stdout.write(JSON.stringify(decode(Buffer.from(script.decode, "hex"))) + "\n");
    return;
  }
  const rolls = [];
  const s = new Session(readFileSync(script.hex, "utf8"), {
    display: script.display ?? true,
    on: { roll: (r) => rolls.push({ ...r, vram: hex(s.oled.ram) }) },
  });
  const t0 = performance.now();
  for (const [op, a, b] of script.steps) {
    if (op === "run") s.run(a);
    else if (op === "button") s.press(!!a);
    else if (op === "uart") s.die.send(Buffer.from(a, "hex"));
    else if (op === "rolls") {
      for (let t = 0; s.rolls.length < a && t < b; t += SLICE_MS) s.run(SLICE_MS);
    } else throw new Error(`unknown step ${op}`);
  }
  const picture = Array.from(s.oled.pixels()).join("");
  process.stdout.write(JSON.stringify({
    rolls, logs: s.logs, tally: s.tally, picture, resets: s.die.resets, stats: s.uart.decoder.stats,
    cycles: s.cycles, wall_s: (performance.now() - t0) / 1000,
  }) + "\n");
}

try {
  main(process.argv[2]);
} catch (e) {
  process.stderr.write(`sim-node: error: ${e.message}\n`);
  process.exit(2);
}
