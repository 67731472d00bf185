// Where avr8js 0.21 differs from the ATmega328P in ways this firmware runs into, patched on the simulator side
// (the firmware is right for the chip; the ATmega328P datasheet chapter is named). Each shim says what it fixes.
// The rest (no pull-ups, SLEEP a no-op, a watchdog reset that resets only the core, the ADC) is in mcu.js.

const SREG = 0x5f;
const SREG_I = 0x80;
const UCSRA_RXC = 0x80, UCSRA_TXC = 0x40;
const UCSRA_STATUS = 0x80 | 0x20 | 0x10 | 0x08 | 0x04; // RXC, UDRE, FE, DOR, UPE: read-only
const UCSRA_WRITABLE = 0x02 | 0x01; // U2X, MPCM
const UCSRB_RXEN = 0x10;

// USART0 chapter. (1) UDRE is a level: it stays set until UDR is written, so its interrupt keeps being
// requested while enabled; avr8js clears the flag when the interrupt is taken, and a TX handler that finds its
// buffer empty and disables the interrupt can then never be woken again. (2) UCSRA's RXC, UDRE, FE, DOR, UPE are
// read-only and TXC is cleared by writing a one; avr8js replaces the whole register. (3) Writing UCSRB does not
// touch a received byte; avr8js drops it when RXEN stays set.
export function shimUsart(cpu, usart) {
  const { UCSRA, UCSRB } = usart.config;
  usart.UDRE.constant = true;

  const writeA = cpu.writeHooks[UCSRA];
  cpu.writeHooks[UCSRA] = (value, old, addr, mask) => {
    writeA(value, old, addr, mask);
    const keepTxc = old & UCSRA_TXC & ~value;
    cpu.data[UCSRA] = (value & UCSRA_WRITABLE) | (old & UCSRA_STATUS) | keepTxc;
    return true;
  };

  const writeB = cpu.writeHooks[UCSRB];
  cpu.writeHooks[UCSRB] = (value, old, addr, mask) => {
    const received = cpu.data[UCSRA] & UCSRA_RXC;
    writeB(value, old, addr, mask);
    if (received && value & UCSRB_RXEN) cpu.setInterruptFlag(usart.RXC);
    return true;
  };
}

// External Interrupts chapter, INT0/INT1: a low-level request exists only while the pin is low AND the
// sense control says low level. avr8js keeps it pending after the handler switches EICRA to any-edge, so the
// handler runs back to back while the button is held and Timer1's overflow never gets a turn.
export function shimExternalInterrupts(cpu, port) {
  const EICRA = 0x69;
  const write = cpu.writeHooks[EICRA];
  cpu.writeHooks[EICRA] = (value, old, addr, mask) => {
    write(value, old, addr, mask);
    port.externalInts.forEach((ext, pin) => {
      const cfg = port.portConfig.externalInterrupts[pin];
      if (ext && ((value >> cfg.iscOffset) & 3) !== 0 && cpu.pendingInterrupts[ext.address]?.constant) {
        cpu.clearInterrupt(ext, true);
        ext.constant = false;
      }
    });
    return true;
  };
}

// One instruction after SEI, RETI or a write of SREG that sets I always runs before an interrupt is taken
// (AVR CPU Core chapter, Reset and Interrupt Handling): avr-gcc's stack-pointer update `out SPH; out SREG;
// out SPL` relies on it. avr8js can take an interrupt at once and push onto a half-written stack pointer.
// So: step one instruction, and if it just set I, hide I from this tick's interrupt check.
// Same chapter, Interrupt Response Time: entering an interrupt takes four clock cycles (PC pushed, I cleared);
// avr8js counts two, so two are added whenever tick() took one (nothing else in tick() changes the cycle count).
const INTERRUPT_ENTRY_EXTRA = 2;

export function stepInstruction(cpu, avrInstruction) {
  const before = cpu.data[SREG] & SREG_I;
  avrInstruction(cpu);
  const cycles = cpu.cycles;
  if (!before && cpu.data[SREG] & SREG_I) {
    cpu.data[SREG] &= ~SREG_I;
    cpu.tick();
    cpu.data[SREG] |= SREG_I;
  } else {
    cpu.tick();
  }
  if (cpu.cycles !== cycles) cpu.cycles += INTERRUPT_ENTRY_EXTRA;
}
