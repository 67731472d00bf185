"""The virtual CH32V003 die: stimulus scripts run on host_tools/ch32_sim.py, results as the simavr die reports them.

    python host_tools/virtual_die.py --board ch32v003 --presses 3 --png screen.png
    python host_tools/die_gen.py --backend ch32v003 --count 6 --seed 0

Builds `make -C firmware ch32v003` (or ch32v003-test for die_gen's forced faces), runs it with the button, the UART
and the SSD1306 on the simulated bus, and reports per roll the decoder's cycles (the firmware's own SysTick count,
in the simulator's estimated cycles), cycles per MAC, and press -> last display byte. The I2C model takes the bus
time the firmware configured (CKCFGR), so press -> display includes it; all cycles are timing-model estimates.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gendie.device import board, check_faces
from gendie.fileio import write_doc_block
from host_tools import frame_protocol as fp
from host_tools import virtual_die_build as vdb, virtual_die_report as vdr, virtual_die_sim as vds
from host_tools.ch32_sim import RAM, RAM_SIZE, Ch32, Elf, SimCrash

BOARD = board("ch32v003")
CYCLES_PER_US = BOARD.f_cpu / 1e6
DOC = vdb.ROOT / "docs" / "ch32v003.md"


def print_and_write(name: str, body: str, write: bool) -> None:
    """Print a figures block; with write, replace the block between docs/ch32v003.md's `<!-- name:start/end -->`."""
    print(f"<!-- {name}:start -->\n{body}\n<!-- {name}:end -->")
    if write:
        write_doc_block(DOC, name, body)


def simulate(elf: Path, script: vds.Script, display: bool = True, seed: int = 0) -> vds.SimResult:
    """Run a vds.Script (run/btn/uart/quiet/mark lines) on the simulated chip; the result as the simavr die's."""
    e = Elf.load(elf)
    sim = Ch32(e, display=display, seed=seed)
    chip, marks, crashed = sim.chip, [], False
    try:
        for line in script.lines:
            op, *args = line.split()
            if op == "run":
                sim.run_until(chip.now + int(int(args[0]) * CYCLES_PER_US))
            elif op == "btn":
                chip.set_button(args[0] == "1")
            elif op == "uart":
                byte_cycles = 10 * round(BOARD.f_cpu / BOARD.baud)
                start = max([chip.now] + [t for t, _ in chip.uart_in])
                chip.uart_in += [(start + (i + 1) * byte_cycles, b) for i, b in enumerate(bytes.fromhex(args[0]))]
            elif op == "quiet":
                _quiet(sim, int(args[0]) * CYCLES_PER_US, int(args[1]) * CYCLES_PER_US)
            elif op == "mark":
                marks.append({"cycle": chip.now, "i2c_bytes": chip.i2c_bytes,
                              "i2c_transactions": chip.i2c_transactions, "last_i2c_cycle": chip.last_i2c,
                              "vram": chip.oled.ram.hex() if chip.oled else ""})
    except SimCrash as err:
        crashed = str(err)
    if sim.beyond_sram():
        crashed = crashed or "wrote beyond the 2 KB of SRAM"
    raw = {"uart": bytes(chip.uart_out).hex(), "vram": chip.oled.ram.hex() if chip.oled else "",
           "marks": marks, "crashed": bool(crashed or chip.faults), "crash_reason": crashed or chip.faults,
           "display": display, "ramend": RAM + RAM_SIZE - 1, "stack_lowest": RAM + RAM_SIZE - sim.peak_stack(),
           "watchdog_resets": sim.watchdog_resets,
           "standby_entries": sim.standby_entries}
    frames, _ = fp.decode_all(bytes(chip.uart_out))
    res = vds.SimResult(raw, frames, {"flash": e.flash_bytes, "sram_static": e.static_ram})
    faces = {}
    for f in frames:
        d = f.fields()
        if f.type_name == "FACE":
            faces[d["roll"]] = np.frombuffer(d["pixels"], np.uint8).reshape(32, 32)
        elif f.type_name == "ROLL":
            d["face"] = faces.get(d["roll"])
            res.rolls.append(d)
    return res


def _quiet(sim: Ch32, quiet: float, limit: float) -> None:
    """Run in 1 ms slices until UART and I2C were silent for `quiet` cycles with the CPU asleep (or `limit`)."""
    chip, t0 = sim.chip, sim.chip.now
    while chip.now - t0 < limit:
        sim.run_until(chip.now + int(1000 * CYCLES_PER_US))
        busy = chip.uart_in or chip.tx_hold is not None or chip.now < chip.tx_shift_until
        if sim.asleep and not busy and chip.now - max(chip.last_uart, chip.last_i2c) >= quiet:
            return


def roll_metrics(res: vds.SimResult, marks: list[int], model: str = "") -> list[dict]:
    """Per roll: decoder cycles and per MAC, press -> last display byte (bus time included) at f_cpu."""
    out, macs = [], vdb.macs_per_face(model)
    for i, m in enumerate(marks):
        a, b = res.raw["marks"][m], res.raw["marks"][m + 1]
        r = res.rolls[i] if i < len(res.rolls) else {}
        n = b["i2c_bytes"] - a["i2c_bytes"]
        press = b["last_i2c_cycle"] - a["cycle"] if n else None
        out.append({"pips": r.get("pips"), "angle_code": r.get("angle_code"), "latent_code": r.get("latent_code"),
                    "forced": r.get("forced"),
                    "decoder_cycles": r.get("cycles"),
                    "cycles_per_mac": round(r["cycles"] / macs, 2) if macs and r.get("cycles") else None,
                    "press_to_display_cycles": press, "i2c_bytes": n,
                    "press_to_display_s": None if press is None else round(press / BOARD.f_cpu, 6)})
    return out


def run_cli(a) -> int:
    """virtual_die.py --board ch32v003: build, press, draw the screen, print the figures (estimates)."""
    try:
        elf = a.elf or vdb.build_firmware("ch32v003", a.model)
        script, marks = vds.press_script(a.presses, a.seed, a.pips, tumble=not a.no_tumble)
        res = simulate(elf, script, display=not a.no_display, seed=a.seed)
    except (vdb.VirtualDieError, ValueError, OSError) as e:
        print(f"virtual_die: error: {e}", file=__import__("sys").stderr)
        return 2
    rolls = roll_metrics(res, marks, a.model)
    report = {"board": "ch32v003", "elf": str(elf), "flash": res.memory["flash"],
              "sram_static": res.memory["sram_static"], "peak_stack": res.peak_stack, "sram_total": res.sram_total,
              "crashed": res.raw["crash_reason"] or False, "rolls": rolls, "cycles": "estimates (timing model)",
              "logs": [f.fields()["text"] for f in res.frames if f.type_name == "LOG"]}
    if a.png and not a.no_display:
        vdr.save_png(res.vram, a.png)
    if a.json:
        print(json.dumps(report))
    else:
        if not a.no_display:
            print(vdr.render_terminal(res.vram))
        for i, r in enumerate(rolls, 1):
            print(f"roll {i}: pips {r['pips']} {fp.code_text(r)}{' (forced)' if r['forced'] else ''}; "
                  f"decoder ~{r['decoder_cycles']} cycles (~{r['cycles_per_mac']} per MAC); press -> last display "
                  f"byte ~{r['press_to_display_cycles']} cycles = {r['press_to_display_s']} s at 48 MHz")
        print(f"flash {report['flash']} B; SRAM static {report['sram_static']} B + peak stack "
              f"{report['peak_stack']} B = {report['sram_total']} B (cycles: timing-model estimates)")
    return 0 if not res.raw["crashed"] and len(res.rolls) == a.presses else 1


def generate_ch32v003(ckpt: str | Path, pips, codes, batch: int = 64) -> np.ndarray:
    """die_gen backend: uint8 (N, 32, 32), the faces the simulated CH32V003 dumped for each (pips, code)."""
    from host_tools.simavr_backend import check_rolls, face_script, firmware_model
    pips, codes = check_faces(pips, codes)
    model = firmware_model(Path(ckpt))
    try:
        elf = vdb.build_firmware("ch32v003-test", model)
    except vdb.VirtualDieError as e:
        raise ValueError(str(e)) from None
    faces = []
    for i in tqdm(range(0, len(pips), batch), desc="ch32v003", unit="batch", disable=len(pips) <= batch):
        p, c = pips[i:i + batch], codes[i:i + batch]
        res = simulate(elf, face_script(p, c), display=False)
        wrong = check_rolls(res.rolls, p, c, model)
        if res.raw["crashed"] or wrong:
            raise ValueError(f"the simulated CH32V003 {wrong or 'crashed'} ({res.raw['crash_reason'] or 'no crash'})")
        faces += [r["face"] for r in res.rolls]
    return np.stack(faces).astype(np.uint8) if faces else np.zeros((0, 32, 32), np.uint8)
