/* The BOOT frame (docs/frame-protocol.md): sent once after every reset, it says how to read the rest of a
 * capture: the clock that converts cycles to seconds, the model whose golden faces must match, the tumble. */
#ifndef GENDIE_FRAME_BOOT_H
#define GENDIE_FRAME_BOOT_H

#include <stdint.h>

/* BOOT: what a capture needs to be read (clock for cycles, model for golden, tumble settings). */
struct frame_boot {
    uint32_t f_cpu, baud, model_hash;
    uint16_t vcc_mv;
    uint8_t reset; /* FP_BOOT_RESET_* */
    uint8_t mode;  /* FP_BOOT_MODE_* */
    uint8_t tumble_frames, tumble_spin, tumble_slowdown;
};
/* board (cut to FP_BOOT_BOARD_LEN, NUL-padded) and model (cut to FP_BOOT_MODEL_MAX): NUL-terminated strings,
 * in flash (PSTR) on AVR, ordinary strings elsewhere. */
void frame_send_boot(const struct frame_boot *b, const char *board, const char *model);

#endif
