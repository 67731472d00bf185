"""Battery-life estimates for the README: one formula, typical datasheet currents, stated assumptions.

I_avg = I_sleep + rolls_per_day * ((I_active - I_sleep) * t_roll + (I_show - I_sleep) * t_show) / 86400 s
I_batt = I_avg (linear regulator or direct)  or  I_avg * 5 V / (V_batt * eff) + I_q (boost converter)
life_h = usable_capacity_mAh / I_batt
"""
from __future__ import annotations

from dataclasses import dataclass

# Measured: press -> landed face with the tumble, 0.947 s in simavr for the default build, 1.06 s for MODEL=angle
# (simulated cycles + I2C bus time; `python host_tools/virtual_die.py --presses 60 --seed 3 --write-benchmarks`,
# docs/benchmarks.md), rounded up to cover both.
T_ROLL_S = 1.1
T_SHOW_S = 30.0  # then the face stays lit (DISPLAY_TIMEOUT_MS in firmware/src/main.c) with the MCU in idle sleep
ROLLS_PER_DAY = 50

# Typical currents in mA at 5 V. Sources: ATmega328P datasheet DC characteristics (active 8 MHz/5 V
# 5.2 mA typ, so ~10 mA at 16 MHz; idle 8 MHz/5 V 1.2 mA typ, so ~2.4 mA at 16 MHz; power-down, WDT and
# BOD off, 0.1 uA typ / 2 uA max; the BOD alone ~20 uA, which the firmware switches off in power-down),
# SSD1306 datasheet (sleep <= 10 uA; a lit panel 10-20 mA depending on lit pixels), AMS1117/LM1117
# quiescent ~5 mA.
MCU_ACTIVE = 10.0
MCU_IDLE = 2.4
MCU_SLEEP = 0.001
OLED_ON = 15.0
OLED_SLEEP = 0.010
POWER_LED = 3.0  # Nano power LED: 5 V through 1 kOhm
USB_CHIP = 2.0  # CH340/FT232 stays powered from the 5 V rail; measured values on clones vary (1-5 mA)
REGULATOR_IQ = 5.0  # only when fed through VIN


@dataclass(frozen=True)
class Setup:
    name: str
    battery: str
    capacity_mah: float  # usable, at these small currents
    board_ma: float  # what the board draws besides MCU and display
    boost: tuple[float, float, float] | None = None  # (battery volts, efficiency, quiescent mA)


SETUPS = (
    Setup("Stock Nano, battery on VIN", "9 V alkaline (PP3)", 500, POWER_LED + USB_CHIP + REGULATOR_IQ),
    # 3xAA straight on the 5V pin: the die stops rolling below 3.78 V (16 MHz speed grade), 1.26 V a cell, where
    # alkaline cells still hold about half their charge: half the capacity is usable.
    Setup("Stock Nano, battery on 5V pin", "3xAA alkaline, 4.5 V", 1000, POWER_LED + USB_CHIP),
    Setup("Stock Nano + 5 V boost on 5V pin", "1S LiPo 1000 mAh, 3.7 V", 1000, POWER_LED + USB_CHIP,
          (3.7, 0.85, 0.1)),
    Setup("Bare: no power LED, USB chip unpowered", "3xAA alkaline, 4.5 V", 1000, 0.0),
    Setup("Bare + 5 V boost, 3xAA", "3xAA alkaline, 4.5 V", 2000, 0.0, (3.6, 0.85, 0.1)),
    Setup("Bare + 5 V boost", "1S LiPo 1000 mAh, 3.7 V", 1000, 0.0, (3.7, 0.85, 0.1)),
)


def currents(s: Setup) -> tuple[float, float]:
    """(sleep, active) current in mA on the 5 V rail."""
    return s.board_ma + MCU_SLEEP + OLED_SLEEP, s.board_ma + MCU_ACTIVE + OLED_ON


def show_ma(s: Setup) -> float:
    """Current while the face stays lit after a roll: MCU in idle sleep, display on."""
    return s.board_ma + MCU_IDLE + OLED_ON


def average_ma(sleep: float, active: float, rolls_per_day: float = ROLLS_PER_DAY, t_roll: float = T_ROLL_S,
               show: float | None = None, t_show: float = T_SHOW_S) -> float:
    """Mean 5 V rail current over a day with the given number of rolls (and the lit display after each, if
    its current `show` is given)."""
    extra = (show - sleep) * t_show if show is not None else 0.0
    return sleep + rolls_per_day * ((active - sleep) * t_roll + extra) / 86400.0


def battery_ma(s: Setup, rail_ma: float) -> float:
    """Current drawn from the battery for a given 5 V rail current."""
    if s.boost is None:
        return rail_ma
    volts, eff, iq = s.boost
    return rail_ma * 5.0 / (volts * eff) + iq


def life_hours(s: Setup, rolls_per_day: float = ROLLS_PER_DAY) -> float:
    sleep, active = currents(s)
    return s.capacity_mah / battery_ma(s, average_ma(sleep, active, rolls_per_day, show=show_ma(s)))


def _duration(h: float) -> str:
    if h < 72:
        return f"{h:.0f} h"
    if h < 24 * 365:
        return f"{h / 24:.0f} days"
    years = f"{h / 24 / 365:.1f} years"
    return years + " (shelf life limits it first)" if h > 24 * 365 * 5 else years


def markdown_table() -> str:
    """The README's battery table."""
    rows = ["| Setup | Battery (usable mAh) | Sleep mA | Active mA | Average mA from battery | Estimated life |",
            "|---|---|---:|---:|---:|---|"]
    for s in SETUPS:
        sleep, active = currents(s)
        avg = battery_ma(s, average_ma(sleep, active, show=show_ma(s)))
        rows.append(f"| {s.name} | {s.battery} ({s.capacity_mah:.0f}) | {sleep:.3f} | {active:.1f} | "
                    f"{avg:.3f} | {_duration(life_hours(s))} |")
    return "\n".join(rows) + (f"\n\nAssumptions: {ROLLS_PER_DAY} rolls a day, {T_ROLL_S:.1f} s of MCU + display "
                              f"per roll (tumble + landed face, measured), then {T_SHOW_S:.0f} s lit with the MCU in "
                              "idle sleep, then MCU power-down (brown-out detector off) and display off (SSD1306 "
                              "sleep) until the next press.\n")


def worked_example(index: int = 1) -> str:
    """The formula with the numbers of one setup filled in, for the README."""
    s = SETUPS[index]
    sleep, active = currents(s)
    show = show_ma(s)
    avg = average_ma(sleep, active, show=show)
    return (f"Worked example ({s.name}, {s.battery}): I_sleep = {s.board_ma:.1f} (board) + {MCU_SLEEP:.3f} (MCU) + "
            f"{OLED_SLEEP:.3f} (display) = {sleep:.3f} mA; I_active = {s.board_ma:.1f} + {MCU_ACTIVE:.1f} + "
            f"{OLED_ON:.1f} = {active:.1f} mA; I_show = {s.board_ma:.1f} + {MCU_IDLE:.1f} + {OLED_ON:.1f} = "
            f"{show:.1f} mA; I_avg = {sleep:.3f} + {ROLLS_PER_DAY} x (({active:.1f} - {sleep:.3f}) x {T_ROLL_S:.1f} s "
            f"+ ({show:.1f} - {sleep:.3f}) x {T_SHOW_S:.0f} s) / 86400 s = {avg:.3f} mA; life = "
            f"{s.capacity_mah:.0f} mAh / {avg:.3f} mA = {s.capacity_mah / avg:.0f} h = "
            f"{_duration(s.capacity_mah / avg)}.\n")
