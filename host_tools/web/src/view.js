// Drawing the page: the OLED picture, faces, the last roll, the tally. No simulation here.
import { BOARD } from "./board.js";

const LIT = [0x9b, 0xe7, 0xff];
const HISTORY = 12;

// pixels: 128x64 values, 1 = lit (SSD1306.pixels()).
export function drawOled(canvas, pixels) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < pixels.length; i++) {
    const on = pixels[i];
    img.data.set(on ? LIT : [0, 0, 0], i * 4);
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// face: 1,024 grey levels, row-major, 0 = black.
export function drawFace(canvas, face) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(32, 32);
  face.forEach((g, i) => {
    img.data.set([g, g, g, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
}

export function showRoll(dl, r) {
  const degrees = ((r.angle_code * 360) / 256).toFixed(1);
  const ms = ((r.cycles / BOARD.fCpu) * 1000).toFixed(0);
  const code = r.latent ? ["latent", `code ${r.angle_code} (sampled from the prior)`]
                        : ["angle", `${degrees}° (code ${r.angle_code})`];
  const rows = [["pips", r.pips], code, ["roll", `#${r.roll}`],
                ["network", `${r.cycles.toLocaleString("en")} cycles = ${ms} ms`],
                ["forced", r.forced ? "yes (p<n> command)" : "no"]];
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    return [dt, dd];
  }));
}

export function showTally(table, caption, tally) {
  const n = tally.reduce((a, b) => a + b, 0);
  const most = Math.max(1, ...tally);
  caption.textContent = n ? `(${n} rolls)` : "";
  table.replaceChildren(...tally.map((count, i) => {
    const tr = document.createElement("tr");
    const bar = `<span class="bar" style="width:${Math.round((120 * count) / most)}px"></span>`;
    tr.innerHTML = `<td>${i + 1}</td><td>${count}</td><td>${bar}</td>`;
    return tr;
  }));
}

export function addHistory(div, face, title) {
  const c = document.createElement("canvas");
  c.width = c.height = 32;
  c.title = title;
  drawFace(c, face);
  div.prepend(c);
  while (div.children.length > HISTORY) div.lastChild.remove();
}
