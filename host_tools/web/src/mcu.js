// The die's ATmega328P in avr8js: the CPU and the peripherals the firmware uses, wired like the board
// (button on PD2 to GND, UART, the I2C devices), with the shims of shims.js. Environment-free: the page and the
// node runner drive the same class.
import {
  AVRADC, AVRClock, AVRIOPort, AVRTimer, AVRTWI, AVRUSART, AVRWatchdog, CPU, adcConfig, avrInstruction,
  clockConfig, portBConfig, portCConfig, portDConfig, timer1Config, twiConfig, usart0Config, watchdogConfig,
} from "avr8js";

import { BOARD } from "./board.js";
import { shimExternalInterrupts, shimUsart, stepInstruction } from "./shims.js";
import { I2CBus } from "./ssd1306.js";

const SRAM_BYTES = 2048;
const MCUSR = 0x54;
const PORF = 0x01, WDRF = 0x08;
const PORTS = { B: portBConfig, C: portCConfig, D: portDConfig };

export class Die {
  // program: Uint16Array flash (hex.js); devices: I2C devices (SSD1306); onByte(b): every byte the UART sends.
  constructor(program, { devices = [], onByte = () => {} } = {}) {
    Object.assign(this, { program, devices, onByte });
    this.buttonDown = false;
    this.rx = [];          // bytes waiting to go into the UART's receiver, one per character time
    this.resets = 0;       // watchdog resets so far
    this.cycleBase = 0;    // cycles of the cores before the last reset: time goes on across resets
    this.boot(PORF);
  }

  // A whole chip reset. avr8js's watchdog resets only the core (PC, SP, pending interrupts) and leaves every
  // I/O register as it was, SREG's I bit included, so the reset vector could run into enabled interrupts:
  // on a watchdog reset (cpu.reset below) this builds a fresh chip instead. SRAM keeps its content, as on silicon.
  boot(resetFlags) {
    const old = this.cpu;
    const cpu = new CPU(this.program, SRAM_BYTES);
    if (old) cpu.data.set(old.data.subarray(0x100), 0x100);
    cpu.data[MCUSR] = resetFlags;
    cpu.reset = () => { this.resetPending = true; };
    this.resetPending = false;
    this.cpu = cpu;

    this.clock = new AVRClock(cpu, BOARD.fCpu, clockConfig);
    this.timer1 = new AVRTimer(cpu, timer1Config);
    this.ports = Object.fromEntries(Object.entries(PORTS).map(([k, cfg]) => [k, new AVRIOPort(cpu, cfg)]));
    this.usart = new AVRUSART(cpu, usart0Config, BOARD.fCpu);
    this.twi = new AVRTWI(cpu, twiConfig, BOARD.fCpu);
    this.twi.eventHandler = new I2CBus(this.twi, cpu, this.devices);
    this.adc = new AVRADC(cpu, adcConfig); // needed: the boot entropy waits for ADSC to clear
    this.watchdog = new AVRWatchdog(cpu, watchdogConfig, this.clock);
    shimUsart(cpu, this.usart);
    shimExternalInterrupts(cpu, this.ports[BOARD.button.port]);
    this.usart.onByteTransmit = (b) => this.onByte(b);
    this.usart.onRxComplete = () => this.feedRx();

    // avr8js models no pull-ups: the board's button pull-up and the USB-serial chip's idle-high TX are driven here.
    this.setButton(this.buttonDown);
    this.ports[BOARD.uartRx.port].setPin(BOARD.uartRx.bit, true);
  }

  get cycles() {
    return this.cycleBase + this.cpu.cycles;
  }

  get seconds() {
    return this.cycles / BOARD.fCpu;
  }

  setButton(down) {
    this.buttonDown = down;
    this.ports[BOARD.button.port].setPin(BOARD.button.bit, !down);
  }

  // Bytes to the die's RX (the host's TX), sent at the configured baud rate.
  send(bytes) {
    this.rx.push(...bytes);
    this.feedRx();
  }

  feedRx() {
    if (this.rx.length && this.usart.writeByte(this.rx[0])) this.rx.shift();
  }

  // Run until the total cycle count reaches `until`. SLEEP is a no-op in avr8js: the firmware's idle loop
  // spins instead of sleeping, which changes no result (its clock is Timer1, which counts either way).
  runUntil(until) {
    while (this.cycles < until) {
      const cpu = this.cpu;
      const end = until - this.cycleBase;
      if (this.rx.length) this.feedRx(); // the receiver may have been off (boot) when bytes were queued
      while (cpu.cycles < end && !this.resetPending) stepInstruction(cpu, avrInstruction);
      if (this.resetPending) {
        this.cycleBase += cpu.cycles;
        this.resets++;
        this.boot(WDRF);
      }
    }
  }
}
