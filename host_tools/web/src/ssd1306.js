// SSD1306 128x64 OLED on I2C, as an avr8js TWI event handler: the command set of the datasheet's fundamental,
// addressing and hardware-configuration tables (everything firmware/src/ssd1306.c sends, and the rest of what a
// driver commonly sends), the GDDRAM in page, horizontal and vertical addressing modes, and bus timing.
// Control bytes: Co (bit 7) = 1 means one byte follows and then another control byte; D/C# (bit 6) selects
// data (GDDRAM) or commands.

const W = 128;
const PAGES = 8;
// Arguments taken by multi-byte commands (everything else is a single byte).
const ARGS = { 0x20: 1, 0x21: 2, 0x22: 2, 0x26: 6, 0x27: 6, 0x29: 5, 0x2a: 5, 0x81: 1, 0x8d: 1, 0xa3: 2, 0xa8: 1,
               0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1, 0xdb: 1 };

export class SSD1306 {
  constructor(address = 0x3c) {
    this.address = address;
    this.ram = new Uint8Array(W * PAGES); // page-major: ram[page * 128 + col], bit 0 = top row of the page
    this.version = 0;                     // bumped on every change the picture depends on
    this.i2cBytes = 0;
    this.reset();
  }

  reset() {
    Object.assign(this, { on: false, inverted: false, allOn: false, contrast: 0x7f, startLine: 0, offset: 0,
                          segRemap: false, comReversed: false, mode: 2, page: 0, col: 0,
                          colStart: 0, colEnd: W - 1, pageStart: 0, pageEnd: PAGES - 1, chargePump: false });
    this.cmd = [];
    this.version++;
  }

  // --- the I2C side: one transaction = address, then control byte / payload pairs ---
  begin(addr7, write) {
    this.selected = addr7 === this.address && write;
    this.control = null;
    return this.selected;
  }

  write(byte) {
    if (!this.selected) return false;
    this.i2cBytes++;
    if (this.control === null) {
      this.control = byte; // the Co and D/C# bits; the rest must be 0
    } else {
      if (this.control & 0x40) this.data(byte);
      else this.command(byte);
      if (this.control & 0x80) this.control = null; // Co = 1: a control byte comes next
    }
    return true;
  }

  end() {
    this.selected = false;
  }

  // --- the controller ---
  command(byte) {
    this.cmd.push(byte);
    const c = this.cmd;
    if (c.length <= (ARGS[c[0]] ?? 0)) return;
    this.cmd = [];
    const [op, a, b] = c;
    if (op <= 0x0f) this.col = (this.col & 0xf0) | op;            // lower column nibble (page mode)
    else if (op <= 0x1f) this.col = (this.col & 0x0f) | ((op & 0x0f) << 4);
    else if (op === 0x20) this.mode = a & 3;                       // 0 horizontal, 1 vertical, 2 page
    else if (op === 0x21) [this.colStart, this.colEnd, this.col] = [a & 0x7f, b & 0x7f, a & 0x7f];
    else if (op === 0x22) [this.pageStart, this.pageEnd, this.page] = [a & 7, b & 7, a & 7];
    else if (op >= 0x40 && op <= 0x7f) this.startLine = op & 0x3f;
    else if (op === 0x81) this.contrast = a;
    else if (op === 0x8d) this.chargePump = !!(a & 0x04);
    else if (op === 0xa0 || op === 0xa1) this.segRemap = op === 0xa1;
    else if (op === 0xa4 || op === 0xa5) this.allOn = op === 0xa5;
    else if (op === 0xa6 || op === 0xa7) this.inverted = op === 0xa7;
    else if (op === 0xae || op === 0xaf) this.on = op === 0xaf;
    else if (op >= 0xb0 && op <= 0xb7) this.page = op & 7;
    else if (op === 0xc0 || op === 0xc8) this.comReversed = op === 0xc8;
    else if (op === 0xd3) this.offset = a & 0x3f;
    // 0xA8 multiplex, 0xD5 clock, 0xD9 pre-charge, 0xDA COM pins, 0xDB VCOMH, scrolling (0x26..0x2F, 0xA3):
    // accepted; they change nothing a picture of this panel shows.
    this.version++;
  }

  data(byte) {
    this.ram[this.page * W + this.col] = byte;
    this.version++;
    if (this.mode === 2) {                      // page mode: the column wraps within the page
      this.col = (this.col + 1) & 0x7f;
    } else if (this.mode === 0) {               // horizontal: across the column window, then the next page
      if (this.col === this.colEnd) {
        this.col = this.colStart;
        this.page = this.page === this.pageEnd ? this.pageStart : (this.page + 1) & 7;
      } else this.col = (this.col + 1) & 0x7f;
    } else {                                    // vertical: down the page window, then the next column
      if (this.page === this.pageEnd) {
        this.page = this.pageStart;
        this.col = this.col === this.colEnd ? this.colStart : (this.col + 1) & 0x7f;
      } else this.page = (this.page + 1) & 7;
    }
  }

  // Is GDDRAM pixel (x = column, y = row) lit?
  ramPixel(x, y) {
    return (this.ram[(y >> 3) * W + x] >> (y & 7)) & 1;
  }

  // The picture a viewer sees, as 64 rows of 128 booleans (1 = lit). A module is mounted so that the
  // usual init (0xA1 column 127 -> SEG0, 0xC8 COM scan reversed) shows GDDRAM upright; other settings mirror it.
  pixels() {
    const img = new Uint8Array(W * 64);
    if (!this.on) return img;
    for (let y = 0; y < 64; y++) {
      const row = (((this.comReversed ? y : 63 - y) + this.startLine + this.offset) & 63);
      for (let x = 0; x < W; x++) {
        const col = this.segRemap ? x : W - 1 - x;
        const lit = this.allOn || this.ramPixel(col, row);
        img[y * W + x] = lit ^ this.inverted;
      }
    }
    return img;
  }
}

// Connects an SSD1306 to avr8js's TWI with the bus time of a real 400 kHz (or whatever TWBR says) transfer:
// 9 SCL periods per byte (8 bits + ACK), one for START and for STOP. Devices: list of objects like SSD1306.
export class I2CBus {
  constructor(twi, cpu, devices) {
    Object.assign(this, { twi, cpu, devices, device: null });
  }

  later(bits, done) {
    const cycles = Math.round((bits * this.twi.freqHz) / this.twi.sclFrequency);
    this.cpu.addClockEvent(done, cycles);
  }

  start() {
    this.device?.end(); // a repeated START ends the transaction with the device
    this.device = null;
    this.later(1, () => this.twi.completeStart());
  }

  stop() {
    this.device?.end();
    this.device = null;
    this.later(1, () => this.twi.completeStop());
  }

  connectToSlave(addr, write) {
    this.device = this.devices.find((d) => d.begin(addr, write)) ?? null;
    const ack = this.device !== null;
    this.later(9, () => this.twi.completeConnect(ack));
  }

  writeByte(value) {
    const ack = this.device ? this.device.write(value) : false;
    this.later(9, () => this.twi.completeWrite(ack));
  }

  readByte() { this.later(9, () => this.twi.completeRead(0xff)); }
}
