// Board facts from hardware/pinmap.json (the single source of truth; bundled in by esbuild).
import pinmap from "../../../hardware/pinmap.json";

const nano = pinmap.boards[pinmap.default_board];
const pin = (name) => {
  const m = /^P([A-D])([0-7])$/.exec(nano.pins[name].mcu_pin);
  return { port: m[1], bit: Number(m[2]) };
};

export const BOARD = Object.freeze({
  title: nano.title,
  fCpu: nano.f_cpu,
  oledAddress: parseInt(pinmap.common.oled_i2c_addr, 16),
  button: pin("button"),   // active low, to GND
  uartRx: pin("uart_rx"),  // idle high
});
