/* See frame_boot.h; written with frame_tx.c's streaming API. */
#include "frame_boot.h"

#include "frame_tx.h"

#ifdef __AVR__
#include <avr/pgmspace.h>
#endif

/* A byte of a constant string: in flash on AVR (so it costs no SRAM), in the address space elsewhere. */
static uint8_t const_char(const char *s, uint16_t i)
{
#ifdef __AVR__
    return pgm_read_byte(s + i);
#else
    return (uint8_t)s[i];
#endif
}

static uint16_t const_len(const char *s, uint16_t max)
{
    uint16_t n = 0;

    while (n < max && const_char(s, n) != '\0')
        n++;
    return n;
}

void frame_send_boot(const struct frame_boot *b, const char *board, const char *model)
{
    uint16_t nb = const_len(board, FP_BOOT_BOARD_LEN), nm = const_len(model, FP_BOOT_MODEL_MAX), i;

    frame_begin(FP_TYPE_BOOT, (uint16_t)(FP_BOOT_HDR_LEN + nm));
    frame_write32(b->f_cpu);
    frame_write32(b->baud);
    frame_write_byte((uint8_t)b->vcc_mv);
    frame_write_byte((uint8_t)(b->vcc_mv >> 8));
    frame_write_byte(b->reset);
    frame_write_byte(b->mode);
    frame_write_byte(b->tumble_frames);
    frame_write_byte(b->tumble_spin);
    frame_write_byte(b->tumble_slowdown);
    frame_write32(b->model_hash);
    for (i = 0; i < FP_BOOT_BOARD_LEN; i++)
        frame_write_byte(i < nb ? const_char(board, i) : 0);
    for (i = 0; i < nm; i++)
        frame_write_byte(const_char(model, i));
    frame_end();
}

