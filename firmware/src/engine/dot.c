/* Portable references of dot.h's kernels (gd_dot4, gd_run): every target without a hand-written one, and AVR with
 * -DGD_PORTABLE_KERNEL (the benchmark's side-by-side comparison). A chip-specific gd_dot4 defines GD_DOT_ASM and
 * serves the portable gd_run too. */
#include "engine/dot.h"

#ifndef GD_DOT_ASM
#include "engine/mul8.h"
#include "flash.h"

/* a * b for an index (b = cin <= 63): shifts and adds, so a chip without a multiplier calls no libgcc routine */
static __attribute__((noinline)) uint16_t index_times(uint16_t a, uint8_t b)
{
    uint16_t r = 0;
    for (; b; b >>= 1, a = (uint16_t)(a << 1))
        if (b & 1u)
            r = (uint16_t)(r + a);
    return r;
}

static void group(int32_t acc[4], const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin,
                  const uint8_t *w)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint8_t t, i;
    for (t = 0; t < n; t++) {
        const uint8_t *a = base + index_times(taps[2 * t], cin);
        const uint8_t *wt = w + (uint16_t)(index_times(taps[2 * t + 1], cin) << 2);
        for (i = 0; i < cin; i++, wt += 4) {
            uint8_t v = a[i];
            if (v == 0) /* ReLU zeros are common: skip their 4 products */
                continue;
            a0 += gd_mul_u8s8(v, (int8_t)(gd_rd_u8(wt) ^ 0x80));
            a1 += gd_mul_u8s8(v, (int8_t)(gd_rd_u8(wt + 1) ^ 0x80));
            a2 += gd_mul_u8s8(v, (int8_t)(gd_rd_u8(wt + 2) ^ 0x80));
            a3 += gd_mul_u8s8(v, (int8_t)(gd_rd_u8(wt + 3) ^ 0x80));
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void gd_dot4(int32_t *acc, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
             uint16_t stride, uint8_t groups)
{
    for (; groups; groups--, acc += 4, w += stride)
        group(acc, base, taps, n, cin, w);
}
#endif

#include "engine/requant.h"
#include "flash.h"

#ifndef __AVR__
uint8_t gd_rq3(uint8_t a, uint8_t b, uint8_t c, uint8_t q, uint8_t m)
{
    return rq3(a, b, c, q, m);
}
#endif

#ifndef GD_RUN_ASM

/* gd_run's pixel step */
static void pixel(uint8_t *out, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
                  uint16_t stride, uint8_t cout, const uint8_t *rq)
{
    int32_t acc[4];
    uint8_t j;
    for (; cout; w += stride) {
        gd_dot4(acc, base, taps, n, cin, w, stride, 1);
        for (j = 0; j < 4 && cout; j++, cout--, rq += 5) {
            uint32_t v = (uint32_t)acc[j] + gd_rd_u8(rq) + ((uint32_t)gd_rd_u8(rq + 1) << 8) +
                         ((uint32_t)gd_rd_u8(rq + 2) << 16); /* modulo 2^24: only its 3 low bytes are read */
            *out++ = GD_RQ3((uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), gd_rd_u8(rq + 3), gd_rd_u8(rq + 4));
        }
    }
}

/* gd_run's scatter step */
static void scatter(uint8_t *const dst[9], uint16_t off, const uint8_t *e, const uint8_t *w, uint8_t cin)
{
    const uint8_t one_tap[2] = {0, 0}; /* input pixel 0 (e itself), kernel tap 0 */
    int32_t acc[12];
    uint8_t t;
    gd_dot4(acc, e, one_tap, 1, cin, w, (uint16_t)(4u * cin), 3);
    for (t = 0; t < 9; t++) {
        uint8_t *p = dst[t];
        uint32_t v;
        if (!p)
            continue;
        p += off;
        v = (p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16)) + (uint32_t)acc[t];
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
    }
}

/* The benchmark's attribution (engine.c's ENTER, bench builds only): the scatter step is the output level's work */
#ifdef GD_LEVEL_REG
#define OUTPUT_LEVEL(op) (GD_LEVEL_REG op)
#else
#define OUTPUT_LEVEL(op) ((void)0)
#endif

void gd_run(struct gd_run *r)
{
    uint16_t off = 0;
    for (; r->count; r->count--, r->out += r->out_step, r->base += r->cin, off += r->sstep) {
        pixel(r->out, r->base, r->taps, r->n, r->cin, r->w, r->stride, r->cout, r->rq);
        if (r->dst) {
            OUTPUT_LEVEL(++);
            scatter(r->dst, off, r->out, r->sw, r->cout);
            OUTPUT_LEVEL(--);
        }
    }
}

#endif

