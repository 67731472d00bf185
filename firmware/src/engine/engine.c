/* The depth-first decoder's levels: decoder_run (output.c) reaches every level through get(k, y, x), which returns
 * the index of pixel (y, x) in level k's buffer and computes it first on a miss (a ring computes the whole row). A
 * pixel of a 3x3 layer lists its taps (input pixel index, kernel tap) by fetching each from the level below, then
 * gd_run (dot.h) runs 4 output channels per pass. The plan guarantees that fetching one tap never evicts another of
 * the same pixel (export/plan.py simulates this exact access order). All buffers live in one arena of
 * GD_ARENA_BYTES; sizes and offsets come from the plan (src/model/). */
#include <stdint.h>

#include "decoder_model.h"
#include "engine/dot.h"
#include "engine/levels.h"
#include "engine/mul8.h"
#include "engine/requant.h"

#ifdef GD_COUNT_MACS
uint32_t gd_macs[GD_NLEVELS];
#endif

uint8_t gd_arena[GD_ARENA_BYTES] = {0}; /* defined here (in .bss, not a common symbol) */

#ifndef __AVR__ /* the AVR inlines it (levels.h) */
static const uint8_t gd_mod3[32] GD_FLASH = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0,
                                             1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1};

uint8_t gd_mod(uint8_t v, uint8_t m)
{
    return m == 3 ? gd_rd_u8(&gd_mod3[v]) : (uint8_t)(v & (m - 1));
}
#endif

#ifndef GD_RUN_ASM
/* An FC table entry: GD_FC_BYTES little-endian two's complement bytes in flash -> int32 */
static int32_t fc_entry(const uint8_t *p)
{
#if GD_FC_BYTES == 4
    return gd_rd_i32(p);
#else
    uint32_t v = gd_rd_u8(p);
#if GD_FC_BYTES >= 2
    v |= (uint32_t)gd_rd_u8(p + 1) << 8;
#endif
#if GD_FC_BYTES == 3
    v |= (uint32_t)gd_rd_u8(p + 2) << 16;
#endif
    if (gd_rd_u8(p + GD_FC_BYTES - 1) & 0x80) /* sign-extend (testing the byte: AVR shifts 32 bits bit by bit) */
        v |= ~(uint32_t)0 << (8 * GD_FC_BYTES);
    return (int32_t)v;
#endif
}
#endif

/* FC pixel (y, x) of the (GD_FC_CH, 4, 4) view: the pips' table row + condition x weights, all in flash */
static void fc_pixel(uint8_t y, uint8_t x, uint8_t *out)
{
#ifdef GD_RUN_ASM
    uint8_t j = (uint8_t)(y * 4u + x);
    ENTER(0);
    gd_fc(out, &gd_arena[GD_AT_COND], gd_fc_table[gd_arena[GD_AT_PIPS]][j], gd_fc_w[j], &gd_fc_shift[j], GD_FC_CH,
          GD_COND_DIM, GD_FC_BYTES);
#else
    const uint8_t *cond = &gd_arena[GD_AT_COND];
    uint8_t pi = gd_arena[GD_AT_PIPS], c, k;
    ENTER(0);
    for (c = 0; c < GD_FC_CH; c++) {
        uint16_t j = (uint16_t)(c * 16u + y * 4u + x);
        int32_t acc = fc_entry(gd_fc_table[pi][j]);
        for (k = 0; k < GD_COND_DIM; k++)
            acc += gd_mul_u8s8(cond[k], gd_rd_i8(&gd_fc_w[j][k]));
        out[c] = rq(acc, gd_rd_i8(&gd_fc_shift[j]));
    }
#endif
    COUNT(0, GD_FC_CH * GD_COND_DIM);
    LEAVE();
}

/* A run of level k's pixels (gd_run, dot.h): one pixel at out over the input buffer below, not streamed */
GD_NOINLINE static void run_init(struct gd_run *r, uint8_t k, const uint8_t *below, uint8_t *out)
{
    const struct gd_level *L = &gd_levels[k];
    r->cin = gd_rd_u8(&L->cin);
    r->cout = gd_rd_u8(&L->cout);
    r->w = (const uint8_t *)gd_rd_ptr(&L->w);
    r->rq = (const uint8_t *)gd_rd_ptr(&L->rq);
    r->stride = (uint16_t)(36u * r->cin);
    r->base = below;
    r->out = out;
    r->count = 1;
    r->out_step = 0;
    r->dst = 0;
}


/* All output channels of pixel x of level k from its listed taps, requantised, and (stream) scattered into the
 * output's partial sums. Its own frame (the run), kept off the recursion of list_taps. */
GD_NOINLINE static void finish(uint8_t k, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t *out,
                               struct ps_row *stream, uint8_t x)
{
    struct gd_run r;
    run_init(&r, k, base, out);
    r.taps = taps;
    r.n = n;
    COUNT(k, (uint32_t)n * r.cin * r.cout);
#if GD_OUTPUT_PSUM
    if (stream)
        gd_stream_init(&r, stream, x, 1);
#endif
    (void)stream;
    (void)x;
    gd_run(&r);
}

static uint8_t get(uint8_t k, uint8_t y, uint8_t x);

/* One ConvT s2 axis: output v = 2i - 1 + kt, so even v takes tap 1 of input v/2; odd v tap 0 of input (v+1)/2 (if
 * inside) and tap 2 of input (v-1)/2. Returns the count; fills kernel taps kt[] and input indices in[]. */
static uint8_t convt2_axis(uint8_t v, uint8_t n_in, uint8_t kt[2], uint8_t in[2])
{
    uint8_t c = 0;
    if (!(v & 1)) {
        kt[0] = 1;
        in[0] = (uint8_t)(v >> 1);
        return 1;
    }
    if ((v >> 1) + 1 < n_in) {
        kt[0] = 0;
        in[0] = (uint8_t)((v >> 1) + 1);
        c = 1;
    }
    kt[c] = 2;
    in[c] = (uint8_t)(v >> 1);
    return (uint8_t)(c + 1);
}

/* The kernel taps kt[] and input indices in[] of output coordinate v along one axis, in tap order; returns the count */
static uint8_t axis(uint8_t t2, uint8_t v, uint8_t n_in, uint8_t kt[3], uint8_t in[3])
{
    uint8_t a, n = 0;
    if (t2)
        return convt2_axis(v, n_in, kt, in);
    for (a = 0; a < 3; a++) {
        uint8_t u = (uint8_t)(v + a - 1); /* wraps to 255 above/left: skipped */
        if (u < n_in) {
            kt[n] = a;
            in[n++] = u;
        }
    }
    return n;
}

/* The input rows of output row y of level k over a RING level below, in ky order (the planner's simulation: a
 * pixel's first taps fetch them): yt[a] the offset of input row a's pixels in the ring (computed on a miss: the row
 * is usually there, so its tag is checked here and get called only then), yt[3 + a] its kernel row ky * 3; returns
 * their count */
static uint8_t ring_rows(uint8_t k, uint8_t y, uint8_t yt[6])
{
    const struct gd_level *B = &gd_levels[k - 1];
    uint8_t side_in = gd_rd_u8(&B->side), rows = gd_rd_u8(&B->rows), a;
    uint8_t n = axis(LV(k, kind) == GD_CONVT2, y, side_in, yt + 3, yt);
    const uint8_t *tag = &gd_arena[gd_rd_u16(&B->tags)];
    for (a = 0; a < n; a++) {
        uint8_t r = gd_mod(yt[a], rows);
        yt[a] = tag[r] == yt[a] ? (uint8_t)(r * side_in) : get((uint8_t)(k - 1), yt[a], 0);
        yt[a + 3] = (uint8_t)(yt[a + 3] * 3);
    }
    return n;
}

/* The taps of pixel x of a ring-fed row whose input rows are yt[0 .. ny - 1] (ring_rows), in the planner's order
 * (ky outer, kx inner); returns the count. The AVR kernel takes a list of segments (gd_run, dot.h): a tap whose
 * input pixel and kernel tap both follow the last one's (a conv's kernel row) joins it, and the count gets bit 7. */
GD_NOINLINE static uint8_t row_taps(uint8_t *taps, const uint8_t *yt, uint8_t ny, uint8_t t2, uint8_t x,
                                    uint8_t side_in)
{
    uint8_t kx[3], ix[3], nx = axis(t2, x, side_in, kx, ix), a, b, *t = taps, seg = 0;
    for (a = 0; a < ny; a++)
        for (b = 0; b < nx; b++) {
#ifdef GD_RUN_ASM
            if (b && ix[b] == ix[b - 1] + 1 && kx[b] == kx[b - 1] + 1) {
                t[-1] = (uint8_t)(t[-1] + 16);
                seg = 0x80;
                continue;
            }
#endif
            *t++ = (uint8_t)(yt[a] + ix[b]);
            *t++ = (uint8_t)(yt[a + 3] + kx[b]);
        }
    return (uint8_t)(((t - taps) >> 1) | seg);
}

/* The taps of pixel (y, x) of level k: pairs (index of the input pixel in level k-1's buffer, kernel tap), in the
 * order the planner simulated (ky outer, kx inner). A ring input row is fetched once (ring_rows), then every tap
 * of it is a hit; an FC input is computed into scratch slot t; a window input is fetched once per tap. */
static uint8_t list_taps(uint8_t k, uint8_t y, uint8_t x, uint8_t taps[18])
{
    uint8_t ky[3], iy[3], kx[3], ix[3], a, b, n = 0;
    uint8_t side_in = LV(k - 1, side), below = LV(k - 1, storage), t2 = LV(k, kind) == GD_CONVT2, ny, nx;
    if (below == GD_RING) {
        uint8_t yt[6];
        ny = ring_rows(k, y, yt);
        return row_taps(taps, yt, ny, t2, x, side_in);
    }
    ny = axis(t2, y, side_in, ky, iy);
    nx = axis(t2, x, side_in, kx, ix);
    for (a = 0; a < ny; a++) {
        uint8_t t = (uint8_t)(ky[a] * 3);
        for (b = 0; b < nx; b++, n++) {
#ifdef GD_AT_FC_SCRATCH
            if (below == GD_SCRATCH) {
                fc_pixel(iy[a], ix[b], &gd_arena[GD_AT_FC_SCRATCH + n * GD_FC_CH]);
                taps[2 * n] = n;
            } else
#endif
                taps[2 * n] = get((uint8_t)(k - 1), iy[a], ix[b]);
            taps[2 * n + 1] = (uint8_t)(t + kx[b]);
        }
    }
    return n;
}

/* Pixel (y, x) of level k >= 1, every channel, into out (stream: then into the partial sums) */
void gd_level_pixel(uint8_t k, uint8_t y, uint8_t x, uint8_t *out, struct ps_row *stream)
{
    uint8_t taps[18], n;
    uint16_t below;
    ENTER(k);
    n = list_taps(k, y, x, taps);
#ifdef GD_AT_FC_SCRATCH
    below = LV(k - 1, storage) == GD_SCRATCH ? GD_AT_FC_SCRATCH : LV16(k - 1, buf);
#else
    below = LV16(k - 1, buf);
#endif
    finish(k, &gd_arena[below], taps, n, out, stream, x);
    LEAVE();
}

/* The input rows of output row y of level k over a RING level below, computed on a miss (ring_rows) */
void gd_fetch_rows(uint8_t k, uint8_t y)
{
    uint8_t yt[6];
    ring_rows(k, y, yt);
}

/* Row y of level k over a RING level below whose rows are present (fetch_rows): the taps of a pixel depend on x
 * only through its class (conv: first, inner, last; ConvT s2: even, inner odd, last), so the row runs as gd_run's
 * (dot.h) of pixels sharing one tap list, the input moved on by one pixel per pixel of the run: x = 0 (ConvT s2:
 * with every even x); the inner pixels of each class (conv: 1 .. side - 2; ConvT s2: the odd ones from 1, two
 * apart; streamed, the even ones from 2); x = side - 1. Pixels go to out, cout bytes apart, or (stream) all to
 * out, each scattered into the partial sums. */
GD_NOINLINE void gd_ring_row(uint8_t k, uint8_t y, uint8_t *out, struct ps_row *stream)
{
    const struct gd_level *L = &gd_levels[k];
    uint8_t taps[18], yt[6], ny, x0 = 0;
    uint8_t side = gd_rd_u8(&L->side), side_in = gd_rd_u8(&L[-1].side), t2 = gd_rd_u8(&L->kind) == GD_CONVT2;
    uint8_t step = t2 ? 2 : 1;
    const uint8_t *below = &gd_arena[gd_rd_u16(&L[-1].buf)];
    struct gd_run r;
    ENTER(k);
    run_init(&r, k, below, out);
    r.taps = taps;
    if (!stream)
        r.out_step = (uint8_t)(step * r.cout);
    ny = ring_rows(k, y, yt); /* every row is present (fetch_rows): no recursion */
    for (;;) {
        if (!x0) /* x = 0 alone, but for ConvT s2 in a ring, all the even x (a streamed row moves the destinations
                  * of its x = 0, off the face on the left, with the other pixels) */
            r.count = t2 && !stream ? (uint8_t)(side >> 1) : 1;
        else /* the inner pixels of the class (one pixel for x = side - 1); no division call */
            r.count = x0 + 1 < side ? (uint8_t)(((side - 2 - x0) >> (step - 1)) + 1) : 1;
        r.n = row_taps(taps, yt, ny, t2, x0, side_in);
        r.base = below;
        r.out = stream ? out : out + (uint16_t)x0 * r.cout;
        COUNT(k, (uint32_t)r.n * r.cin * r.cout * r.count);
#if GD_OUTPUT_PSUM
        if (stream)
            gd_stream_init(&r, stream, x0, step);
#endif
        gd_run(&r);
        if (x0 + 1 >= side)
            break;
        x0 = x0 == 0 ? 1 : t2 && stream && x0 == 1 && side > 3 ? 2 : (uint8_t)(side - 1);
    }
    LEAVE();
}

/* Index of pixel (y, x) in level k's buffer (RING or WINDOW; level 0 only RING), computing it on a miss */
static uint8_t get(uint8_t k, uint8_t y, uint8_t x)
{
    const struct gd_level *L = &gd_levels[k];
    uint8_t *tag = &gd_arena[gd_rd_u16(&L->tags)];
    uint8_t rows = gd_rd_u8(&L->rows), r = gd_mod(y, rows);
    if (gd_rd_u8(&L->storage) == GD_RING) {
        uint8_t side = gd_rd_u8(&L->side);
        if (tag[r] != y) {
            uint8_t xx, c = gd_rd_u8(&L->cout);
            uint8_t *p = &gd_arena[gd_rd_u16(&L->buf)] + (uint16_t)r * side * c;
            if (k && LV(k - 1, storage) == GD_RING) {
                gd_fetch_rows(k, y);
                gd_ring_row(k, y, p, 0);
            } else {
                for (xx = 0; xx < side; xx++, p += c) {
                    if (k == 0)
                        fc_pixel(y, xx, p);
                    else
                        gd_level_pixel(k, y, xx, p, 0);
                }
            }
            tag[r] = y;
        }
        return (uint8_t)(r * side + x);
    } else {
        uint8_t cols = gd_rd_u8(&L->cols);
        uint8_t s = (uint8_t)(r * cols + gd_mod(x, cols));
        tag += 2 * s;
        if (tag[0] != y || tag[1] != x) {
            gd_level_pixel(k, y, x, &gd_arena[gd_rd_u16(&L->buf)] + (uint16_t)s * gd_rd_u8(&L->cout), 0);
            tag[0] = y;
            tag[1] = x;
        }
        return s;
    }
}

void gd_init_tags(void)
{
    uint8_t k;
    for (k = 0; k + 1 < GD_NLEVELS; k++) {
        uint8_t st = LV(k, storage), i, n = 0;
        if (st == GD_RING)
            n = LV(k, rows);
        else if (st == GD_WINDOW)
            n = (uint8_t)(2 * LV(k, rows) * LV(k, cols));
        for (i = 0; i < n; i++)
            gd_arena[LV16(k, tags) + i] = 0xFF; /* no row/pixel 255 exists */
    }
}

