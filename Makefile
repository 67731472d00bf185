# GenDie top-level Makefile. The README's two commands: `make demo` and `make test`.
PY    := .venv/bin/python
STAMP := .venv/.installed

.PHONY: help setup demo test test-deps dataset eval-cnn export bench firmware virtual-die hardware frame-files \
        viewer-demo sweep web web-dist web-deps clean

help:
	@echo "make demo         - set up, then dataset -> evaluation CNN -> a virtual die roll in simavr"
	@echo "make test         - set up, then run the test suite"
	@echo "make setup        - install Debian toolchains (as root) and .venv (torch first)"
	@echo "make firmware     - build firmware/build/nano/firmware.elf with Debian's avr-gcc"
	@echo "make virtual-die  - press the simulated die (simavr): it tumbles; PNG + GIF in build/ (MODEL=angle: angle mode)"
	@echo "make web          - the die in the browser (avr8js) on http://127.0.0.1:8000/ (PORT=8123 to change)"
	@echo "make web-dist     - the static page in host_tools/web/dist/, for any static web host"
	@echo "make hardware     - regenerate pins.h, schematic and wiring diagram from hardware/pinmap.json"
	@echo "make frame-files  - regenerate the frame-protocol C header, JS constants and test vectors"
	@echo "make viewer-demo  - the frame viewer replaying rolls from a stand-in die"
	@echo "make sweep        - the quick footprint study (~11 min on 2 cores)"
	@echo "make export       - models/decoder.pt -> firmware/src/model/ (generated C + memory plan)"
	@echo "make bench        - decoder and firmware figures into docs/benchmarks.md"

$(STAMP): pyproject.toml .ci/bootstrap
	@.ci/bootstrap

setup: $(STAMP)

test: $(STAMP) test-deps
	$(PY) -m pytest -q -n auto --dist loadfile tests

# The web tests' npm packages, like the venv; without npm they skip (one line says why).
test-deps:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web-deps; \
	 else echo "make test: no node/npm, the web tests will skip (Debian: apt-get install nodejs npm)"; fi

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
	$(PY) host_tools/virtual_die.py --presses 1 --seed $$(date +%s) --png build/virtual_die.png --gif build/virtual_die.gif \
	    $(if $(MODEL),--model $(MODEL))

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

# The die in the browser: the real firmware.hex in avr8js (host_tools/web/README.md). Served on 127.0.0.1 only.
PORT ?= 8000
WEB  := host_tools/web
WEB_DEPS := $(WEB)/node_modules/.installed

$(WEB_DEPS): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
	 { echo "make: the web page needs node and npm (Debian: apt-get install nodejs npm)" >&2; exit 2; }
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

web-deps: $(WEB_DEPS)

web-dist: $(WEB_DEPS)
	$(MAKE) --no-print-directory -C firmware nano
	node $(WEB)/build.mjs --hex firmware/build/nano/firmware.hex --out $(WEB)/dist

web: $(STAMP) web-dist
	@$(PY) host_tools/serve_web.py --port "$(PORT)"

clean:
	rm -rf data runs build firmware/build $(WEB)/dist
