/* Where decoded face rows go: the FACE frame on the UART, and the display, scaled 2x and dithered. */
#ifndef GENDIE_DIE_VIEW_H
#define GENDIE_DIE_VIEW_H

#include <stdint.h>

/* A decoder_row_fn: rows y = 0..31 in order, 32 grey bytes each (0 = black). ctx is unused. Only the die's
 * region of the display is written (one 64-byte page per 4 rows); the rest of the screen is left alone. */
void die_view_row(uint8_t y, const uint8_t *row, void *ctx);

/* on = 1 (the default): each row is also written into the FACE frame the caller opened; 0: display only
 * (tumble faces while their dump is off). */
void die_view_dump(uint8_t on);

/* Display bit for grey g at display pixel (x, y): ordered 4x4 Bayer dither, no error memory. */
uint8_t die_view_dot(uint8_t g, uint8_t x, uint8_t y);

#endif
