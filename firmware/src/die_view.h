/* Where decoded face rows go: the FACE frame on the UART, and the display, scaled 2x and dithered. */
#ifndef GENDIE_DIE_VIEW_H
#define GENDIE_DIE_VIEW_H

#include <stdint.h>

/* A decoder_row_fn: rows y = 0..31 in order, 32 grey bytes each (0 = black). ctx is unused. */
void die_view_row(uint8_t y, const uint8_t *row, void *ctx);

/* Display bit for grey g at display pixel (x, y): ordered 4x4 Bayer dither, no error memory. */
uint8_t die_view_dot(uint8_t g, uint8_t x, uint8_t y);

#endif
