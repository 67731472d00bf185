// Intel HEX (what avr-objcopy -O ihex writes) -> the 32 KB program flash of an ATmega328P as 16-bit words.

export const FLASH_BYTES = 0x8000;

export function parseHex(text) {
  const bytes = new Uint8Array(FLASH_BYTES);
  let base = 0; // from type-02 (segment) and type-04 (linear) records; avr-gcc rarely needs either here
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    if (line[0] !== ":") throw new Error(`firmware.hex line ${i + 1}: not an Intel HEX record`);
    const rec = line.slice(1).match(/../g).map((h) => parseInt(h, 16));
    const [len, hi, lo, type] = rec;
    const sum = rec.reduce((a, b) => a + b, 0) & 0xff;
    if (rec.length !== len + 5 || sum !== 0) throw new Error(`firmware.hex line ${i + 1}: bad length or checksum`);
    const data = rec.slice(4, 4 + len);
    if (type === 0) {
      const at = base + ((hi << 8) | lo);
      if (at + len > FLASH_BYTES) throw new Error(`firmware.hex line ${i + 1}: beyond the 32 KB flash`);
      bytes.set(data, at);
    } else if (type === 1) {
      break;
    } else if (type === 2) {
      base = ((data[0] << 8) | data[1]) << 4;
    } else if (type === 4) {
      base = ((data[0] << 8) | data[1]) << 16;
    }
  }
  return new Uint16Array(bytes.buffer);
}
