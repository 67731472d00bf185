"""Schematic and wiring diagram of GenDie, drawn with schemdraw from the pin map.

SVGs use schemdraw's own SVG backend (no matplotlib, no ids, no dates), so they are byte-identical
for the pinned schemdraw version. PNGs go through matplotlib and are only made on request.
"""
from __future__ import annotations

import schemdraw
import schemdraw.elements as elm

from hardware.hw_circuit import NANO_PINS

COLOURS = {"black": "#222222", "red": "#d62728", "yellow": "#e6b800", "blue": "#1f5fbf",
           "green": "#2ca02c", "white": "#999999", "orange": "#ff7f0e"}


# CH32V003F4P6, TSSOP-20, pins 1..20 (datasheet pinout; PD1 is also SWIO, PD7 NRST).
CH32V003F4P6_PINS = ["PD4", "PD5", "PD6", "PD7", "PA1", "PA2", "VSS", "PD0", "VDD", "PC0",
                     "PC1", "PC2", "PC3", "PC4", "PC5", "PC6", "PC7", "PD1", "PD2", "PD3"]
# Per board: the chip's pin list (pad numbers), its label, the supply name, where the UART goes.
ART = {"nano": (NANO_PINS, "A1  Arduino Nano\nATmega328P\n16 MHz, 5 V", "+5V", "to the on-board USB-serial chip"),
       "uno": (NANO_PINS, "A1  Arduino Uno\nATmega328P\n16 MHz, 5 V", "+5V", "to the on-board USB-serial chip"),
       "ch32v003": (CH32V003F4P6_PINS, "U1  CH32V003F4P6\nRV32EC, 48 MHz\n3.3-5 V", "VDD",
                    "to a USB-serial adapter (e.g. the WCH-LinkE's)")}


def _pin_no(board_pin: str, board: str = "nano") -> str:
    """Pad number of a pin: KiCad Arduino_Nano header pin (the first, for GND), or the chip's package pin."""
    return str(ART[board][0].index(board_pin) + 1)


def _note(d: schemdraw.Drawing, xy: tuple[float, float], text: str, size: float = 10) -> None:
    d.add(elm.Label().at(xy).label(text, halign="left", valign="top", fontsize=size))


def schematic(pm: dict, fmt: str = "svg", board: str = "nano") -> bytes:
    """The circuit as a schematic: the board (Nano A1, or the bare CH32V003 U1 with its SWIO programming pin),
    OLED DS1, button SW1, battery BT1 with switch SW2."""
    backend = "svg" if fmt == "svg" else "matplotlib"
    schemdraw.use(backend)
    p = pm["boards"][board]["pins"]
    c = pm["common"]
    bp = {k: v["board_pin"] for k, v in p.items()}
    _, title, vdd, uart_to = ART[board]
    chip = title.split("\n")[0].split()[-1]  # "Nano", "CH32V003F4P6"
    avr = pm["boards"][board]["family"] == "avr"  # the internal pull-ups and the speed-grade cut-off are the AVR firmware's
    side = lambda k, s, label=None, slot=None: elm.IcPin(  # noqa: E731
        name=label or bp[k], pin=_pin_no(bp[k], board), side=s, anchorname=k, slot=slot)
    prog = [side("swio", "bottom", f"{bp['swio']}/SWIO", "4/4")] if "swio" in p else []
    tx_rx = ("1/4", "2/4") if prog else ("2/4", "4/4")
    with schemdraw.Drawing(show=False, canvas=backend) as d:
        d.config(fontsize=11, unit=2.5, bgcolor="white")  # white, not transparent: readable in dark themes
        # Ic pins are listed bottom-to-top (left/right sides) and left-to-right (bottom side).
        nano = d.add(elm.Ic(pins=[
            side("ground", "left"), side("supply", "left"),
            side("uart_tx", "bottom", f"{bp['uart_tx']}/TX", tx_rx[0]),
            side("uart_rx", "bottom", f"{bp['uart_rx']}/RX", tx_rx[1]), *prog,
            side("button", "right", f"{bp['button']}/{p['button']['irq']}"),
            side("i2c_sda", "right", f"{bp['i2c_sda']}/SDA"), side("i2c_scl", "right", f"{bp['i2c_scl']}/SCL"),
        ], pinspacing=1.0, edgepadH=0.6, size=(7.0 if prog else 5.0, 4.0), lsize=11,
            label=title))
        order = pm["oled_module"]["pin_order"]
        oled = d.add(elm.Ic(pins=[elm.IcPin(name=n, pin=str(order.index(n) + 1), side="left", anchorname=n.lower())
                                  for n in ("GND", "SDA", "SCL", "VCC")], pinspacing=1.0, edgepadH=0.6,
                            size=(4.0, 4.0), lsize=11,
                            label=f"DS1  SSD1306\n128x64 OLED\nI2C {c['oled_i2c_addr']}\n(or {c['oled_i2c_addr_alt']})")
                    .anchor("scl").at((nano.i2c_scl[0] + 8, nano.i2c_scl[1])))
        d.add(elm.Line().at(nano.i2c_scl).to(oled.scl).label("SCL", loc="top"))
        d.add(elm.Line().at(nano.i2c_sda).to(oled.sda).label("SDA", loc="top"))
        d.add(elm.Line().at(oled.vcc).left(1.2))
        d.add(elm.Vdd().label(vdd))
        d.add(elm.Line().at(oled.gnd).left(1.2))
        d.add(elm.Ground())
        d.add(elm.Line().at(nano.button).right(1.5))
        d.add(elm.Button().down().label("SW1\nroll", loc="bottom"))
        d.add(elm.Ground())
        d.add(elm.Line().at(nano.supply).left(1.0).label(vdd, loc="top"))
        d.add(elm.Switch().left().label("SW2 power", loc="top"))
        d.add(elm.Battery().down().reverse().label("BT1\n3xAA\n4.5 V", loc="bottom"))
        d.add(elm.Ground())
        d.add(elm.Line().at(nano.ground).left(0.6))
        d.add(elm.Ground())
        for k in ("uart_tx", "uart_rx"):
            d.add(elm.Line().at(getattr(nano, k)).down(0.6))
        _note(d, (nano.uart_tx[0] - 0.5, nano.uart_tx[1] - 0.8),
              f"{uart_to}:\nroll dump, {c['uart_baud']} {c['uart_format']}", 9)
        if prog:
            d.add(elm.Line().at(nano.swio).down(0.6))
            _note(d, (nano.swio[0] - 0.5, nano.swio[1] - 1.9), "to the WCH-LinkE's SWIO:\nflashing", 9)
        box = d.get_bbox()
        _note(d, (box.xmin, box.ymin - 0.4), "\n".join([
            f"GenDie schematic (board: {board}) - generated from hardware/pinmap.json",
            f"SW1: {bp['button']} to GND; internal pull-up, active low, wakes on {p['button']['irq']}.",
            f"I2C {c['i2c_hz'] // 1000} kHz; SDA/SCL pull-ups are on the OLED module"
            + (" (the MCU's weak internal ones are on too)" if avr else "") + f". Unused {chip} pins: not connected.",
            "SW2/BT1 optional: switch the battery off while USB is plugged in."
            + (" Below 3.78 V (16 MHz speed grade) the firmware stops rolling (BATT LOW)." if avr else ""),
        ]), 10)
        return d.get_imagedata(fmt)


def _header(d: schemdraw.Drawing, x: float, y: float, names: list[str], step: float, label_below: bool) -> list:
    """A row of header pins (open dots) with labels; returns [(name, (x, y))]."""
    out = []
    for i, n in enumerate(names):
        xy = (x + i * step, y)
        d.add(elm.Dot(open=True, radius=0.12).at(xy))
        d.add(elm.Label().at((xy[0], y + (-0.3 if label_below else 0.3))).label(
            n, rotate=90, fontsize=8, halign="right" if label_below else "left", valign="center"))
        out.append((n, xy))
    return out


def _nearest(pins: list, name: str, start: tuple[float, float]) -> tuple[float, float]:
    """Header position of `name` closest to `start` (the Nano has two GND pins)."""
    cands = [xy for n, xy in pins if n == name]
    return min(cands, key=lambda xy: (xy[0] - start[0]) ** 2 + (xy[1] - start[1]) ** 2)


def wiring(pm: dict, fmt: str = "svg", board: str = "nano") -> bytes:
    """A top view of the boards with one coloured wire per connection in the pin map's wire list."""
    backend = "svg" if fmt == "svg" else "matplotlib"
    schemdraw.use(backend)
    p = pm["boards"][board]["pins"]
    step, h = 0.8, 5.0
    # Both GND and both RESET pins carry the same name on the board itself.
    shown = [{"GND2": "GND", "RESET2": "RESET"}.get(n, n) for n in ART[board][0]]
    half = len(shown) // 2
    with schemdraw.Drawing(show=False, canvas=backend) as d:
        d.config(fontsize=10, lw=1.5, bgcolor="white")
        # Seen from above (components up), pin 1 bottom left: top row pins n..n/2+1, bottom row 1..n/2.
        w = step * (half + 1)
        d.add(elm.Rect((0, 0), (w, h), fill="#e8f0fa").at((0, 0)))
        if ART[board][0] is NANO_PINS:  # its USB socket
            d.add(elm.Rect((w - 0.5, h / 2 - 0.6), (w + 0.6, h / 2 + 0.6), fill="#cccccc").at((0, 0)))
        title = ("A1  Arduino Nano, top view, USB on the right" if ART[board][0] is NANO_PINS
                 else f"{ART[board][1].split(chr(10))[0]} (pins as on the TSSOP-20 chip), top view")
        d.add(elm.Label().at((w / 2, h / 2)).label(title, fontsize=10))
        pins = _header(d, step, h - 0.6, shown[:half - 1:-1], step, True) + \
            _header(d, step, 0.6, shown[:half], step, False)
        order = pm["oled_module"]["pin_order"]
        ox, oy = 3.5, h + 5.0
        d.add(elm.Rect((ox - 0.8, oy), (ox + 0.8 * len(order) + 0.8, oy + 3.2), fill="#1a1a2e").at((0, 0)))
        d.add(elm.Rect((ox - 0.4, oy + 1.3), (ox + 0.8 * len(order) + 0.4, oy + 2.9), fill="#000000").at((0, 0)))
        d.add(elm.Label().at((ox - 0.8, oy + 3.6)).label(
            "DS1  SSD1306 OLED module - check the pin order printed on yours", fontsize=10, halign="left"))
        ends = {}
        for i, n in enumerate(order):
            xy = (ox + i * 0.8 + 0.4, oy + 0.4)
            d.add(elm.Dot(open=True, radius=0.12).at(xy))
            d.add(elm.Label().at((xy[0], oy + 0.85)).label(n, fontsize=8, color="white"))
            ends[f"OLED {n}"] = xy
        bx, by = w + 3.0, h + 2.0
        d.add(elm.Rect((bx - 0.8, by - 0.7), (bx + 1.6, by + 0.7), fill="#dddddd").at((0, 0)))
        d.add(elm.Label().at((bx + 0.4, by + 1.1)).label("SW1 push button", fontsize=10))
        ends["Button leg 1"], ends["Button leg 2"] = (bx - 0.4, by), (bx + 1.2, by)
        for leg in ("Button leg 1", "Button leg 2"):
            d.add(elm.Dot(open=True, radius=0.12).at(ends[leg]))
        above = below = 0
        for wire in pm["wires"]:
            start = ends[wire["from"]]
            end = _nearest(pins, p[wire["to"]]["board_pin"], start)
            if end[1] > h / 2:  # top row: one lane per wire above the board, earlier wires higher
                yl = h + 3.0 - 0.5 * above
                above += 1
                pts = [start, (start[0], yl), (end[0], yl), end]
            else:  # bottom row: lanes below the board, entered from the right of the board
                yl = -1.2 - 0.5 * below
                xr = max(start[0], w + 0.8 + 0.4 * below)
                below += 1
                pts = [start, (xr, start[1]), (xr, yl), (end[0], yl), end]
            colour = COLOURS.get(wire["colour"], wire["colour"])
            for a, b in zip(pts, pts[1:]):
                if a != b:
                    d.add(elm.Line().at(a).to(b).color(colour).linewidth(2.5))
            d.add(elm.Dot(radius=0.12).at(end).color(colour))
        _note(d, (-0.6, -3.0), "\n".join(
            [f"GenDie wiring (board: {board}) - generated from hardware/pinmap.json"]
            + [f"{x['from']} -> {p[x['to']]['board_pin']} ({x['colour']} wire)" for x in pm["wires"]]), 9)
        return d.get_imagedata(fmt)
