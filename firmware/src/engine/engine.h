/* The depth-first engine's view of a model: a table of levels (generated into src/model/decoder_model.c) that the
 * hand-written engine (engine.c) walks. Level k is the output map of layer k: level 0 the FC's (dim4, 4, 4) view,
 * the last level the 32x32 face. How each level is kept is chosen by export/plan.py to fit the activation budget. */
#ifndef GENDIE_ENGINE_H
#define GENDIE_ENGINE_H

#include <stdint.h>

#include "flash.h"

enum gd_kind {
    GD_FC,     /* one-hot pips select a table row; the condition multiplies int8 weights */
    GD_CONV,   /* 3x3, stride 1, padding 1 (a ConvTranspose s1 is stored flipped into this form) */
    GD_CONVT2  /* ConvTranspose 3x3, stride 2, padding 1, output padding 1: out[2i - 1 + k] += in[i] * w[k] */
};

enum gd_storage {
    GD_SCRATCH, /* the FC level: pixels recomputed into per-tap slots (a few MACs each) */
    GD_RING,    /* `rows` full rows, a row computed whole on a miss, one tag (the row's y) per slot */
    GD_WINDOW,  /* rows x cols pixel slots indexed (y mod rows, x mod cols), tagged (y, x): misses recompute */
    GD_STREAM,  /* the last hidden level of a PSUM plan: one pixel at a time, scattered into partial sums */
    GD_OUTPUT   /* the face */
};

struct gd_level {
    uint8_t kind, storage;
    uint8_t cin, cout;      /* channels in (of level k - 1) and out */
    uint8_t side;           /* this level's map is side x side */
    uint8_t rows, cols;     /* RING: rows kept; WINDOW: slot rows x cols */
    uint16_t buf, tags;     /* offsets of the pixels and the tags in the arena */
    const uint8_t *w;       /* weights + 128, [group of 4 outputs][tap][cin][4] (engine/dot.h) */
    const uint8_t *rq;      /* per output channel: bias + rounding (3 bytes), q, m (engine/requant.h's rq3) */
};

#endif
