// Bundles the page (src/page.js -> <out>/gendie.js, plus index.html, style.css and the firmware.hex) and the
// node runner (src/node_run.js -> build/web/sim-node.mjs). avr8js ships ES modules without file extensions,
// which browsers and node cannot load as they are; esbuild resolves them.
//   node host_tools/web/build.mjs [--hex firmware/build/nano/firmware.hex] [--out host_tools/web/dist]
//   node host_tools/web/build.mjs --node-only
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const { values: opt } = parseArgs({ options: {
  hex: { type: "string", default: join(root, "firmware/build/nano/firmware.hex") },
  out: { type: "string", default: join(here, "dist") },
  "node-only": { type: "boolean", default: false },
} });

const common = { bundle: true, format: "esm", logLevel: "warning", legalComments: "none" };
await esbuild.build({ ...common, entryPoints: [join(here, "src/node_run.js")], platform: "node", mainFields: ["module", "main"],
                      outfile: join(root, "build/web/sim-node.mjs") });
if (!opt["node-only"]) {
  if (!existsSync(opt.hex)) {
    console.error(`build.mjs: error: ${opt.hex} not found (make -C firmware nano builds it)`);
    process.exit(2);
  }
  mkdirSync(opt.out, { recursive: true });
  await esbuild.build({ ...common, entryPoints: [join(here, "src/page.js")], platform: "browser",
                        minify: true, outfile: join(opt.out, "gendie.js") });
  for (const f of ["index.html", "style.css"]) copyFileSync(join(here, f), join(opt.out, f));
  copyFileSync(opt.hex, join(opt.out, "firmware.hex"));
  console.log(`wrote ${opt.out}/: index.html, style.css, gendie.js, firmware.hex`);
}
