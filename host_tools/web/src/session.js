// One simulated GenDie with everything around it: the chip (mcu.js), the OLED (ssd1306.js), and the host side
// of the UART: frames decoded (frames.js), FACE and ROLL paired into rolls, a tally. The page and the node
// runner both drive a Session; neither knows about avr8js.
import { FrameDecoder, fields } from "./frames.js";
import { parseHex } from "./hex.js";
import { Die } from "./mcu.js";
import * as P from "./protocol.js";
import { SSD1306 } from "./ssd1306.js";
import { BOARD } from "./board.js";

// Tumble frames (a ROLL flagged TUMBLE, then the face drawn while the die tumbles) are not landed rolls.
// The flag only exists once the firmware sends a tumble; 0 matches nothing until then.
const TUMBLE = P.ROLL_FLAGS.TUMBLE ?? 0;
export const FORCED_FLAG = P.ROLL_FLAGS.FORCED ?? 0;

export class Session {
  // hexText: firmware.hex; display: whether an OLED is on the bus; on: optional callbacks
  // {roll(r), face(pixels, tumble), log(text), frame(f)}.
  constructor(hexText, { display = true, on = {} } = {}) {
    this.oled = new SSD1306(BOARD.oledAddress);
    this.decoder = new FrameDecoder();
    this.pending = [];       // UART bytes not yet decoded
    this.faces = new Map();  // roll number -> landed face waiting for its ROLL frame
    this.tumbleFace = false; // the next FACE follows a TUMBLE ROLL
    this.rolls = [];         // landed rolls: {pips, angle_code, flags, roll, cycles, face}
    this.tally = [0, 0, 0, 0, 0, 0]; // landed, unforced rolls per pip value
    this.logs = [];
    this.on = on;
    this.die = new Die(parseHex(hexText), {
      devices: display ? [this.oled] : [],
      onByte: (b) => this.pending.push(b),
    });
  }

  get cycles() {
    return this.die.cycles;
  }

  get fCpu() {
    return BOARD.fCpu;
  }

  // Simulate `ms` more milliseconds, then decode what the UART sent.
  run(ms) {
    this.die.runUntil(this.die.cycles + Math.round((ms * BOARD.fCpu) / 1000));
    this.decode();
  }

  press(down) {
    this.die.setButton(down);
  }

  send(text) {
    this.die.send([...text].map((ch) => ch.charCodeAt(0) & 0xff));
  }

  decode() {
    if (!this.pending.length) return;
    const bytes = Uint8Array.from(this.pending);
    this.pending = [];
    for (const f of this.decoder.feed(bytes)) this.frame(f);
  }

  frame(f) {
    this.on.frame?.(f);
    if (f.name === "FACE" && f.payload.length >= P.FACE_LEN) {
      const { roll, pixels } = fields(P.FACE_FIELDS, f.payload);
      const face = Array.from(pixels.subarray(0, P.FACE_W * P.FACE_H));
      const tumble = this.tumbleFace;
      this.tumbleFace = false;
      if (!tumble) this.faces.set(roll, face);
      this.on.face?.(face, tumble);
    } else if (f.name === "ROLL" && f.payload.length >= P.ROLL_LEN) {
      const r = fields(P.ROLL_FIELDS, f.payload);
      if (r.flags & TUMBLE) {
        this.tumbleFace = true;
        return;
      }
      r.face = this.faces.get(r.roll) ?? null;
      this.faces.delete(r.roll);
      this.rolls.push(r);
      if (!(r.flags & FORCED_FLAG) && r.pips >= 1 && r.pips <= 6) this.tally[r.pips - 1]++;
      this.on.roll?.(r);
    } else if (f.name === "LOG") {
      const text = new TextDecoder().decode(f.payload);
      this.logs.push(text);
      this.on.log?.(text);
    }
  }
}
