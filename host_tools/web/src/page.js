// The page: loads firmware.hex, runs the Session at real time (or as fast as the browser allows), and wires the
// #roll button and the space bar to the die's button. window.gendie.rolls: one {pips, angle_code, face} per
// landed roll, for scripts and tests.
import { ROLL_FLAG_LATENT } from "./protocol.js";
import { FORCED_FLAG } from "./rolls.js";
import { Session } from "./session.js";
import { addHistory, drawFace, drawOled, showRoll, showTally } from "./view.js";

const MIN_PRESS_MS = 80;  // a click or a key tap still holds the button this long in simulated time
const FRAME_BUDGET_MS = 12; // simulation work per animation frame, so the page stays responsive
const SLICE_MS = 1;
const $ = (id) => document.getElementById(id);

const gendie = (window.gendie = { rolls: [], ready: false, simSeconds: 0, session: null });

function start(hexText) {
  const session = new Session(hexText, {
    on: {
      roll(r) {
        gendie.rolls.push({ pips: r.pips, angle_code: r.angle_code, face: r.face });
        // The code byte: a latent code (a sample of the prior) under ROLL_FLAG_LATENT, else the die's angle
        const latent = !!(r.flags & ROLL_FLAG_LATENT);
        showRoll($("last-roll"), { ...r, forced: !!(r.flags & FORCED_FLAG), latent });
        if (r.face) {
          drawFace($("face"), r.face);
          addHistory($("history"), r.face, `${r.pips} pips, ${latent ? "latent" : "angle"} code ${r.angle_code}`);
        }
        showTally($("tally"), $("tally-count"), session.tally);
      },
      face(face, tumble) {
        if (tumble) drawFace($("face"), face); // the tumble, as the die draws it
      },
      log(text) {
        $("log").textContent += text + "\n";
        gendie.ready = true; // the firmware's first LOG line comes once it is up
      },
    },
  });
  gendie.session = session;
  showTally($("tally"), $("tally-count"), session.tally);

  // The button: pressed while #roll or space is held, and for at least MIN_PRESS_MS of simulated time.
  let pressedAt = null;
  let releaseWanted = false;
  const press = () => {
    if (pressedAt !== null) return;
    pressedAt = session.cycles;
    releaseWanted = false;
    session.press(true);
    $("roll").classList.add("down");
  };
  const release = () => { if (pressedAt !== null) releaseWanted = true; };
  const roll = $("roll");
  roll.addEventListener("pointerdown", (e) => { roll.setPointerCapture?.(e.pointerId); press(); });
  roll.addEventListener("pointerup", release);
  roll.addEventListener("pointercancel", release);
  window.addEventListener("keydown", (e) => {
    if (e.code !== "Space") return;
    e.preventDefault();
    if (!e.repeat) press();
  });
  window.addEventListener("keyup", (e) => { if (e.code === "Space") { e.preventDefault(); release(); } });
  const minCycles = (MIN_PRESS_MS / 1000) * session.fCpu;

  let oledVersion = -1;
  let last = performance.now();
  let simStart = 0, wallStart = last;
  function frame(now) {
    const due = Math.min(now - last, 100); // behind after a background tab: do not try to catch up
    last = now;
    const t0 = performance.now();
    for (let ms = 0; ms < due && performance.now() - t0 < FRAME_BUDGET_MS; ms += SLICE_MS) {
      if (releaseWanted && session.cycles - pressedAt >= minCycles) {
        session.press(false);
        pressedAt = null;
        releaseWanted = false;
        $("roll").classList.remove("down");
      }
      session.run(SLICE_MS);
    }
    if (session.oled.version !== oledVersion) {
      oledVersion = session.oled.version;
      drawOled($("oled"), session.oled.pixels());
    }
    const simS = (gendie.simSeconds = session.cycles / session.fCpu);
    if (now - wallStart > 2000) [simStart, wallStart] = [simS, now]; // speed over the last ~2 s
    const speed = (simS - simStart) / Math.max(1e-3, (now - wallStart) / 1000);
    $("status").textContent = `simulated ${simS.toFixed(2)} s · ${speed.toFixed(2)}x real time`;
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

fetch("firmware.hex")
  .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`firmware.hex: HTTP ${r.status}`))))
  .then(start)
  .catch((e) => {
    $("status").textContent = `error: ${e.message}`;
    gendie.error = e.message;
  });
