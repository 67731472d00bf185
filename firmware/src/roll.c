/* See roll.h. */
#include "roll.h"

static uint32_t state = 0x9E3779B9u; /* any non-zero start; real entropy is mixed in at boot */

/* murmur3's finaliser: a bijection with full avalanche, so a single entropy bit changes the whole state. */
static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

void roll_mix(uint32_t entropy)
{
    state = fmix32(state ^ fmix32(entropy + 0x9E3779B9u));
    if (state == 0) /* xorshift's one fixed point */
        state = 0x9E3779B9u;
}

uint32_t roll_next(void)
{
    uint32_t x = state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state = x;
    return x;
}

uint8_t roll_pips(void)
{
    for (;;) {
        uint32_t r = roll_next();
        uint8_t i;

        /* Ten 3-bit draws per word; each is accepted with probability 6/8. */
        for (i = 0; i < 10; i++, r >>= 3) {
            uint8_t v = (uint8_t)(r & 7u);
            if (v < 6u)
                return (uint8_t)(v + 1u);
        }
    }
}

uint8_t roll_code(void) { return (uint8_t)(roll_next() >> 24); }
