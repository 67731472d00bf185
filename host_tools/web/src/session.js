// One simulated GenDie with everything around it: the chip (mcu.js), the OLED (ssd1306.js) and the host side of
// the UART (rolls.js). The page and the node runner both drive a Session; neither knows about avr8js.
import { BOARD } from "./board.js";
import { parseHex } from "./hex.js";
import { Die } from "./mcu.js";
import { RollLog } from "./rolls.js";
import { SSD1306 } from "./ssd1306.js";

export class Session {
  // hexText: firmware.hex; display: whether an OLED is on the bus; on: callbacks of RollLog.
  constructor(hexText, { display = true, on = {} } = {}) {
    this.oled = new SSD1306(BOARD.oledAddress);
    this.uart = new RollLog(on);
    this.pending = []; // UART bytes not yet decoded
    this.die = new Die(parseHex(hexText), {
      devices: display ? [this.oled] : [],
      onByte: (b) => this.pending.push(b),
    });
  }

  get rolls() { return this.uart.rolls; }
  get tally() { return this.uart.tally; }
  get logs() { return this.uart.logs; }
  get cycles() { return this.die.cycles; }
  get fCpu() { return BOARD.fCpu; }

  // Simulate `ms` more milliseconds, then decode what the UART sent.
  run(ms) {
    this.die.runUntil(this.die.cycles + Math.round((ms * BOARD.fCpu) / 1000));
    if (this.pending.length) {
      this.uart.feed(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  press(down) {
    this.die.setButton(down);
  }

  send(text) {
    this.die.send([...text].map((ch) => ch.charCodeAt(0) & 0xff));
  }
}
