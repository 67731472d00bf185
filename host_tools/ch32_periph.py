"""Register-level models of the CH32V003 peripherals GenDie's firmware touches, for host_tools/ch32_sim.py.

Only the registers firmware/src/hal_ch32v003.c and firmware/ch32v003/startup.S use are modelled, each from the
CH32V003 reference manual; anything else reads 0 and is recorded in `Chip.unmodelled` (a test keeps that empty).
Time is `Chip.now`, in HCLK cycles (48 MHz once the PLL runs); SysTick stops in standby like the real counter.
Checks that the chip would fail silently are recorded in `Chip.faults` (e.g. 48 MHz with no flash wait state).
"""
from __future__ import annotations

import random

LSI_HZ = 128_000
IRQ_SYSTICK, IRQ_EXTI7_0, IRQ_AWU, IRQ_USART1 = 12, 20, 21, 32
AWU_DIV = {0: 1, 1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 6: 32, 7: 64, 8: 128, 9: 256, 10: 512, 11: 1024, 12: 2048,
           13: 4096, 14: 10240, 15: 61440}
SSD1306_ARGS = {0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8D: 1, 0xA8: 1, 0xD3: 1, 0xD5: 1, 0xD9: 1, 0xDA: 1, 0xDB: 1}


class Ssd1306:
    """The display's I2C protocol: control byte (0x00 commands, 0x40 data, Co bit = one byte then control again),
    page addressing (0xB0 | page, column nibbles) and horizontal mode; 8 pages x 128 columns of RAM."""

    def __init__(self, addr: int = 0x3C) -> None:
        self.addr, self.ram = addr, bytearray(1024)
        self.page = self.col = 0
        self.horizontal = False
        self.on = False
        self._ctl, self._cmd = None, []

    def start(self) -> None:
        self._ctl, self._cmd = None, []

    def byte(self, b: int) -> None:
        if self._ctl is None:
            self._ctl = b
            return
        if self._ctl & 0x40:
            self.ram[self.page * 128 + self.col] = b
            self.col = (self.col + 1) % 128
            if self.horizontal and self.col == 0:
                self.page = (self.page + 1) % 8
        else:
            self._command(b)
        if self._ctl & 0x80:  # Co: a control byte follows every data byte
            self._ctl = None

    def _command(self, b: int) -> None:
        self._cmd.append(b)
        op = self._cmd[0]
        if len(self._cmd) <= SSD1306_ARGS.get(op, 0):
            return
        args, self._cmd = self._cmd[1:], []
        if op == 0x20:
            self.horizontal = args[0] == 0x00
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7
        elif op <= 0x0F:
            self.col = (self.col & 0xF0) | op
        elif 0x10 <= op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x0F) << 4)
        elif op in (0xAE, 0xAF):
            self.on = op == 0xAF


class Chip:
    """RCC, FLASH, PFIC, AFIO, GPIO, EXTI, PWR/AWU, ADC, SysTick, I2C1, USART1 and IWDG of one CH32V003."""

    def __init__(self, seed: int = 0, display: bool = True) -> None:
        self.rng = random.Random(seed)
        self.oled = Ssd1306() if display else None
        self.now = 0
        self.faults: list[str] = []
        self.unmodelled: set[int] = set()
        self.uart_out = bytearray()
        self.uart_in: list[tuple[int, int]] = []  # (arrival cycle, byte)
        self.i2c_bytes = self.i2c_transactions = self.last_i2c = self.last_uart = 0
        self.button = False
        self.reset(power_on=True)

    # ---- state ------------------------------------------------------------------------------------------------
    def reset(self, power_on: bool = False, watchdog: bool = False) -> None:
        self.r: dict[int, int] = {}
        self.rst_flags = (1 << 27) if power_on else (1 << 29) if watchdog else 0
        self.enabled_irqs: set[int] = set()
        self.exti_pending = 0
        self.stk_zero = self.now  # SysTick CNT = now - stk_zero (frozen in standby by moving stk_zero)
        self.stk_flag = False
        self.rx_byte = None
        self.tx_shift_until, self.tx_hold = 0, None
        self.i2c_state, self.i2c_done, self.i2c_flags, self.i2c_sr = "idle", 0, 0, 0
        self.iwdg_deadline = None
        self.awu_next = None
        self.adc_eoc = False

    def reg(self, a: int) -> int:
        return self.r.get(a, 0)

    def cycles_per_us(self) -> float:
        return 48.0 if (self.reg(0x40021004) & 3) == 2 else 24.0

    def stk_cnt(self) -> int:
        return (self.now - self.stk_zero) & 0xFFFFFFFF

    # ---- events and interrupts --------------------------------------------------------------------------------
    def update(self) -> None:
        """Bring every peripheral up to self.now: finished bytes, SysTick compare, AWU, watchdog, inputs."""
        while self.uart_in and self.uart_in[0][0] <= self.now:
            _, b = self.uart_in.pop(0)
            self.rx_byte = b
            self._exti_edge(6, 3, rising=False)  # its start bit: PD6 falling
        if self.tx_hold is not None and self.now >= self.tx_shift_until:
            self._shift_out(self.tx_hold, max(self.now, self.tx_shift_until))
            self.tx_hold = None
        if self.i2c_flags and self.now >= self.i2c_done:
            self.i2c_sr |= self.i2c_flags
            self.i2c_flags = 0
        if self.reg(0xE000F000) & 1 and not self.stk_flag:
            cmp_ = self.reg(0xE000F010)
            if (self.stk_cnt() - cmp_) & 0xFFFFFFFF < 0x80000000:
                self.stk_flag = True
        if self.awu_next is not None and self.now >= self.awu_next:
            self._exti_edge(9, None, rising=False)
            self.awu_next = self._awu_period() + self.now if self.reg(0x40007008) & 2 else None

    def next_event(self) -> int:
        """The earliest cycle at which update() could change anything (for sleeping and run slices)."""
        t = [self.uart_in[0][0]] if self.uart_in else []
        if self.tx_hold is not None:
            t.append(self.tx_shift_until)
        if self.i2c_flags:
            t.append(self.i2c_done)
        if self.reg(0xE000F000) & 1 and not self.stk_flag and not self.standby:
            t.append(self.now + ((self.reg(0xE000F010) - self.stk_cnt()) & 0xFFFFFFFF))
        if self.awu_next is not None:
            t.append(self.awu_next)
        if self.iwdg_deadline is not None:
            t.append(self.iwdg_deadline)
        return min(t) if t else self.now + 48_000_000

    standby = False

    def pending_irqs(self) -> list[int]:
        usart = self.reg(0x4001380C)
        p = []
        if self.stk_flag and self.reg(0xE000F000) & 2:
            p.append(IRQ_SYSTICK)
        if self.exti_pending & self.reg(0x40010400) & 0xFF:
            p.append(IRQ_EXTI7_0)
        if self.exti_pending & self.reg(0x40010400) & (1 << 9):
            p.append(IRQ_AWU)
        if (usart & (1 << 5) and self.rx_byte is not None) or (usart & (1 << 7) and self.tx_hold is None):
            p.append(IRQ_USART1)
        return [i for i in p if i in self.enabled_irqs]

    def watchdog_expired(self) -> bool:
        return self.iwdg_deadline is not None and self.now >= self.iwdg_deadline

    def set_button(self, down: bool) -> None:
        if down != self.button:
            self.button = down
            self._exti_edge(0, 2, rising=not down)  # active low: a press is a falling edge

    def _exti_edge(self, line: int, port: int | None, rising: bool) -> None:
        if port is not None and (self.reg(0x40010008) >> (2 * line)) & 3 != port:
            return
        if self.reg(0x40010408 if rising else 0x4001040C) >> line & 1:
            self.exti_pending |= 1 << line

    def _awu_period(self) -> int:
        lsi = LSI_HZ * (1 + self.rng.gauss(0, 0.002))  # RC oscillator jitter (modelled, 0.2 %)
        ticks = (self.reg(0x4000700C) & 63) * AWU_DIV[self.reg(0x40007010) & 15]
        return max(1, int(ticks / lsi * self.cycles_per_us() * 1e6))

    def _shift_out(self, b: int, t: int) -> None:
        self.uart_out.append(b)
        self.last_uart = t
        self.tx_shift_until = t + 10 * max(self.reg(0x40013808), 1)  # BRR = HCLK / baud, 10 bits a byte

    # ---- bus access -------------------------------------------------------------------------------------------
    def read(self, a: int) -> int:
        r = self.reg
        if a == 0x40021000:
            return r(a) | 2 | ((r(a) & (1 << 24)) << 1)  # HSIRDY; PLLRDY follows PLLON
        if a == 0x40021004:
            return (r(a) & ~0xC) | ((r(a) & 3) << 2)  # SWS follows SW
        if a == 0x40021024:
            return r(a) & 1 | (r(a) & 1) << 1 | self.rst_flags  # LSIRDY follows LSION
        if a == 0x40011008:  # GPIOC INDR: PC0 is the button to GND with the pull-up (PC0 mode 0x8, OUTDR bit 0)
            pulled = (r(0x40011000) & 0xF) == 0x8 and r(0x4001100C) & 1
            return 0xFE | (0 if self.button else int(bool(pulled)))
        if a == 0x40011408:
            return 0xFF
        if a == 0x40010414:
            return self.exti_pending
        if a == 0x40012400:
            return 2 if self.adc_eoc else 0
        if a == 0x4001244C:
            self.adc_eoc = False
            return round(1.2 / 3.3 * 1023 + self.rng.gauss(0, 1.5))  # Vref: thermal + supply noise (modelled)
        if a == 0x40005414:
            return self.i2c_sr
        if a == 0x40005418:
            self.i2c_sr &= ~2  # STAR1 then STAR2 clears ADDR
            return 3 if self.i2c_state != "idle" else 0
        if a == 0x40013800:
            txe = self.tx_hold is None
            return (0x20 if self.rx_byte is not None else 0) | (0x80 if txe else 0) | \
                (0x40 if txe and self.now >= self.tx_shift_until else 0)
        if a == 0x40013804:
            b, self.rx_byte = self.rx_byte or 0, None
            return b
        if a == 0xE000F004:
            return int(self.stk_flag)
        if a == 0xE000F008:
            return self.stk_cnt()
        if a in KNOWN:
            return r(a)
        self.unmodelled.add(a)
        return 0

    def write(self, a: int, v: int) -> None:
        if a not in KNOWN:
            self.unmodelled.add(a)
            return
        self.r[a] = v
        if a == 0x40021004 and (v & 3) == 2 and (self.reg(0x40022000) & 3) == 0:
            self.faults.append("PLL (48 MHz) selected with 0 flash wait states")
        elif a == 0x40021024 and v & (1 << 24):
            self.rst_flags = 0
        elif a == 0x40011010:  # GPIOC BSHR
            self.r[0x4001100C] = (self.reg(0x4001100C) | (v & 0xFFFF)) & ~(v >> 16)
        elif a == 0x40010414:
            self.exti_pending &= ~v
        elif a == 0x40007008 and v & 2:
            self.awu_next = self.now + self._awu_period()
        elif a == 0x40012408 and v & (1 << 22):
            self.adc_eoc = True
        elif a == 0x40003000:
            self._iwdg(v)
        elif a == 0x40005400:
            self._i2c_ctl(v)
        elif a == 0x40005410:
            self._i2c_data(v & 0xFF)
        elif a == 0x40005414:
            self.i2c_sr &= v | ~0x0700  # error flags clear by writing 0
        elif a == 0x40013804:
            if self.now >= self.tx_shift_until and self.tx_hold is None:
                self._shift_out(v & 0xFF, self.now)
            else:
                self.tx_hold = v & 0xFF
        elif a == 0xE000F004:
            self.stk_flag = bool(v & 1)
        elif a == 0xE000F008:
            self.stk_zero = self.now - v
        elif 0xE000E100 <= a < 0xE000E110:
            self.enabled_irqs |= {32 * ((a - 0xE000E100) // 4) + i for i in range(32) if v >> i & 1}

    def _iwdg(self, key: int) -> None:
        if key == 0xCCCC and self.iwdg_deadline is None or key == 0xAAAA and self.iwdg_deadline is not None:
            div = 4 << min(self.reg(0x40003004) & 7, 6)
            self.iwdg_deadline = self.now + int((self.reg(0x40003008) or 0xFFF) * div / LSI_HZ
                                                * self.cycles_per_us() * 1e6)

    def _i2c_ctl(self, v: int) -> None:
        if not v & 1:
            return
        if v & (1 << 8):  # START: SB at once (bus free), the firmware then writes the address
            self.i2c_state, self.i2c_sr = "address", self.i2c_sr | 1
            self.r[0x40005400] = v & ~(1 << 8)
        if v & (1 << 9):  # STOP
            self.i2c_state, self.i2c_sr = "idle", 0
            self.r[0x40005400] = v & ~(1 << 9)

    def _i2c_data(self, b: int) -> None:
        ckcfgr = self.reg(0x4000541C)
        bit = 3 * (ckcfgr & 0xFFF) if ckcfgr & (1 << 15) else 2 * (ckcfgr & 0xFFF)  # fast mode, DUTY 0
        self.i2c_done = self.now + 9 * max(bit, 1)  # 8 bits + ACK
        self.i2c_bytes += 1
        self.last_i2c = self.i2c_done
        if self.i2c_state == "address":
            self.i2c_sr &= ~1
            self.i2c_transactions += 1
            ack = self.oled is not None and b >> 1 == self.oled.addr and not b & 1
            self.i2c_flags = 0x82 if ack else 0x400  # ADDR + TXE, or AF
            self.i2c_state = "data" if ack else "nack"
            if ack:
                self.oled.start()
        elif self.i2c_state == "data":
            self.i2c_sr &= ~0x84
            self.oled.byte(b)
            self.i2c_flags = 0x84  # BTF + TXE


KNOWN = {0x40021000, 0x40021004, 0x40021010, 0x40021018, 0x4002101C, 0x40021024, 0x40022000,
         0x40011000, 0x4001100C, 0x40011010, 0x40011400, 0x4001140C, 0x40010008,
         0x40010400, 0x40010404, 0x40010408, 0x4001040C, 0x40010414,
         0x40007000, 0x40007008, 0x4000700C, 0x40007010,
         0x40012400, 0x40012408, 0x40012410, 0x40012434, 0x4001244C,
         0x40005400, 0x40005404, 0x40005410, 0x40005414, 0x40005418, 0x4000541C,
         0x40013800, 0x40013804, 0x40013808, 0x4001380C,
         0x40003000, 0x40003004, 0x40003008, 0x4000300C,
         0xE000E100, 0xE000E104, 0xE000ED10, 0xE000F000, 0xE000F004, 0xE000F008, 0xE000F010}
