/* See die_view.h. The only image memory is one 64-byte display page: 4 face rows become
 * the 8 display rows of a page, which is sent as soon as it is complete. */
#include "die_view.h"

#include "frame_tx.h"
#include "flash.h"
#include "hal.h"
#include "ssd1306.h"
#include "ui.h"

static uint8_t page_buf[DIE_W];
static uint8_t dump = 1; /* rows also go into the open FACE frame */

/* Bayer 4x4 threshold ranks; threshold = rank * 16 + 8 spreads them evenly over 0..255, so 0 is
 * always dark and 255 always lit. */
static const uint8_t bayer[4][4] GD_FLASH = {
    {0, 8, 2, 10},
    {12, 4, 14, 6},
    {3, 11, 1, 9},
    {15, 7, 13, 5},
};

void die_view_dump(uint8_t on) { dump = on; }

uint8_t die_view_dot(uint8_t g, uint8_t x, uint8_t y)
{
    uint8_t t = (uint8_t)(gd_rd_u8(&bayer[y & 3u][x & 3u]) * 16u + 8u);

    return g >= t;
}

void die_view_row(uint8_t y, const uint8_t *row, void *ctx)
{
    uint8_t dy, x, bit0 = (uint8_t)((y & 3u) * 2u);

    (void)ctx;
    hal_wdt_kick();
    if (dump)
        frame_write(row, 32);
    if (bit0 == 0)
        for (x = 0; x < DIE_W; x++)
            page_buf[x] = 0;
    for (dy = 0; dy < 2; dy++) {
        uint8_t yy = (uint8_t)(2u * y + dy), mask = (uint8_t)(1u << (bit0 + dy));

        for (x = 0; x < DIE_W; x++)
            if (die_view_dot(row[x >> 1], (uint8_t)(DIE_COL + x), yy))
                page_buf[x] |= mask;
    }
    if ((y & 3u) == 3u)
        oled_write((uint8_t)(y >> 2), DIE_COL, page_buf, DIE_W);
}
