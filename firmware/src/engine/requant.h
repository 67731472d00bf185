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
        uint16_t v = (uint16_t)((((uint16_t)u >> t) + 1u) >> 1);
        return v > 255 ? 255 : (uint8_t)v;
    }
}

#endif
