/* The inner loop of every 3x3 layer: all output channels of one pixel, 4 at a time, over a list of taps.
 *
 *   acc[4g + j] = sum over taps t < n, channels i < cin of  a_t[i] * (w_gt[i][j] - 128)    g < groups, j < 4
 *   a_t  = base + taps[2t] * cin                          (RAM: the input pixel's channels, uint8)
 *   w_gt = w + g * stride + taps[2t + 1] * cin * 4       (flash: offset-binary weights, 4 channels interleaved)
 *
 * The result is exact in int32; the proofs (docs/integer-contract.md) keep every true partial sum inside 24 bits.
 * Weights are stored + 128 so a kernel may multiply unsigned (AVR: MUL, 2 cycles, no sign handling) and subtract
 * 128 * sum(a) once at the end; the portable kernel multiplies signed through gd_mul_u8s8 (mul8.h).
 * dot.c has the portable versions of all three. dot_avr.S replaces gd_pixel and gd_scatter3 on the AVR (whose
 * engine then calls no gd_dot4); dot_rv32.S replaces gd_dot4 on RISC-V with -DGD_RV32_ASM (the CH32V003: quarter squares, no
 * multiply instruction), under dot.c's portable gd_pixel and gd_scatter3; -DGD_PORTABLE_KERNEL keeps dot.c everywhere. */
#ifndef GENDIE_DOT_H
#define GENDIE_DOT_H

#include <stdint.h>

/* RISC-V: dot_rv32.S only with -DGD_RV32_ASM (2x the portable kernel's speed, but its 1 KB quarter-square table
 * no longer fits the CH32V003's 16 KB next to the AVR-tuned engine: docs/ch32v003.md). */
#if defined(__riscv) && defined(GD_RV32_ASM) && !defined(GD_PORTABLE_KERNEL)
#define GD_DOT_ASM 1
#endif
#if defined(__AVR__) && !defined(GD_PORTABLE_KERNEL)
#define GD_PIXEL_ASM 1
#define GD_SCATTER_ASM 1
#endif

void gd_dot4(int32_t *acc, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
             uint16_t stride, uint8_t groups);

/* One pixel of a 3x3 layer, requantised: out[o] = rq3(acc[o] + record o's bias, its q, m) for o < cout, with acc
 * as gd_dot4 computes it ((cout + 3) / 4 groups) and rq the layer's records (engine/requant.h, 5 bytes each, flash).
 * Portable in dot.c on top of gd_dot4; the AVR keeps the sums in registers and requantises them there. */
void gd_pixel(uint8_t *out, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
              uint16_t stride, uint8_t cout, const uint8_t *rq);


/* The 1-channel output layer of a partial-sum plan: *dst[t] += sum_i e[i] * (w_t[i] - 128) for the 9 kernel taps t
 * (stored as 3 groups of 4 "channels" of one tap, the last 3 unused: export/emit.py's psum_weights), each dst a
 * 3-byte little-endian partial sum, added modulo 2^24 (exact: every final sum fits int24); then dst[t] += step, the
 * tap's destination for the next pixel of the row. A null dst[t] (off the face) is skipped and stays null. */
void gd_scatter3(uint8_t *dst[9], const uint8_t *e, const uint8_t *w, uint8_t cin, uint8_t step);

#endif
