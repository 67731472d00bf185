// Streaming decoder of the GenDie UART frames (docs/frame-protocol.md); constants from the generated protocol.js.
// Like host_tools/frame_protocol.py: scan for the magic, check the header CRC, wait for the body, check the frame
// CRC; on any failure drop one byte and rescan, so a frame hidden behind a broken one is still found.
import * as P from "./protocol.js";

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let crc = b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ P.CRC_POLY) & 0xffff : (crc << 1) & 0xffff;
    t[b] = crc;
  }
  return t;
})();

// CRC-16/CCITT-FALSE of bytes[from, to).
export function crc16(bytes, from = 0, to = bytes.length, crc = P.CRC_INIT) {
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[(crc >> 8) ^ bytes[i]];
  return crc;
}

const TYPE_NAMES = Object.fromEntries(Object.entries(P.FrameType).map(([name, code]) => [code, name]));
const u16 = (b, i) => b[i] | (b[i + 1] << 8);
const u32 = (b, i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

// A payload's fields from a layout {name: [offset, "u8" | "u16" | "u32" | "u8[n]"]}.
export function fields(layout, payload) {
  const out = {};
  for (const [name, [off, type]] of Object.entries(layout)) {
    if (type === "u8") out[name] = payload[off];
    else if (type === "u16") out[name] = u16(payload, off);
    else if (type === "u32") out[name] = u32(payload, off);
    else out[name] = payload.subarray(off);
  }
  return out;
}

export class FrameDecoder {
  constructor() {
    this.buf = new Uint8Array(4096);
    this.n = 0;
    this.stats = { frames_ok: 0, errors: 0, truncated: 0, garbage_bytes: 0 }; // errors: bad header or CRC
  }

  // Feed bytes; returns the complete valid frames: {type, name, seq, payload}.
  feed(bytes) {
    if (this.n + bytes.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.n + bytes.length));
      bigger.set(this.buf.subarray(0, this.n));
      this.buf = bigger;
    }
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
    return this.run();
  }

  // The frame starting at i: {end} if complete and valid, "wait" if more bytes are needed, null if invalid.
  frameAt(i) {
    const b = this.buf;
    if (this.n - i < P.HEADER_LEN) return "wait";
    const len = u16(b, i + 6);
    if (b[i + 1] !== P.MAGIC[1] || crc16(b, i, i + 8) !== u16(b, i + 8) || len > P.MAX_PAYLOAD) return null;
    const end = i + P.HEADER_LEN + len + P.TRAILER_LEN;
    if (this.n < end) return "wait";
    return crc16(b, i, end - 2) === u16(b, end - 2) ? { end } : null;
  }

  // A complete valid frame starting inside the span of the pending frame at i proves that one cut short
  // (a reset mid-frame): returns its start, or -1.
  innerFrame(i) {
    for (let j = i + 1; j + 1 < this.n; j++) {
      if (this.buf[j] === P.MAGIC[0] && this.buf[j + 1] === P.MAGIC[1]) {
        const f = this.frameAt(j);
        if (f && f !== "wait") return j;
      }
    }
    return -1;
  }

  run() {
    const out = [];
    const b = this.buf;
    let i = 0;
    while (i < this.n) {
      if (b[i] !== P.MAGIC[0]) {
        i++;
        this.stats.garbage_bytes++;
        continue;
      }
      const f = this.frameAt(i);
      if (f === "wait") {
        const j = this.n - i < P.HEADER_LEN ? -1 : this.innerFrame(i);
        if (j < 0) break;
        this.stats.truncated++;
        this.stats.garbage_bytes += j - i;
        i = j;
        continue;
      }
      if (f === null) {
        if (b[i + 1] === P.MAGIC[1]) this.stats.errors++;
        this.stats.garbage_bytes++;
        i++;
        continue;
      }
      const type = b[i + 3];
      const known = b[i + 2] === P.VERSION && type in TYPE_NAMES;
      out.push({ type, name: known ? TYPE_NAMES[type] : "UNKNOWN", seq: u16(b, i + 4),
                 payload: b.slice(i + P.HEADER_LEN, f.end - 2) });
      this.stats.frames_ok++;
      i = f.end;
    }
    this.buf.copyWithin(0, i, this.n);
    this.n -= i;
    return out;
  }
}
