"""Every budget GenDie is held to, each number once: tests assert them, tools draw and report them."""
from __future__ import annotations

# The decoder (any config that ships).
DECODER_PARAMS = 10_000          # weights + biases
DECODER_MACS = 2_000_000         # multiply-accumulates per face, recompute included
DECODER_FLASH_BYTES = 10 * 1024  # weight, bias, shift and condition tables
ACT_RAM_BYTES = 1024             # the depth-first plan's activation buffers

# The ATmega328P firmware (Arduino Nano / Uno).
AVR_FLASH_BYTES = 20 * 1024      # .text + .data; the chip has 32 KB, the bootloader and headroom take the rest
AVR_SRAM_BYTES = 1536            # static (.data + .bss) + peak stack, of the chip's 2,048
PRESS_TO_DISPLAY_S = 1.0         # roll without tumble -> last display byte of the face, at 16 MHz + 400 kHz I2C
TUMBLE_S = 1.5                   # button press -> last byte of the landed die after the tumble, same clocks
TUMBLE_MIN_FRAMES = 8            # generated tumble faces before the landed one
AVR_CYCLES_PER_NETWORK_MAC = 12  # the decoder alone (null row sink, simavr, -Os): cycles / layer-by-layer MACs

# The frame code alone (firmware/src/frame_tx.c).
FRAME_TX_FLASH_BYTES = 1024

# The CH32V003 firmware (RV32EC, no multiplier; docs/ch32v003.md).
CH32_FLASH_BYTES = 16 * 1024     # .text + .data: the whole chip, weights, font and UI included
CH32_SRAM_BYTES = 2 * 1024       # static (.data + .bss) + peak stack: the whole chip
CH32_PRESS_TO_DISPLAY_S = 0.2    # goal: button press -> last display byte of the face at 48 MHz (simulated estimate)

# Diversity of the random rolls (training/diversity.py): per pip count, estimated angles in bins of the symmetry period.
DIVERSITY_BINS = 32
DIVERSITY_MIN_COVERAGE = 0.90    # fraction of bins hit
DIVERSITY_MAX_RATIO = 3.0        # no bin above 3x its even share
