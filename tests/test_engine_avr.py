"""The engine on the ATmega328P in simavr (bench/bench_decoder.py): both kernels bit-exact with golden, the speed
budget, and the benchmark table in docs/benchmarks.md being this run's."""
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench import bench_decoder as bench
from gendie import budgets, intmodel
from fixtures import exported

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "firmware" / "src"
COMMITTED = ROOT / "models" / "decoder.pt"
pytestmark = pytest.mark.skipif(not (shutil.which("avr-gcc") and shutil.which("make")), reason="avr-gcc missing")


@pytest.fixture(scope="module")
def committed():
    return bench.measure(COMMITTED)


def test_both_avr_kernels_bit_exact_on_another_config():
    """The fixture config (8_8_8_8+1: FC scratch, a window, a conv output as partial sums) on every pip count:
    measure() raises unless the assembly and the portable kernel give the golden faces."""
    r = bench.measure(exported() / "d.pt")
    assert r["avr_bit_exact"] and r["faces"] == 12
    assert r["avr_cycles_per_face"] < r["avr_portable_cycles_per_face"]
    assert r["planned_macs"] >= r["network_macs"]


def test_committed_default_bit_exact_and_within_the_firmware_plan(committed):
    assert committed["avr_bit_exact"]
    assert committed["activation_ram_plan"] <= budgets.ACT_RAM_BYTES
    assert committed["avr"]["ram"] == committed["activation_ram_plan"]  # the arena is the engine's only RAM


def test_committed_default_cycles_per_network_mac_budget(committed):
    assert committed["avr_cycles_per_face"] <= budgets.AVR_CYCLES_PER_NETWORK_MAC * committed["network_macs"]


def test_benchmark_table_in_the_docs_is_this_run(committed):
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    block = re.search(r"<!-- bench_decoder:start -->\n(.*?)\n<!-- bench_decoder:end -->", doc, re.S).group(1)
    assert block == bench.table(committed), "stale: run python bench/bench_decoder.py --write"


def _fc_cases(rng: np.random.Generator, ch: int = 8, dim: int = 4) -> tuple[str, int]:
    """fc_cases.h for tests/c/fc_avr_driver.c: two cases per table width 1-4, entries and condition values at their
    extremes and random (sums within int32), shifts -9..31; the outputs the integer contract gives
    (gendie.intmodel.requant)."""
    nbs, conds, tabs, ws, shs, wants = [], [], [], [], [], []
    for nb in (1, 2, 3, 4, 1, 2, 3, 4):
        lim = 1 << (8 * nb - 1)
        top = lim if nb < 4 else lim - (1 << 17)  # 4 bytes: the sum too must fit int32, as in the C reference
        entry = rng.choice([-top, top - 1, 0, 1, -1, 65535 % lim, *rng.integers(-top, top, 8)], size=(ch, 16))
        cond = rng.choice([0, 1, 127, 128, 255, *rng.integers(0, 256, 4)], size=dim)
        w = rng.choice([-128, 127, 0, *rng.integers(-128, 128, 6)], size=(ch, 16, dim))
        sh = rng.choice([-9, -8, -3, -1, 0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31], size=(ch, 16))
        w[0, 0], entry[0, 0], sh[0, 0] = 0, 65535 % lim, 1  # (acc + 1) >> 1 overflows 16 bits: 255
        acc = entry.astype(np.int64) + (w.astype(np.int64) * cond).sum(-1)
        wants.append(intmodel.requant(acc, sh).ravel())
        tabs.append(((entry[..., None] >> (8 * np.arange(nb))) & 255).ravel())
        nbs.append(nb)
        conds.append(cond)
        ws.append(w.ravel() & 255)
        shs.append(sh.ravel() & 255)

    def table(name, rows, flash=True):
        width = max(len(r) for r in rows)
        body = ",\n".join("{" + ",".join(str(int(v)) for v in r) + "}" for r in rows)
        return f"static const uint8_t {name}[{len(rows)}][{width}] {'PROGMEM ' if flash else ''}= {{{body}}};"

    lines = [f"#define FC_CASES {len(nbs)}", f"#define FC_CH {ch}", f"#define FC_DIM {dim}",
             "static const uint8_t fc_nb[] PROGMEM = {" + ",".join(map(str, nbs)) + "};",
             table("fc_cond", conds, flash=False).replace("static const", "static"), table("fc_tab", tabs),
             table("fc_w", ws), table("fc_sh", shs), table("fc_want", wants)]
    return "\n".join(lines) + "\n", len(nbs) * ch * 16


def test_fc_kernel_every_table_width_and_shift_matches_the_contract(tmp_path):
    """gd_fc (fc_rows_avr.S) on table widths 1-4 and shifts -9..31, beyond what any trained model uses, against
    the integer contract's requantisation."""
    if not shutil.which("simavr"):
        pytest.skip("simavr missing")
    header, n = _fc_cases(np.random.default_rng(11))
    (tmp_path / "fc_cases.h").write_text(header)
    elf = tmp_path / "fc.elf"
    subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-Os", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{SRC}",
                    f"-I{tmp_path}", str(ROOT / "tests" / "c" / "fc_avr_driver.c"),
                    str(SRC / "engine" / "fc_rows_avr.S"), "-o", str(elf)], check=True, capture_output=True)
    r = subprocess.run(["simavr", "-m", "atmega328p", "-f", "16000000", str(elf)], capture_output=True, text=True,
                       timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", r.stderr).replace("\n", "")
    assert f"checked {n} bad 0" in text, text[-200:]
