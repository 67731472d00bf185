/* The output level of the depth-first decoder and decoder_run (decoder.h): a partial-sum plan streams the last
 * hidden level row by row into 3 rows of the output's partial sums, otherwise every face pixel is pulled through
 * the levels (engine.c). */
#include <stdint.h>

#include "decoder.h"
#include "decoder_model.h"
#include "engine/dot.h"
#include "engine/levels.h"
#include "engine/requant.h"

#if GD_OUTPUT_PSUM

/* Output partial sums: 3 rows of SIDE 3-byte little-endian accumulators (GD_PSUM_BYTES), added modulo 2^24 by
 * gd_run's scatter step (dot.h): exact, because every final sum (rounding constant included) fits int24
 * (export/emit.py). */
static uint8_t *ps(uint8_t y, uint8_t x)
{
    return &gd_arena[GD_AT_PSUM + ((uint16_t)gd_mod(y, 3) * SIDE + x) * 3u];
}

/* The partial sums of row y start at the output's bias + rounding (its record's first 3 bytes) */
static void ps_init(uint8_t y)
{
    const uint8_t *rec = (const uint8_t *)LVPTR(LAST, rq);
#ifdef GD_RUN_ASM
    gd_psum_fill(ps(y, 0), rec, SIDE);
#else
    uint8_t b0 = gd_rd_u8(rec), b1 = gd_rd_u8(rec + 1), b2 = gd_rd_u8(rec + 2), x, *p = ps(y, 0);
    for (x = 0; x < SIDE; x++) {
        *p++ = b0;
        *p++ = b1;
        *p++ = b2;
    }
#endif
}

/* Row y is complete: requantise it over its own partial sums (byte x is written after entries 0..x were read)
 * and hand it over; ps_init refills the slot before it is used again. */
static void ps_emit(uint8_t y, decoder_row_fn emit, void *ctx)
{
    const uint8_t *rec = (const uint8_t *)LVPTR(LAST, rq);
    uint8_t *row = ps(y, 0);
    ENTER(LAST);
#ifdef GD_RUN_ASM
    gd_psum_rq(row, rec, SIDE);
#else
    {
        uint8_t x, q = gd_rd_u8(rec + 3), m = gd_rd_u8(rec + 4);
        const uint8_t *p = row;
        for (x = 0; x < SIDE; x++, p += 3)
            row[x] = GD_RQ3(p[0], p[1], p[2], q, m);
    }
#endif
    LEAVE();
    emit(y, row, ctx);
}

/* The streamed pixel e times the output kernel's 9 taps (stored as 3 groups of 4 "channels"), added to the output
 * accumulators each tap lands on: a 3x3 conv's tap (ky, kx) lands on (y + 1 - ky, x + 1 - kx), a ConvT s2's on
 * (2y - 1 + ky, 2x - 1 + kx). Its own function, so its sums are not on the stack while e is being computed. */
static void ps_rows(uint8_t y, struct ps_row *r)
{
    uint8_t ky;
    r->t2 = LV(LAST, kind) == GD_CONVT2;
    for (ky = 0; ky < 3; ky++) {
        uint8_t yy = r->t2 ? (uint8_t)(2 * y - 1 + ky) : (uint8_t)(y + 1 - ky); /* 255 off the top */
        r->rows[ky] = yy < SIDE ? ps(yy, 0) : 0;
    }
}

/* The run's scatter step (gd_run, dot.h) for streamed pixel x and every step-th pixel after it: the 9 taps'
 * destinations of pixel x (gd_run moves them on) */
void gd_stream_init(struct gd_run *r, struct ps_row *s, uint8_t x, uint8_t step)
{
    uint8_t t, ky, kx, t2 = s->t2;
    for (t = 0, ky = 0; ky < 3; ky++) {
        uint8_t *row = s->rows[ky];
        for (kx = 0; kx < 3; kx++, t++) {
            uint8_t xx = t2 ? (uint8_t)(2 * x - 1 + kx) : (uint8_t)(x + 1 - kx); /* 255 off the left */
            s->dst[t] = row && xx < SIDE ? row + 3 * xx : 0;
            COUNT(LAST, s->dst[t] ? (uint32_t)r->cout * r->count : 0);
        }
    }
    r->dst = s->dst;
    r->sw = (const uint8_t *)LVPTR(LAST, w);
    r->sstep = (uint8_t)(step * (t2 ? 6 : 3));
}

/* Stream the last hidden level row by row; an output row is emitted once no later streamed row reaches it:
 * conv: row y - 1 after streamed row y; ConvT s2: rows 2y - 1 and 2y after streamed row y. Three rows live. */
static void run(decoder_row_fn emit, void *ctx)
{
    uint8_t t2 = LV(LAST, kind) == GD_CONVT2, side_in = LV(LAST - 1, side), y, x;
    ps_init(0);
    ps_init(1);
    for (y = 0; y < side_in; y++) {
        if (t2 && y >= 1) {
            ps_init((uint8_t)(2 * y));
            ps_init((uint8_t)(2 * y + 1));
        } else if (!t2 && y >= 1 && y + 1 < SIDE) {
            ps_init((uint8_t)(y + 1));
        }
        uint8_t *e = &gd_arena[LV16(LAST - 1, buf)];
        if (LV(LAST - 2, storage) == GD_RING) {
            struct ps_row r;
            gd_fetch_rows(LAST - 1, y);
            ps_rows(y, &r);
            gd_ring_row(LAST - 1, y, e, &r);
        } else {
            struct ps_row r;
            ps_rows(y, &r);
            for (x = 0; x < side_in; x++)
                gd_level_pixel(LAST - 1, y, x, e, &r);
        }
        if (t2 && y >= 1)
            ps_emit((uint8_t)(2 * y - 1), emit, ctx);
        if (t2)
            ps_emit((uint8_t)(2 * y), emit, ctx);
        else if (y >= 1)
            ps_emit((uint8_t)(y - 1), emit, ctx);
    }
    ps_emit(SIDE - 1, emit, ctx);
}
#else
static void run(decoder_row_fn emit, void *ctx)
{
    uint8_t y, x, *row = &gd_arena[GD_AT_OUT_ROW];
    for (y = 0; y < 32; y++) {
        for (x = 0; x < 32; x++)
            gd_level_pixel(GD_NLEVELS - 1, y, x, &row[x], 0);
        emit(y, row, ctx);
    }
}
#endif

void decoder_run(uint8_t pips, uint8_t code, decoder_row_fn emit, void *ctx)
{
    uint8_t k;
    gd_arena[GD_AT_PIPS] = (uint8_t)((pips < 1 ? 1 : pips > 6 ? 6 : pips) - 1);
    for (k = 0; k < GD_COND_DIM; k++)
        gd_arena[GD_AT_COND + k] = gd_rd_u8(&gd_cond[k][code]);
    gd_init_tags();
    run(emit, ctx);
}
