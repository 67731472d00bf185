"""The GenDie circuit as a SKiDL netlist, built from the pin map, with SKiDL's electrical rules check.

Every part is defined in code (tool=SKIDL) so the build needs no KiCad symbol libraries, which no pip
package provides; footprints name KiCad's stock libraries so the netlist opens in KiCad's PCB editor.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field

# Nano header pins in KiCad's Arduino_Nano numbering (1 = TX1 ... 15 = D12, 16 = D13 ... 30 = VIN).
NANO_PINS = (["D1", "D0", "RESET", "GND"] + [f"D{i}" for i in range(2, 14)] + ["3V3", "AREF"]
             + [f"A{i}" for i in range(8)] + ["5V", "RESET2", "GND2", "VIN"])
NANO_FOOTPRINT = "Module:Arduino_Nano"
OLED_FOOTPRINT = "Connector_PinHeader_2.54mm:PinHeader_1x04_P2.54mm_Vertical"
BUTTON_FOOTPRINT = "Button_Switch_THT:SW_PUSH_6mm"
BATTERY_FOOTPRINT = "Connector_PinHeader_2.54mm:PinHeader_1x02_P2.54mm_Vertical"
SWITCH_FOOTPRINT = "Button_Switch_THT:SW_Slide_1P2T_CK_OS102011MS2Q"


@dataclass
class Result:
    netlist: str
    parts: dict[str, str]  # ref -> part name
    nets: dict[str, list[str]]  # net name -> sorted "REF.pin" list
    erc_errors: int
    erc_warnings: int
    erc_messages: list[str] = field(default_factory=list)


def _import_skidl():
    """Import SKiDL without litter: on import it opens <script>.log/.erc in the cwd and warns about KiCad paths."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
        os.chdir(tmp)
        try:
            import skidl
            from skidl.logger import stop_log_file_output
            stop_log_file_output()
        finally:
            os.chdir(cwd)
    return skidl


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def _quiet(skidl, collector: _Collect) -> None:
    """Route SKiDL's console chatter into our collector; the caller decides what to print."""
    from skidl.logger import erc_logger, rt_logger
    for lg in (erc_logger, rt_logger):
        for h in list(lg.handlers):
            stream = isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
            if stream or isinstance(h, _Collect):
                lg.removeHandler(h)
        lg.addHandler(collector)


def _part(skidl, circuit, name: str, ref: str, pins: list[tuple[str, str]], footprint: str, value: str):
    T = skidl.Pin.types
    # tag=ref: SKiDL otherwise invents a random tag (and timestamp) per run, breaking byte-identical output.
    return skidl.Part(tool=skidl.SKIDL, name=name, ref=ref, tag=ref, value=value, footprint=footprint,
                      circuit=circuit,
                      pins=[skidl.Pin(num=str(i + 1), name=n, func=getattr(T, f)) for i, (n, f) in enumerate(pins)])


def build(pm: dict, board: str = "nano", leave_open: tuple[str, ...] = ()) -> Result:
    """Build the circuit for `board` (Nano footprint), run ERC, return netlist and connectivity.

    leave_open names nets to leave unwired (tests use it to show ERC does catch an open pin)."""
    skidl = _import_skidl()
    collector = _Collect()
    _quiet(skidl, collector)
    circ = skidl.Circuit()
    circ.no_files = True
    circ.track_src = False  # else the netlist records this file's absolute path and line numbers
    p = pm["boards"][board]["pins"]
    func = {"GND": "PWRIN", "GND2": "PWRIN", "5V": "PWRIN", "VIN": "PWRIN", "3V3": "PWROUT"}
    nano = _part(skidl, circ, "Arduino_Nano", "A1", [(n, func.get(n, "BIDIR")) for n in NANO_PINS],
                 NANO_FOOTPRINT, "Arduino Nano")
    oled_func = {"GND": "PWRIN", "VCC": "PWRIN", "SCL": "INPUT", "SDA": "BIDIR"}
    order = pm["oled_module"]["pin_order"]
    oled = _part(skidl, circ, "SSD1306_OLED_I2C", "DS1", [(n, oled_func[n]) for n in order],
                 OLED_FOOTPRINT, "SSD1306 128x64 I2C")
    sw = _part(skidl, circ, "SW_Push", "SW1", [("1", "PASSIVE"), ("2", "PASSIVE")], BUTTON_FOOTPRINT, "Push button")
    bat = _part(skidl, circ, "Battery", "BT1", [("+", "PWROUT"), ("-", "PWROUT")], BATTERY_FOOTPRINT, "3xAA 4.5 V")
    psw = _part(skidl, circ, "SW_SPST", "SW2", [("A", "PASSIVE"), ("B", "PASSIVE")], SWITCH_FOOTPRINT, "Power switch")

    npin = lambda sig: nano[p[sig]["board_pin"]]  # noqa: E731
    wiring = {
        "GND": [npin("ground"), nano["GND2"], oled["GND"], sw["2"], bat["-"]],
        "+5V": [npin("supply"), oled["VCC"], psw["B"]],
        "VBAT": [bat["+"], psw["A"]],
        "SDA": [npin("i2c_sda"), oled["SDA"]],
        "SCL": [npin("i2c_scl"), oled["SCL"]],
        "BUTTON": [npin("button"), sw["1"]],
    }
    for name, pins in wiring.items():
        if name in leave_open:
            continue
        n = skidl.Net(name, circuit=circ)
        if name in ("GND", "+5V"):
            # USB powers both rails inside the Nano module, so they are driven even with the battery off.
            n.drive = skidl.POWER
        n += pins
    used = {id(x) for pins in wiring.values() for x in pins}
    for x in nano.pins:
        if id(x) not in used:
            x += circ.NC

    from skidl.logger import erc_logger
    collector.lines.clear()
    circ.ERC()
    errors, warnings = erc_logger.error.count, erc_logger.warning.count
    erc_lines = [m.strip() for m in collector.lines if not m.startswith("INFO")]
    text = str(circ.generate_netlist(tool=skidl.KICAD8, do_backup=False))
    nets = {}
    for n in circ.get_nets():
        if n.name != circ.NC.name and n.pins:
            nets[n.name] = sorted(f"{x.part.ref}.{x.name}" for x in n.pins)
    parts = {pt.ref: pt.name for pt in circ.parts}
    return Result(_normalise(text), parts, nets, errors, warnings, erc_lines)


def _normalise(netlist: str) -> str:
    """Drop what changes between runs or machines: date, script path, SKiDL version."""
    netlist = re.sub(r'\(source "[^"]*"\)', '(source "hardware/make_hardware.py")', netlist)
    netlist = re.sub(r'\(date "[^"]*"\)', '(date "")', netlist)
    return re.sub(r'\(tool "SKiDL \([^)"]*\)"\)', '(tool "SKiDL")', netlist)
