/* See ui.h. Text goes straight from the flash font to the display: no text buffer. */
#include "ui.h"

#include "flash.h"
#include "hal.h"
#include "ssd1306.h"

/* Only the glyphs the screens use; columns top to bottom, bit 0 = top row (an SSD1306 page byte). */
static const char glyph_chars[] GD_FLASH = " #0123456789ABDEGILMNOPRSTW";
static const uint8_t glyphs[][5] GD_FLASH = {
    {0x00, 0x00, 0x00, 0x00, 0x00}, /* ' ' */
    {0x14, 0x7F, 0x14, 0x7F, 0x14}, /* '#' */
    {0x3E, 0x51, 0x49, 0x45, 0x3E}, /* '0' */
    {0x00, 0x42, 0x7F, 0x40, 0x00}, /* '1' */
    {0x42, 0x61, 0x51, 0x49, 0x46}, /* '2' */
    {0x21, 0x41, 0x45, 0x4B, 0x31}, /* '3' */
    {0x18, 0x14, 0x12, 0x7F, 0x10}, /* '4' */
    {0x27, 0x45, 0x45, 0x45, 0x39}, /* '5' */
    {0x3C, 0x4A, 0x49, 0x49, 0x30}, /* '6' */
    {0x01, 0x71, 0x09, 0x05, 0x03}, /* '7' */
    {0x36, 0x49, 0x49, 0x49, 0x36}, /* '8' */
    {0x06, 0x49, 0x49, 0x29, 0x1E}, /* '9' */
    {0x7E, 0x11, 0x11, 0x11, 0x7E}, /* 'A' */
    {0x7F, 0x49, 0x49, 0x49, 0x36}, /* 'B' */
    {0x7F, 0x41, 0x41, 0x41, 0x3E}, /* 'D' */
    {0x7F, 0x49, 0x49, 0x49, 0x41}, /* 'E' */
    {0x3E, 0x41, 0x49, 0x49, 0x7A}, /* 'G' */
    {0x00, 0x41, 0x7F, 0x41, 0x00}, /* 'I' */
    {0x7F, 0x40, 0x40, 0x40, 0x40}, /* 'L' */
    {0x7F, 0x02, 0x0C, 0x02, 0x7F}, /* 'M' */
    {0x7F, 0x04, 0x08, 0x10, 0x7F}, /* 'N' */
    {0x3E, 0x41, 0x41, 0x41, 0x3E}, /* 'O' */
    {0x7F, 0x09, 0x09, 0x09, 0x06}, /* 'P' */
    {0x7F, 0x09, 0x19, 0x29, 0x46}, /* 'R' */
    {0x46, 0x49, 0x49, 0x49, 0x31}, /* 'S' */
    {0x01, 0x01, 0x7F, 0x01, 0x01}, /* 'T' */
    {0x3F, 0x40, 0x38, 0x40, 0x3F}, /* 'W' */
};

static const uint8_t *glyph(char c)
{
    uint8_t i;

    for (i = 0; i < sizeof glyph_chars - 1; i++)
        if ((char)gd_rd_u8(&glyph_chars[i]) == c)
            return glyphs[i];
    return glyphs[0];
}

static void text(uint8_t page, uint8_t col, const char *s)
{
    oled_begin(page, col);
    for (; *s; s++) {
        const uint8_t *g = glyph(*s);
        uint8_t i;

        for (i = 0; i < 5; i++)
            oled_put(gd_rd_u8(g + i));
        oled_put(0);
    }
    oled_end();
}

/* Each bit doubled: 4 rows of a glyph column become 8 rows of a page byte. */
static uint8_t stretch(uint8_t nibble)
{
    uint8_t out = 0, i;

    for (i = 0; i < 4; i++)
        if (nibble & (1u << i))
            out |= (uint8_t)(3u << (2 * i));
    return out;
}

/* A character at twice the size, over two pages. */
static void big(uint8_t page, uint8_t col, char c)
{
    const uint8_t *g = glyph(c);
    uint8_t half, i;

    for (half = 0; half < 2; half++) {
        oled_begin((uint8_t)(page + half), col);
        for (i = 0; i < 10; i++) {
            uint8_t b = gd_rd_u8(g + i / 2);
            oled_put(stretch(half ? (uint8_t)(b >> 4) : (uint8_t)(b & 15u)));
        }
        oled_end();
    }
}

/* Right-aligned decimal into buf[0..w-1] (space padded), then NUL; w <= 10. */
static void decimal(char *buf, uint8_t w, uint32_t v)
{
    buf[w] = '\0';
    do {
        buf[--w] = (char)('0' + (uint8_t)(v % 10u));
        v /= 10u;
    } while (v && w);
    while (w)
        buf[--w] = ' ';
}

void ui_idle(void)
{
    uint8_t p;

    for (p = 0; p < OLED_PAGES; p++)
        oled_fill(p, 0, OLED_W, 0);
    text(2, 46, "GENDIE");
    text(5, 49, "PRESS");
}

void ui_roll_start(void)
{
    /* Only pages 2 and 5 hold idle text; the die overwrites its own area page by page. */
    oled_fill(2, 0, OLED_W, 0);
    oled_fill(5, 0, OLED_W, 0);
}

void ui_result(uint8_t pips, uint32_t roll, uint32_t ms)
{
    char buf[10];
    uint8_t n;

    text(0, TEXT_COL, "GENDIE");
    big(2, TEXT_COL + 22u, (char)('0' + pips));
    /* "#" and the roll number left-aligned, padded with spaces that erase a longer old number */
    decimal(buf + 1, 7, roll);
    for (n = 1; buf[n] == ' '; n++) {
    }
    buf[n - 1] = '#';
    text(5, TEXT_COL, buf + n - 1);
    if (n > 1)
        oled_fill(5, (uint8_t)(TEXT_COL + 6u * (9u - n)), (uint8_t)(6u * (n - 1u)), 0);
    decimal(buf, 6, ms);
    buf[6] = 'M';
    buf[7] = 'S';
    buf[8] = '\0';
    text(7, TEXT_COL, buf);
}

void ui_low_battery(void) { text(7, TEXT_COL, "BATT LOW"); }
