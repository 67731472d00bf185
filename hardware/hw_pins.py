"""Load and validate hardware/pinmap.json, and render firmware/include/pins.h from it."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PINMAP = HERE / "pinmap.json"
GENERATOR = "hardware/make_hardware.py"

SIGNALS = ("button", "i2c_sda", "i2c_scl", "uart_tx", "uart_rx", "supply", "ground")
GPIO_SIGNALS = ("button", "i2c_sda", "i2c_scl", "uart_tx", "uart_rx")
PROGRAMMING = {"ch32v": ("swio",)}  # extra pins a family needs for its programmer (the Nano's is its USB)
FAMILIES = ("avr", "ch32v")
STATUSES = ("supported", "planned")
OLED_PINS = ("GND", "VCC", "SCL", "SDA")
_MCU_PIN = re.compile(r"^P([A-D])([0-7])$")
_IRQ = {"avr": re.compile(r"^INT([01])$"), "ch32v": re.compile(r"^EXTI([0-7])$")}


class PinmapError(ValueError):
    """The pin map breaks the schema; the message names the offending key."""


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise PinmapError(msg)


def split_mcu_pin(name: str) -> tuple[str, int]:
    """'PD2' -> ('D', 2)."""
    m = _MCU_PIN.match(name)
    _need(m is not None, f"bad MCU pin {name!r} (want e.g. PD2)")
    return m.group(1), int(m.group(2))


def irq_number(family: str, irq: str) -> int:
    """'INT0' (AVR) or 'EXTI0' (CH32V) -> 0."""
    m = _IRQ[family].match(irq)
    _need(m is not None, f"bad button irq {irq!r} for family {family}")
    return int(m.group(1))


def validate(pm: Any) -> dict:
    """Check the whole pin map; raise PinmapError on the first problem."""
    _need(isinstance(pm, dict), "pin map must be a JSON object")
    _need(pm.get("schema") == 1, "schema must be 1")
    common = pm.get("common")
    _need(isinstance(common, dict), "missing 'common'")
    for key in ("oled_i2c_addr", "oled_i2c_addr_alt"):
        val = common.get(key)
        # 0x08..0x77 are the non-reserved 7-bit addresses; this also rejects the 8-bit form (0x78) of 0x3C.
        ok = isinstance(val, str) and re.fullmatch(r"0x[0-9A-F]{2}", val) is not None
        _need(ok and 0x08 <= int(val, 16) <= 0x77,
              f"common.{key} must be a 7-bit address like '0x3C' (not the 8-bit form 0x78)")
    for key in ("i2c_hz", "uart_baud"):
        _need(isinstance(common.get(key), int) and common[key] > 0, f"common.{key} must be a positive int")
    _need(common.get("uart_format") == "8N1", "common.uart_format must be '8N1'")
    boards = pm.get("boards")
    _need(isinstance(boards, dict) and boards, "missing 'boards'")
    _need(pm.get("default_board") in boards, "default_board must name a board")
    for name, b in boards.items():
        _need(re.fullmatch(r"[a-z][a-z0-9]*", name) is not None, f"board name {name!r} must be lowercase alnum")
        where = f"boards.{name}"
        _need(b.get("status") in STATUSES, f"{where}.status must be one of {STATUSES}")
        _need(b.get("family") in FAMILIES, f"{where}.family must be one of {FAMILIES}")
        _need(isinstance(b.get("f_cpu"), int) and b["f_cpu"] > 0, f"{where}.f_cpu must be a positive int")
        pins = b.get("pins")
        want = SIGNALS + PROGRAMMING.get(b["family"], ())
        _need(isinstance(pins, dict) and set(pins) == set(want), f"{where}.pins must have exactly {want}")
        used = {}
        for sig in GPIO_SIGNALS + PROGRAMMING.get(b["family"], ()):
            p = pins[sig]
            _need(isinstance(p.get("board_pin"), str), f"{where}.pins.{sig}.board_pin missing")
            mcu = p.get("mcu_pin", "")
            split_mcu_pin(mcu)
            _need(mcu not in used, f"{where}: {mcu} used by both {used.get(mcu)} and {sig}")
            used[mcu] = sig
        irq_number(b["family"], pins["button"].get("irq", ""))
    oled = pm.get("oled_module", {})
    _need(sorted(oled.get("pin_order", [])) == sorted(OLED_PINS),
          f"oled_module.pin_order must be a permutation of {OLED_PINS}")
    for w in pm.get("wires", []):
        _need(w.get("to") in SIGNALS, f"wire {w.get('from')!r} goes to unknown signal {w.get('to')!r}")
        _need(isinstance(w.get("colour"), str), f"wire {w.get('from')!r} needs a colour")
    return pm


def load(path: Path = PINMAP) -> dict:
    """Read and validate the pin map (PinmapError on bad content, OSError if unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise PinmapError(f"{path}: not valid JSON ({e})") from None
    return validate(data)


def _avr_section(name: str, b: dict) -> list[str]:
    p = b["pins"]
    port, bit = split_mcu_pin(p["button"]["mcu_pin"])
    pin = lambda s: f"{p[s]['board_pin']} = {p[s]['mcu_pin']}"  # noqa: E731
    return [
        "#if defined(__riscv)",
        f'#error "pins.h: BOARD_{name.upper()} is an AVR board but this is a RISC-V build; define BOARD_CH32V003"',
        "#endif",
        f'#define BOARD_NAME "{name}"',
        f"/* Button: Arduino {pin('button')} ({p['button']['irq']}), {p['button'].get('note', '')}. */",
        f"#define BUTTON_DDR    DDR{port}",
        f"#define BUTTON_PORT   PORT{port}",
        f"#define BUTTON_PINREG PIN{port}",
        f"#define BUTTON_BIT    {bit}",
        f"#define BUTTON_INT    {irq_number('avr', p['button']['irq'])}",
        "/* TWI and USART0 pins are fixed in silicon; listed for the wiring only: */",
        f"/*   SDA Arduino {pin('i2c_sda')}, SCL Arduino {pin('i2c_scl')} */",
        f"/*   UART TX Arduino {pin('uart_tx')}, RX Arduino {pin('uart_rx')} (USB-serial chip) */",
    ]


def _ch32v_section(name: str, b: dict) -> list[str]:
    p = b["pins"]
    out = [
        "#if defined(__AVR__)",
        f'#error "pins.h: BOARD_{name.upper()} is a RISC-V board but this is an AVR build"',
        "#endif",
        f'#define BOARD_NAME "{name}"',
        f"/* Status: {b['status']}. GPIO index = port letter - 'A' (the AFIO EXTICR encoding). */",
    ]
    for sig in GPIO_SIGNALS:
        port, bit = split_mcu_pin(b["pins"][sig]["mcu_pin"])
        out += [f"#define {sig.upper()}_GPIO_INDEX {ord(port) - ord('A')}  /* GPIO{port} */",
                f"#define {sig.upper()}_BIT {bit}"]
    out.append(f"#define BUTTON_INT {irq_number('ch32v', p['button']['irq'])}  /* EXTI line */")
    out.append(f"/* Flashing: {p['swio']['mcu_pin']} = SWIO, to the WCH-LinkE (not used by the firmware). */")
    return out


def render_header(pm: dict) -> str:
    """The text of firmware/include/pins.h."""
    boards = pm["boards"]
    default = pm["default_board"]
    flags = [f"BOARD_{n.upper()}" for n in boards]
    c = pm["common"]
    lines = [
        f"/* Generated by {GENERATOR} from hardware/pinmap.json \u2014 do not edit. */",
        "/* Board: compile with exactly one of " + ", ".join(f"-D{f}" for f in flags) + ";",
        f"   none given selects BOARD_{default.upper()}. Register names come from <avr/io.h> on AVR. */",
        "#ifndef GENDIE_PINS_H",
        "#define GENDIE_PINS_H",
        "",
        "#if (" + " + ".join(f"defined({f})" for f in flags) + ") > 1",
        f'#error "pins.h: define at most one of {", ".join(flags)}"',
        "#endif",
        "#if " + " && ".join(f"!defined({f})" for f in flags),
        f"#define BOARD_{default.upper()} 1",
        "#endif",
        "",
    ]
    for i, (name, b) in enumerate(boards.items()):
        lines.append(f"#{'if' if i == 0 else 'elif'} defined(BOARD_{name.upper()})  /* {b['title']} */")
        lines += _avr_section(name, b) if b["family"] == "avr" else _ch32v_section(name, b)
    lines += [
        "#endif",
        "",
        "/* SSD1306 module: 0x3C is the usual address; 0x3D when the module's address jumper is moved. */",
        f"#define OLED_I2C_ADDR     {c['oled_i2c_addr']}",
        f"#define OLED_I2C_ADDR_ALT {c['oled_i2c_addr_alt']}",
        f"#define I2C_HZ    {c['i2c_hz']}UL",
        f"#define UART_BAUD {c['uart_baud']}UL  /* {c['uart_format']} */",
        "",
        "#endif /* GENDIE_PINS_H */",
    ]
    return "\n".join(lines) + "\n"
