/* See tumble.h. The angle path is planned backwards from the landed angle, so the spin that slows down
 * frame by frame ends exactly on it: face k sits at code - dir * (turns k..frames-1). */
#include "tumble.h"

static uint16_t next(struct tumble *t)
{
    uint16_t x = t->rng;

    x ^= (uint16_t)(x << 7);
    x ^= (uint16_t)(x >> 9);
    x ^= (uint16_t)(x << 8);
    t->rng = x;
    return x;
}

/* The next turn; at least one code, so every tumble face is at another angle than the one after it. */
static uint8_t slower(uint8_t spin)
{
    uint8_t s = (uint8_t)(((uint16_t)spin * TUMBLE_SLOWDOWN) >> 8);

    return s ? s : 1u;
}

void tumble_start(struct tumble *t, uint8_t frames, uint8_t pips, uint8_t code, uint32_t seed)
{
    uint16_t total = 0;
    uint8_t i, spin = TUMBLE_SPIN;

    t->rng = (uint16_t)(seed ^ (seed >> 16));
    if (t->rng == 0) /* xorshift's one fixed point */
        t->rng = 0xACE1u;
    t->left = frames;
    t->spin = TUMBLE_SPIN;
    t->pips = 0;
    t->land = pips;
    t->dir = (next(t) & 1u) ? 1 : -1;
    for (i = 0; i < frames; i++, spin = slower(spin))
        total = (uint16_t)(total + spin);
    t->code = (uint8_t)(code - t->dir * (int16_t)(total & 0xFFu));
}

uint16_t tumble_next(struct tumble *t)
{
    uint8_t p, c;

    if (t->left == 0)
        return 0;
    t->left--;
    /* A different value from the face before, and the last one differs from the landed face too: each
     * change of face is visible. Bias does not matter here (decoration), but rejection costs nothing. */
    do
        p = (uint8_t)(next(t) & 7u);
    while (p == 0 || p > 6 || p == t->pips || (t->left == 0 && p == t->land));
    t->pips = p;
    c = t->code;
    t->code = (uint8_t)(c + t->dir * (int16_t)t->spin);
    t->spin = slower(t->spin);
    return (uint16_t)((uint16_t)p << 8 | c);
}
