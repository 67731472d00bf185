/* The inner loop of every 3x3 layer: all output channels of one pixel, 4 at a time, over a list of taps.
 *
 *   acc[4g + j] = sum over taps t < n, channels i < cin of  a_t[i] * (w_gt[i][j] - 128)    g < groups, j < 4
 *   a_t  = base + taps[2t] * cin                          (RAM: the input pixel's channels, uint8)
 *   w_gt = w + g * stride + taps[2t + 1] * cin * 4       (flash: offset-binary weights, 4 channels interleaved)
 *
 * The result is exact in int32; the proofs (docs/integer-contract.md) keep every true partial sum inside 24 bits.
 * Weights are stored + 128 so a kernel may multiply unsigned (AVR: MUL, 2 cycles, no sign handling) and subtract
 * 128 * sum(a) once at the end; the portable kernel multiplies signed through gd_mul_u8s8 (mul8.h).
 * dot.c has the portable gd_dot4 and gd_run; dot_avr.S replaces gd_run on the AVR (whose engine then calls no
 * gd_dot4), fc_rows_avr.S adds the AVR-only kernels at the end of this file; dot_rv32.S replaces gd_dot4 on
 * RISC-V with -DGD_RV32_ASM (the CH32V003: quarter squares, no multiply instruction), under dot.c's portable
 * gd_run; -DGD_PORTABLE_KERNEL keeps dot.c everywhere. */
#ifndef GENDIE_DOT_H
#define GENDIE_DOT_H

#include <stdint.h>

/* RISC-V: dot_rv32.S only with -DGD_RV32_ASM (2x the portable kernel's speed, but its 1 KB quarter-square table
 * no longer fits the CH32V003's 16 KB next to the AVR-tuned engine: docs/ch32v003.md). */
#if defined(__riscv) && defined(GD_RV32_ASM) && !defined(GD_PORTABLE_KERNEL)
#define GD_DOT_ASM 1
#endif
#if defined(__AVR__) && !defined(GD_PORTABLE_KERNEL)
#define GD_RUN_ASM 1
#endif

void gd_dot4(int32_t *acc, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
             uint16_t stride, uint8_t groups);

/* A run of pixels of one 3x3 layer that share a tap list (the pixels of one class of a row, or one pixel), each:
 *  1. the pixel step: out[o] = rq3(acc[o] + record o's bias, its q, m) for o < cout, with acc as gd_dot4 computes
 *     it ((cout + 3) / 4 groups) and rq the layer's records (engine/requant.h, 5 bytes each, flash);
 *  2. streamed level (dst set), the scatter step into the 1-channel output layer's partial sums: *dst[t] +=
 *     sum_i out[i] * (sw_t[i] - 128) for the 9 kernel taps t (stored as 3 groups of 4 "channels" of one tap, the
 *     last 3 unused: export/emit.py's psum_weights), each dst a 3-byte little-endian partial sum added modulo 2^24
 *     (exact: every final sum fits int24) at dst[t] + i * sstep for the run's pixel i; a null dst[t] (off the
 *     face) is skipped;
 *  3. out += out_step, base += cin (the next pixel's input is the tap list's pixels moved on by one), count -= 1.
 * The run is left with count 0 and out and base moved past its last pixel. count >= 1. On the AVR n may have bit
 * 7 set: the list is of segments (engine.c's row_taps). The AVR keeps the sums in registers and requantises them
 * there (dot_avr.S, which reads the fields at these offsets: checked below); the portable kernel runs gd_dot4. */
struct gd_run {
    uint8_t *out;          /* the first pixel's cout channels */
    const uint8_t *base;   /* the input level's buffer, indexed by the tap list */
    const uint8_t *taps;   /* (input pixel index, kernel tap) pairs of the first pixel */
    const uint8_t *w, *rq; /* the layer's weights (as above) and requantisation records */
    uint16_t stride;       /* bytes of weights per group of 4 outputs: 36 * cin */
    uint8_t n, cin, cout, count, out_step, sstep;
    uint8_t *const *dst;   /* streamed: the 9 taps' partial sums for the first pixel (0: not streamed) */
    const uint8_t *sw;     /* streamed: the output layer's weights */
    uint16_t soff;         /* the AVR gd_run's own: the pixel's offset from the first pixel's partial sums */
};
void gd_run(struct gd_run *r);

#ifdef GD_RUN_ASM
/* The output's partial-sum rows (PSUM plans), each sum 3 bytes little-endian, in assembly on the AVR (output.c has
 * the portable loops): gd_psum_fill sets n sums at p to the output's bias (the first 3 bytes of its record, rec in
 * flash); gd_psum_rq requantises the n sums at row in place (byte x written after sums 0..x were read) by rq3 with
 * the record's q and m (engine/requant.h). */
void gd_psum_fill(uint8_t *p, const uint8_t *rec, uint8_t n);
void gd_psum_rq(uint8_t *row, const uint8_t *rec, uint8_t n);

/* The FC for one pixel of its 4x4 view, in assembly on the AVR (engine.c's fc_pixel has the portable loop): out[c]
 * = rq(the nb-byte table entry at tab + sum_k w[k] * cond[k], the shift at sh) (engine/requant.h) for c < ch, the
 * entry, weights and shift of output c being 16 entries (of nb bytes, of dim weights, of one shift) after c - 1's */
void gd_fc(uint8_t *out, const uint8_t *cond, const uint8_t *tab, const int8_t *w, const int8_t *sh, uint8_t ch,
           uint8_t dim, uint8_t nb);

#include <stddef.h>
typedef char gd_run_layout_of_dot_avr_S[offsetof(struct gd_run, stride) == 10 && offsetof(struct gd_run, n) == 12 &&
                                        offsetof(struct gd_run, dst) == 18 &&
                                        offsetof(struct gd_run, soff) == 22 ? 1 : -1];
#endif

#endif
