/* What the two files of the depth-first engine share (internal to src/engine/): engine.c, the levels (get, the
 * ring rows, the tap lists, a level's pixels), and output.c, the output level (its partial-sum rows) and
 * decoder_run. The level table and the arena layout are the plan's (src/model/decoder_model.h). */
#ifndef GENDIE_LEVELS_H
#define GENDIE_LEVELS_H

#include <stdint.h>

#include "decoder_model.h"
#include "engine/dot.h"

#ifdef GD_COUNT_MACS
extern uint32_t gd_macs[GD_NLEVELS]; /* host test hook: MACs per layer, recompute included */
#define COUNT(k, v) (gd_macs[k] += (v))
#else
#define COUNT(k, v) ((void)0)
#endif

/* Benchmark hook (bench/c/avr_face.c builds with -DGD_LEVEL_REG=GPIOR1): the level whose work is running, so the
 * simulator can attribute every cycle to a level. Empty in every other build. */
#ifdef GD_LEVEL_REG
#define ENTER(k)                   \
    uint8_t gd_outer = GD_LEVEL_REG; \
    GD_LEVEL_REG = (k)
#define LEAVE() (GD_LEVEL_REG = gd_outer)
#else
#define ENTER(k) ((void)0)
#define LEAVE() ((void)0)
#endif

#ifdef __GNUC__
#define GD_NOINLINE __attribute__((noinline)) /* keeps big frames out of the recursion */
#else
#define GD_NOINLINE
#endif

#define LV(k, field) gd_rd_u8(&gd_levels[k].field)
#define LV16(k, field) gd_rd_u16(&gd_levels[k].field)
#define LVPTR(k, field) gd_rd_ptr(&gd_levels[k].field)

extern uint8_t gd_arena[GD_ARENA_BYTES]; /* every activation buffer (the plan's offsets) */

/* A streamed row's partial sums: the 3 output rows its taps reach (0: off the face), where each tap of the current
 * pixel lands (0: off the face), ConvT s2 or conv */
struct ps_row {
    uint8_t *rows[3], *dst[9], t2;
};
#if GD_OUTPUT_PSUM
#if GD_PSUM_BYTES != 3
#error "the partial-sum kernels (gd_run's scatter step) add 3-byte sums: re-export the model"
#endif
#define LAST (GD_NLEVELS - 1)
#define SIDE 32
/* output.c: the run's scatter step for streamed pixel x and every step-th pixel after it */
void gd_stream_init(struct gd_run *r, struct ps_row *s, uint8_t x, uint8_t step);
#endif

/* v mod m for the plan's slot counts (2, 3 or 4): a variable modulo would be a division call on AVR. Inline on the
 * AVR (speed; each file has its 32-byte table), one out-of-line copy in engine.c elsewhere (the CH32V003's 16 KB of
 * flash), as requant.h's GD_RQ3. */
#ifdef __AVR__
static const uint8_t gd_mod3[32] GD_FLASH = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0,
                                             1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1};
static inline uint8_t gd_mod(uint8_t v, uint8_t m)
{
    return m == 3 ? gd_rd_u8(&gd_mod3[v]) : (uint8_t)(v & (m - 1));
}
#else
uint8_t gd_mod(uint8_t v, uint8_t m);
#endif

/* engine.c */
void gd_init_tags(void);                                                          /* every slot empty */
void gd_fetch_rows(uint8_t k, uint8_t y);                                         /* rows below row y, present */
void gd_ring_row(uint8_t k, uint8_t y, uint8_t *out, struct ps_row *stream);     /* row y over a ring below */
void gd_level_pixel(uint8_t k, uint8_t y, uint8_t x, uint8_t *out, struct ps_row *stream); /* one pixel */

#endif
