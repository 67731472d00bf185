/* GenDie face decoder: draws one 32x32 grey face for (pips, code), streaming rows to a callback.
 * The engine (engine/, hand-written) runs the model that export/export_decoder.py generated from the trained
 * checkpoint as data and a plan (model/decoder_model.{c,h}); it evaluates the network depth-first in at most 1 KB
 * of static RAM (see model/memory_plan.json) and is bit-exact with the integer contract
 * (docs/integer-contract.md). No malloc, no floats, not reentrant. */
#ifndef GENDIE_DECODER_H
#define GENDIE_DECODER_H

#include <stdint.h>

/* Called once per output row, y = 0..31 in order; `row` holds 32 grey bytes (0 = black) valid only during the call. */
typedef void (*decoder_row_fn)(uint8_t y, const uint8_t *row, void *ctx);

/* pips 1..6 (other values are clamped into range); code: angle code (degrees = code * 360 / 256) or latent code. */
void decoder_run(uint8_t pips, uint8_t code, decoder_row_fn emit, void *ctx);

#endif
