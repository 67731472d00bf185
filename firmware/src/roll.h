/* The roll: a small PRNG fed with real entropy, and unbiased draws from it. Portable C (no board
 * code), so the host test can check its fairness. */
#ifndef GENDIE_ROLL_H
#define GENDIE_ROLL_H

#include <stdint.h>

/* Fold entropy into the state (any number of times; each call re-hashes the whole state). */
void roll_mix(uint32_t entropy);

/* Next 32 pseudo-random bits (xorshift32). */
uint32_t roll_next(void);

/* Pips 1..6, uniform: 3-bit draws of 6 or 7 are rejected, so there is no modulo bias. */
uint8_t roll_pips(void);

/* Code byte 0..255, uniform: the angle code (degrees = code * 360 / 256), or in a VAE-mode build the latent code
 * (the codes are 256 equal arcs of the ring prior: a uniform code is a sample of the prior). */
uint8_t roll_code(void);

#endif
