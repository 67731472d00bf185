/* The inner loop of every 3x3 layer: all output channels of one pixel, 4 at a time, over a list of taps.
 *
 *   acc[4g + j] = sum over taps t < n, channels i < cin of  a_t[i] * (w_gt[i][j] - 128)    g < groups, j < 4
 *   a_t  = base + taps[2t] * cin                          (RAM: the input pixel's channels, uint8)
 *   w_gt = w + g * stride + taps[2t + 1] * cin * 4       (flash: offset-binary weights, 4 channels interleaved)
 *
 * The result is exact in int32; the proofs (docs/integer-contract.md) keep every true partial sum inside 24 bits.
 * Weights are stored + 128 so a kernel may multiply unsigned (AVR: MUL, 2 cycles, no sign handling) and subtract
 * 128 * sum(a) once at the end; the portable kernel multiplies signed through gd_mul_u8s8 (mul8.h).
 * One implementation is compiled per target: dot_avr.S on AVR, dot_rv32.S on RISC-V (the CH32V003: quarter squares,
 * no multiply instruction), dot.c elsewhere (or with -DGD_PORTABLE_KERNEL). */
#ifndef GENDIE_DOT_H
#define GENDIE_DOT_H

#include <stdint.h>

#if (defined(__AVR__) || defined(__riscv)) && !defined(GD_PORTABLE_KERNEL)
#define GD_DOT_ASM 1
#endif

void gd_dot4(int32_t *acc, const uint8_t *base, const uint8_t *taps, uint8_t n, uint8_t cin, const uint8_t *w,
             uint16_t stride, uint8_t groups);

#endif
