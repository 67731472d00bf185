/* Constant tables in flash on every board: on AVR, const data would otherwise be copied to the 2 KB of SRAM at
 * start-up, so it is placed with PROGMEM and read with the pgm_read_* instructions. Other targets map flash into
 * the address space, so plain const is already in flash and reads are ordinary loads. */
#ifndef GENDIE_FLASH_H
#define GENDIE_FLASH_H

#include <stdint.h>

#ifdef __AVR__
#include <avr/pgmspace.h>
#define GD_FLASH PROGMEM
#define gd_rd_i8(p) ((int8_t)pgm_read_byte(p))
#define gd_rd_u8(p) ((uint8_t)pgm_read_byte(p))
#define gd_rd_i16(p) ((int16_t)pgm_read_word(p))
#define gd_rd_u16(p) ((uint16_t)pgm_read_word(p))
#define gd_rd_ptr(p) ((const void *)pgm_read_word(p))
#define gd_rd_i32(p) ((int32_t)pgm_read_dword(p))
/* Read a flash byte and advance the pointer: one `lpm r, Z+` instead of pgm_read_byte + a pointer add. */
static inline int8_t gd_rd_i8_inc(const int8_t **p)
{
    int8_t r;
    __asm__ __volatile__("lpm %0, Z+" : "=r"(r), "+z"(*p));
    return r;
}
/* The same for a RAM byte (`ld r, X+`): avr-gcc otherwise re-adds the offset to X around every load. */
static inline uint8_t gd_ld_u8_inc(const uint8_t **p)
{
    uint8_t r;
    __asm__ __volatile__("ld %0, %a1+" : "=r"(r), "+e"(*p));
    return r;
}
#else
#define GD_FLASH
#define gd_rd_i8(p) (*(const int8_t *)(p))
#define gd_rd_u8(p) (*(const uint8_t *)(p))
#define gd_rd_i16(p) (*(const int16_t *)(p))
#define gd_rd_u16(p) (*(const uint16_t *)(p))
#define gd_rd_ptr(p) ((const void *)*(p))
#define gd_rd_i32(p) (*(const int32_t *)(p))
static inline int8_t gd_rd_i8_inc(const int8_t **p)
{
    return *(*p)++;
}
static inline uint8_t gd_ld_u8_inc(const uint8_t **p)
{
    return *(*p)++;
}
#endif

#endif
