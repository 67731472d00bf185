/* Minimal SSD1306 128x64 driver over the HAL's I2C, in page addressing mode.
 * Only 0x00 (command stream) and 0x40 (data stream) control bytes are used: no Co-bit mixing. */
#ifndef GENDIE_SSD1306_H
#define GENDIE_SSD1306_H

#include <stdint.h>

#define OLED_W 128u
#define OLED_PAGES 8u

/* Probe 0x3C then 0x3D and configure the panel (cleared, on). Returns 1 if a display answered;
 * while none does, every other call is a cheap no-op, so rolls still dump over the UART. */
uint8_t oled_init(void);
uint8_t oled_present(void);
void oled_power(uint8_t on);

/* Streamed write of consecutive bytes into one page starting at col:
 * oled_begin(page, col), any number of oled_put(), oled_end(). */
void oled_begin(uint8_t page, uint8_t col);
void oled_put(uint8_t b);
void oled_end(void);

void oled_write(uint8_t page, uint8_t col, const uint8_t *data, uint8_t n);
void oled_fill(uint8_t page, uint8_t col, uint8_t n, uint8_t b);

#endif
