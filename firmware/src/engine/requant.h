/* The integer contract's one requantisation (docs/integer-contract.md), used by the engine for every output.
 * The golden model (gendie/golden.py, gendie/intmodel.py's requant) is its oracle. */
#ifndef GENDIE_REQUANT_H
#define GENDIE_REQUANT_H

#include <stdint.h>

/* The contract's requantisation: clamp(floor(acc / 2^s + 1/2), 0, 255). A non-positive acc gives 0 at once, so
 * no negative value is ever shifted. floor((acc + 2^(s-1)) / 2^s) == ((acc >> (s-1)) + 1) >> 1, which needs no
 * rounding constant; whole-byte shifts first, because AVR shifts a 32-bit value one bit per 4 instructions. */
static inline uint8_t rq(int32_t acc, int8_t s)
{
    uint32_t u;
    uint8_t t;
    if (acc <= 0)
        return 0;
    u = (uint32_t)acc;
    if (s <= 0) {
        t = (uint8_t)-s;
        return (t >= 8 || u > (255u >> t)) ? 255 : (uint8_t)(u << t);
    }
    t = (uint8_t)(s - 1);
    if (t >= 16) {
        u >>= 16;
        t = (uint8_t)(t - 16);
    }
    if (t >= 8) {
        u >>= 8;
        t = (uint8_t)(t - 8);
    }
    if (u >> 16) /* t <= 7, so u >> t >= 512: saturated; otherwise the last bits shift in 16 bits */
        return 255;
    {
        /* (w + 1) >> 1 > 255 exactly when w >= 511; tested before the + 1, which wraps at w = 65535 where int is
         * 16 bits (AVR) */
        uint16_t w = (uint16_t)((uint16_t)u >> t);
        return w >= 511 ? 255 : (uint8_t)((w + 1u) >> 1);
    }
}

/* The same requantisation from a 3x3 layer's record (export/emit.py's rq_records), on the 3 little-endian bytes
 * c:b:a of v = acc + bias + 2^(s-1) (exact modulo 2^24: the proof keeps v inside int24). With the rounding folded
 * into the bias, y = v < 0 ? 0 : min(v >> s, 255) for s >= 1 (acc <= 0 gives v < 2^(s-1), so 0). s = 8q + r:
 * q whole bytes, then r = 8 - log2(m) bits through two 8x8 multiplies by m = 2^(8-r) (one MUL each on AVR):
 * the low byte of u >> r is hi(a * m) | lo(b * m), and u >> r > 255 exactly when hi(b * m) or c is set.
 * q = 3 marks s <= 0: y = min(v * m, 255), m = min(2^-s, 255). The AVR kernel (dot_avr.S) does the same steps. */
static inline uint8_t rq3(uint8_t a, uint8_t b, uint8_t c, uint8_t q, uint8_t m)
{
    uint16_t lo, hi;
    if (c & 0x80)
        return 0;
    if (q == 3) {
        lo = (uint16_t)((uint16_t)a * m);
        return (b | c || lo > 255) ? 255 : (uint8_t)lo;
    }
    if (q == 2) {
        a = c;
        b = 0;
        c = 0;
    } else if (q == 1) {
        a = b;
        b = c;
        c = 0;
    }
    lo = (uint16_t)((uint16_t)a * m);
    hi = (uint16_t)((uint16_t)b * m);
    return ((hi >> 8) | c) ? 255 : (uint8_t)((lo >> 8) | hi);
}

/* Its callers use GD_RQ3: inline on the AVR (speed), one out-of-line copy in dot.c elsewhere (the CH32V003's
 * 16 KB of flash holds the firmware with little to spare). */
#ifdef __AVR__
#define GD_RQ3 rq3
#else
uint8_t gd_rq3(uint8_t a, uint8_t b, uint8_t c, uint8_t q, uint8_t m);
#define GD_RQ3 gd_rq3
#endif

#endif
