"""The virtual CH32V003: the real firmware.elf on Unicorn's RV32 CPU, the chip's memory map, and the peripheral
models of host_tools/ch32_periph.py (display, button, UART). Same stimulus scripts as the simavr die.

Memory: flash at 0 (16 KB; the simulator-only oversize build may need more), SRAM 0x2000_0000 (2 KB, the stack
below it painted to measure the peak), peripherals 0x4000_0000.., PFIC and SysTick 0xE000_E000...

Cycles are ESTIMATES from a timing model, counted per basic block (block hooks, not instruction hooks, keep a face
to seconds): a 16-bit instruction 1 cycle, a 32-bit one 2 (fetched from flash with one wait state), any load or
store 2, a taken branch or jump +2 (a block that does not start where the last one ended). Interrupts are taken
at block boundaries (mtvec mode 3: the table holds handler addresses); WFI sleeps to the next peripheral event.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_RISCV, UC_HOOK_BLOCK, UC_HOOK_CODE, UC_MODE_RISCV32, UC_PROT_EXEC, UC_PROT_READ, Uc, UcError
from unicorn import riscv_const as rv

from host_tools.ch32_periph import Chip

FLASH, RAM, RAM_SIZE = 0x0000_0000, 0x2000_0000, 2048
PERIPH, PERIPH_SIZE, CORE, CORE_SIZE = 0x4000_0000, 0x24000, 0xE000_E000, 0x2000
PAINT = 0xA5
WFI, CSRW_INTSYSCR = 0x10500073, 0x80405073  # `csrwi 0x804, 0`: a QingKe CSR Unicorn does not know
C_J_SELF = 0xA001  # `c.j .`, an endless loop (a hang, a stray trap): time jumps to the next event, as it would pass


def instr_cycles(code: bytes) -> int:
    """Timing-model cycles of a straight run of instructions (the block's taken-branch penalty is added apart):
    32-bit instructions 2 (loads and stores included), 16-bit 1, 16-bit loads/stores (c.lw, c.sw, c.lwsp, c.swsp) 2."""
    i = cyc = 0
    while i < len(code):
        h = code[i] | code[i + 1] << 8
        if h & 3 == 3:
            cyc, i = cyc + 2, i + 4
        else:
            cyc, i = cyc + (2 if h & 3 in (0, 2) and h >> 13 in (2, 6) else 1), i + 2
    return cyc


@dataclass
class Elf:
    path: Path
    image: dict[int, bytes]
    symbols: dict[str, int]
    flash_bytes: int
    static_ram: int
    ram_end: int  # end of the static RAM sections (.data, .bss, .noinit): the stack may grow down to here

    @classmethod
    def load(cls, path: Path) -> "Elf":
        with open(path, "rb") as f:
            e = ELFFile(f)
            if e["e_machine"] != "EM_RISCV" or e.elfclass != 32 or not e["e_flags"] & 0x8:  # EF_RISCV_RVE
                raise ValueError(f"{path}: not an RV32E ELF")
            image = {seg["p_paddr"]: seg.data() for seg in e.iter_segments()
                     if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]}
            syms = {s.name: s["st_value"] for s in e.get_section_by_name(".symtab").iter_symbols() if s.name}
            size = {s.name: s["sh_size"] for s in e.iter_sections()}
            ram = [(s["sh_addr"], s["sh_size"]) for s in e.iter_sections()
                   if s["sh_flags"] & 2 and RAM <= s["sh_addr"] < RAM + RAM_SIZE]  # SHF_ALLOC, in SRAM
        return cls(Path(path), image, syms, size.get(".text", 0) + size.get(".data", 0),
                   sum(n for _, n in ram), max((a + n for a, n in ram), default=RAM))


class Ch32:
    def __init__(self, elf: Elf, display: bool = True, seed: int = 0) -> None:
        self.elf, self.chip = elf, Chip(seed, display)
        self.uc = uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        flash_size = max(16384, -(-max(a + len(d) for a, d in elf.image.items() if a < RAM) // 4096) * 4096)
        uc.mem_map(FLASH, flash_size)
        uc.mem_map(RAM, 4096)  # the smallest page; the chip has 2 KB (the stack starts at its top)
        uc.mmio_map(PERIPH, PERIPH_SIZE, self._rd, PERIPH, self._wr, PERIPH)
        uc.mmio_map(CORE, CORE_SIZE, self._rd, CORE, self._wr, CORE)
        for a, d in elf.image.items():
            if a < RAM:
                uc.mem_write(a, d)
        self.flash = bytes(uc.mem_read(FLASH, flash_size))
        uc.mem_protect(FLASH, flash_size, UC_PROT_READ | UC_PROT_EXEC)  # a store to flash faults, as on the chip
        self.cost: dict[int, int] = {}
        self.prev_end = -1
        self.stop_at = 0
        self.asleep = False
        uc.hook_add(UC_HOOK_BLOCK, self._block)
        for addr in range(0, elf.flash_bytes, 2):  # the few special instructions, found once in the image
            w = int.from_bytes(self.flash[addr:addr + 4], "little")
            if w in (WFI, CSRW_INTSYSCR) or w & 0xFFFF == C_J_SELF:
                uc.hook_add(UC_HOOK_CODE, self._special, begin=addr, end=addr)
        self.paint_from = elf.ram_end
        uc.mem_write(self.paint_from, bytes([PAINT]) * (RAM + 4096 - self.paint_from))  # past the 2 KB too
        self.pc = self.watchdog_resets = self.standby_entries = 0
        self.vectors = elf.symbols["_start"]

    # ---- hooks ------------------------------------------------------------------------------------------------
    def _rd(self, uc, off, size, base):
        chip = self.chip
        if base + off == 0x40005414 and chip.i2c_flags and chip.now < chip.i2c_done:
            # Polling I2C STAR1 while a byte is on the wire: the loop would only spin until it is done, so the
            # CPU time jumps there at once (the same cycles, without one block hook per turn).
            chip.now = chip.i2c_done
            chip.update()
        return chip.read(base + off)

    def _wr(self, uc, off, size, value, base):
        self.chip.write(base + off, value)
        self.next_check = 0  # a write may schedule an event earlier than the one planned

    def _block(self, uc, addr, size, _):
        chip = self.chip
        if chip.now >= self.stop_at:
            self.prev_end = -1
            uc.emu_stop()
            return
        c = self.cost.get(addr)
        if c is None:
            c = self.cost[addr] = instr_cycles(self.flash[addr:addr + size])
        chip.now += c + (2 if addr != self.prev_end else 0)
        self.prev_end = addr + size
        if chip.now >= self.next_check:
            self._service(addr)

    next_check = 0

    def _service(self, addr: int) -> None:
        chip = self.chip
        chip.update()
        if chip.watchdog_expired():
            raise _WatchdogReset()
        self.next_check = min(chip.next_event(), self.stop_at)
        irqs = chip.pending_irqs()
        mstatus = self.uc.reg_read(rv.UC_RISCV_REG_MSTATUS)
        if irqs and not mstatus & 8:
            self.next_check = 0  # pending while masked: look again at every block until MIE is set
        elif irqs:
            irq = min(irqs)
            self.uc.reg_write(rv.UC_RISCV_REG_MEPC, addr)
            self.uc.reg_write(rv.UC_RISCV_REG_MCAUSE, 0x8000_0000 | irq)
            self.uc.reg_write(rv.UC_RISCV_REG_MSTATUS, (mstatus & ~0x88) | 0x1800 | 0x80)  # MPIE = MIE, MPP = M
            base = self.vectors  # mtvec mode 3 (Unicorn ignores reserved modes, so it is not read back)
            handler = int.from_bytes(self.flash[base + 4 * irq:base + 4 * irq + 4], "little")
            chip.now += 8  # trap entry: pipeline flush and table fetch (estimate)
            self.prev_end = handler
            self.uc.reg_write(rv.UC_RISCV_REG_PC, handler)

    def _special(self, uc, addr, size, _):
        word = int.from_bytes(self.flash[addr:addr + 4], "little")
        chip = self.chip
        if word == CSRW_INTSYSCR:
            uc.reg_write(rv.UC_RISCV_REG_PC, addr + 4)
            return
        if word & 0xFFFF == C_J_SELF:  # spins until an interrupt or the watchdog: skip to the next event
            chip.now = max(chip.now, min(chip.next_event(), self.stop_at))
            self.next_check = 0
            return
        deep = bool(chip.reg(0xE000ED10) & 4 and chip.reg(0x40007000) & 2)
        self.standby_entries += deep and not chip.standby
        chip.standby = deep
        while not chip.pending_irqs():  # WFI: asleep until an enabled interrupt is pending (MIE does not matter)
            t = chip.next_event()
            if t >= self.stop_at:
                self._sleep_to(self.stop_at, deep)
                self.asleep = True
                self.prev_end = -1
                uc.emu_stop()  # resume on this WFI
                return
            self._sleep_to(t, deep)
            chip.update()
            if chip.watchdog_expired():
                raise _WatchdogReset()
        chip.standby = False
        if deep:  # standby ends on the 24 MHz HSI with the PLL off
            chip.r[0x40021004] = chip.reg(0x40021004) & ~3
            chip.r[0x40021000] = chip.reg(0x40021000) & ~(1 << 24)
        self.asleep = False
        self.next_check = chip.now
        self.prev_end = -1
        uc.reg_write(rv.UC_RISCV_REG_PC, addr + 4)

    def _sleep_to(self, t: int, deep: bool) -> None:
        if deep:  # HCLK stopped: SysTick does not count
            self.chip.stk_zero += t - self.chip.now
        self.chip.now = max(self.chip.now, t)

    # ---- running ----------------------------------------------------------------------------------------------
    def run_until(self, t: int) -> None:
        """Execute until chip time t (cycles); a watchdog reset restarts the chip like the real one."""
        self.stop_at = t
        while self.chip.now < t:
            self.next_check = self.chip.now
            try:
                self.uc.emu_start(self.pc, 0xFFFF_FFFF)
            except _WatchdogReset:
                self.chip.reset(watchdog=True)
                self.uc.reg_write(rv.UC_RISCV_REG_MSTATUS, 0)
                self.pc, self.watchdog_resets = 0, self.watchdog_resets + 1
                continue
            except UcError as e:
                raise SimCrash(f"CPU fault at {self.uc.reg_read(rv.UC_RISCV_REG_PC):#x}: {e}") from None
            self.pc = self.uc.reg_read(rv.UC_RISCV_REG_PC)
            if self.chip.unmodelled:
                raise SimCrash(f"unmodelled registers: {sorted(hex(a) for a in self.chip.unmodelled)}")

    def beyond_sram(self) -> bool:
        """True if anything was written above the chip's 2 KB (mapped only because pages are 4 KB)."""
        return bytes(self.uc.mem_read(RAM + RAM_SIZE, 4096 - RAM_SIZE)) != bytes([PAINT]) * (4096 - RAM_SIZE)

    def peak_stack(self) -> int:
        ram = bytes(self.uc.mem_read(self.paint_from, RAM + RAM_SIZE - self.paint_from))
        used = next((i for i, b in enumerate(ram) if b != PAINT), len(ram))
        return len(ram) - used


class _WatchdogReset(Exception):
    pass


class SimCrash(Exception):
    """The firmware did something the chip would not survive (fault, unmodelled register)."""
