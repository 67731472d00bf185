/* The one multiply of the portable kernels: uint8 activation x int8 weight -> int16 (|product| <= 32,385).
 * Chips with a hardware multiplier use it directly; a chip without one (RV32EC) provides its own branch here. */
#ifndef GENDIE_MUL8_H
#define GENDIE_MUL8_H

#include <stdint.h>

#if defined(__AVR__)
/* avr-gcc emits one MULSU (2 cycles) for this */
static inline int16_t gd_mul_u8s8(uint8_t a, int8_t w)
{
    return (int16_t)((int16_t)a * w);
}
#else /* host and any target with a multiplier */
static inline int16_t gd_mul_u8s8(uint8_t a, int8_t w)
{
    return (int16_t)((int16_t)a * w);
}
#endif

#endif
