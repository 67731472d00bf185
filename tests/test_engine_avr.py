"""The engine on the ATmega328P in simavr (bench/bench_decoder.py): both kernels bit-exact with golden, the speed
budget, and the benchmark table in docs/benchmarks.md being this run's."""
import re
import shutil
from pathlib import Path

import pytest

from bench import bench_decoder as bench
from gendie import budgets
from fixtures import exported

ROOT = Path(__file__).resolve().parent.parent
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
