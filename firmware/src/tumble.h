/* The tumble: the faces a die shows while it settles, before the rolled face. Portable C (no board code).
 * The roll is decided first (roll.c); the tumble only decorates it: its pips and angles come from their own
 * generator, seeded with one word drawn after the roll, so it can never change which face lands. */
#ifndef GENDIE_TUMBLE_H
#define GENDIE_TUMBLE_H

#include <stdint.h>

/* Compile-time settings (-DTUMBLE_FRAMES=... on the build line). */
#ifndef TUMBLE_FRAMES   /* generated faces shown before the landed one; 0 = no tumble */
#define TUMBLE_FRAMES 8
#endif
#ifndef TUMBLE_SPIN     /* angle codes turned between the first two faces (256 = a full turn) */
#define TUMBLE_SPIN 56
#endif
#ifndef TUMBLE_SLOWDOWN /* each turn is the previous one * TUMBLE_SLOWDOWN / 256: the die slows as it settles */
#define TUMBLE_SLOWDOWN 192
#endif
#if TUMBLE_FRAMES > 255 || TUMBLE_SPIN > 255 || TUMBLE_SLOWDOWN > 255
#error "tumble.h: TUMBLE_FRAMES, TUMBLE_SPIN and TUMBLE_SLOWDOWN are bytes"
#endif

struct tumble {
    uint16_t rng;   /* xorshift16 state of the tumble's own generator (decoration: 16 bits are plenty) */
    uint8_t left;   /* faces still to show */
    uint8_t spin;   /* angle codes to the next face */
    uint8_t code;   /* angle of the next face */
    uint8_t pips;   /* pips of the face shown last (0 before the first) */
    uint8_t land;   /* the rolled pips: the last tumble face shows others */
    int8_t dir;     /* +1 or -1: which way it spins */
};

/* Plan `frames` faces that end one turn short of (pips, code), the rolled face. */
void tumble_start(struct tumble *t, uint8_t frames, uint8_t pips, uint8_t code, uint32_t seed);

/* The next tumble face as pips << 8 | code; 0 when the tumble is over (the rolled face comes next). */
uint16_t tumble_next(struct tumble *t);

#endif
