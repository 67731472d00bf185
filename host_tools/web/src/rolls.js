// The host side of the UART: bytes -> frames (frames.js) -> rolls. FACE and ROLL frames are paired by roll number
// (the firmware sends FACE first; ROLL carries the cycle count), LOG lines collected, landed rolls tallied.
import { FrameDecoder, fields } from "./frames.js";
import * as P from "./protocol.js";

// Tumble frames (a ROLL flagged TUMBLE, then the face shown while the die tumbles) are not landed rolls.
// Until the protocol defines the flag, 0 matches nothing.
const TUMBLE = P.ROLL_FLAGS.TUMBLE ?? 0;
export const FORCED_FLAG = P.ROLL_FLAGS.FORCED ?? 0;

export class RollLog {
  // on: optional callbacks {roll(r), face(pixels, tumble), log(text), frame(f)}.
  constructor(on = {}) {
    this.on = on;
    this.decoder = new FrameDecoder();
    this.faces = new Map();          // roll number -> landed face waiting for its ROLL frame
    this.tumbleFace = false;         // the next FACE follows a TUMBLE ROLL
    this.rolls = [];                 // landed rolls: {pips, angle_code, flags, roll, cycles, face}
    this.tally = [0, 0, 0, 0, 0, 0]; // landed rolls per pip value, forced ones excepted
    this.logs = [];
  }

  feed(bytes) {
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
