# GenDie top-level Makefile. The README's two commands: `make demo` and `make test`.
PY    := .venv/bin/python
STAMP := .venv/.installed

.PHONY: help setup demo test dataset eval-cnn export bench firmware virtual-die hardware frame-files \
        viewer-demo sweep clean

help:
	@echo "make demo         - set up, then dataset -> evaluation CNN -> a virtual die roll in simavr"
	@echo "make test         - set up, then run the test suite"
	@echo "make setup        - install Debian toolchains (as root) and .venv (torch first)"
	@echo "make firmware     - build firmware/build/nano/firmware.elf with Debian's avr-gcc"
	@echo "make virtual-die  - press the simulated die (simavr): it tumbles; PNG + GIF in build/"
	@echo "make hardware     - regenerate pins.h, schematic and wiring diagram from hardware/pinmap.json"
	@echo "make frame-files  - regenerate the frame-protocol C header and test vectors"
	@echo "make viewer-demo  - the frame viewer replaying rolls from a stand-in die"
	@echo "make sweep        - the quick footprint study (~11 min on 2 cores)"
	@echo "make export       - models/decoder.pt -> firmware/src/model/ (generated C + memory plan)"
	@echo "make bench        - decoder and firmware figures into docs/benchmarks.md"

$(STAMP): pyproject.toml .ci/bootstrap
	@.ci/bootstrap

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q tests

demo: $(STAMP) dataset
	$(PY) training/evaluate.py --images data/dice_aug.npz
	$(MAKE) --no-print-directory virtual-die

dataset: $(STAMP)
	$(PY) dataset/make_dice.py --count 8192 --out data/dice.npz --preview data/dice_preview.png
	$(PY) dataset/make_dice.py --augment --count 4096 --seed 1 --out data/dice_aug.npz \
		--preview data/dice_aug_preview.png

eval-cnn: $(STAMP)
	$(PY) training/train_eval_cnn.py

firmware: $(STAMP)
	$(MAKE) -C firmware nano

# A new press timing each run, so each demo rolls its own number (tests use fixed seeds).
virtual-die: $(STAMP)
	$(PY) host_tools/virtual_die.py --presses 1 --seed $$(date +%s) --png build/virtual_die.png --gif build/virtual_die.gif

hardware: $(STAMP)
	$(PY) hardware/make_hardware.py

frame-files: $(STAMP)
	$(PY) host_tools/gen_frame_files.py

viewer-demo: $(STAMP)
	$(PY) host_tools/fake_die.py --out data/demo_dump.bin --rolls 60
	$(PY) host_tools/frame_viewer.py --file data/demo_dump.bin

bench: $(STAMP)
	$(PY) bench/bench_decoder.py --write
	$(PY) host_tools/virtual_die.py --presses 60 --seed 3 --write-benchmarks

export: $(STAMP)
	$(PY) export/export_decoder.py

sweep: $(STAMP)
	$(PY) bench/sweep.py --quick --out runs/sweep

clean:
	rm -rf data runs build firmware/build
