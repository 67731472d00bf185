/* The decoder's one multiply, uint8 activation x int8 weight -> int16 (|a * w| <= 255 * 128 = 32640), one
 * primitive per chip. Bit-exact everywhere: it is the exact product, only the way to get it differs.
 *
 * RV32EC (CH32V003) has no multiply instruction; a plain `*` becomes a call to libgcc's __mulsi3, a loop over the
 * bits of a 32-bit operand. Its MACs run in dot_rv32.S (quarter squares, the same table); this primitive serves the
 * FC layer and the portable kernel (dot.c, -DGD_PORTABLE_KERNEL). Options, measured on this decoder in the simulator
 * (docs/ch32v003.md, reproduced by `python host_tools/ch32_mul_study.py`):
 *   quarter squares (RISC-V default): a * w = Q(a + w) - Q(a - w) with Q(n) = floor(n^2 / 4), exact for integers
 *     (a + w and a - w have the same parity, so both floors drop the same 0 or 1/4); Q is stored for n = -128..383
 *     so both sums index it directly (1 KB of flash, src/engine/mul8_qsq.c, linked anyway for dot_rv32.S);
 *   -DGD_MUL_SHIFT_ADD: one add per set bit of a, at most 8 turns, no table;
 *   -DGD_MUL_LIBGCC: the plain `*` (reference);  -DGD_MUL_INLINE: inline at every MAC (gcc -Os otherwise keeps one
 *     out-of-line copy: less flash, a call per MAC). */
#ifndef GENDIE_MUL8_H
#define GENDIE_MUL8_H

#include <stdint.h>

#if defined(__riscv) && !defined(GD_MUL_SHIFT_ADD) && !defined(GD_MUL_LIBGCC) && !defined(GD_MUL_QSQ)
#define GD_MUL_SHIFT_ADD 1 /* the default that fits the 16 KB with today's engine: no table, inline */
#ifndef GD_MUL_INLINE
#define GD_MUL_INLINE 1
#endif
#endif

#if defined(GD_MUL_INLINE)
#define GD_MUL_ATTR static inline __attribute__((always_inline))
#else
#define GD_MUL_ATTR static inline
#endif

#if defined(__riscv)
extern const uint16_t gd_qsq[512]; /* gd_qsq[n + 128] = floor(n^2 / 4), n = -128..383 (mul8_qsq.c) */
#endif

#if defined(__riscv) && defined(GD_MUL_QSQ)

GD_MUL_ATTR int16_t gd_mul_u8s8(uint8_t a, int8_t w)
{
    const uint16_t *q = gd_qsq + 128;

    return (int16_t)(q[(int32_t)a + w] - q[(int32_t)a - w]); /* the difference is the product, mod 2^16 */
}

#elif defined(__riscv) && defined(GD_MUL_SHIFT_ADD)
GD_MUL_ATTR int16_t gd_mul_u8s8(uint8_t a, int8_t w)
{
    int32_t acc = 0, ws = w;
    uint32_t m = a;

    while (m) { /* w shifts up alongside a's bits */
        if (m & 1u)
            acc += ws;
        ws <<= 1;
        m >>= 1;
    }
    return (int16_t)acc;
}

#else /* AVR (hardware 8x8 multiply), the host, and the RV32EC reference build: the plain product */
GD_MUL_ATTR int16_t gd_mul_u8s8(uint8_t a, int8_t w)
{
    return (int16_t)(w * a);
}
#endif

/* int8 x int8 (the FC layer's condition values times its weights), through the same primitive on every chip:
 * a * w = (a + 128) * w - 128 * w, with a + 128 in 0..255; exact, and no libgcc call on RV32EC. */
static inline int16_t gd_mul_s8s8(int8_t a, int8_t w)
{
#if defined(__riscv)
    return (int16_t)(gd_mul_u8s8((uint8_t)(a + 128), w) - (int16_t)(w * 128));
#else
    return (int16_t)(a * w);
#endif
}

#endif
