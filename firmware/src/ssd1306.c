/* See ssd1306.h. */
#include "ssd1306.h"

#include "flash.h"
#include "hal.h"
#include "pins.h"

static uint8_t addr;   /* 7-bit address of the display found, 0 = none */
static uint8_t in_tx;  /* a data transaction is open */

/* The panel's RES pin sits on an RC on common modules, so a reset of the MCU alone (upload, watchdog, reset
 * button) leaves the controller as it was: every state this driver relies on is set here, none assumed from
 * the controller's reset values (SSD1306 datasheet 8.9 and 10.1). */
static const uint8_t init_cmds[] GD_FLASH = {
    0xAE,       /* display off while configuring */
    0x2E,       /* stop scrolling (10.2.3): RAM writes during a scroll may be corrupted */
    0x40,       /* display start line 0 (10.1.6) ... */
    0xE3,       /* ... then NOP (10.1.19): simavr 1.6's SSD1306 takes 0x40 as a 2-byte command and eats this */
    0xD5, 0x80, /* clock divide / oscillator */
    0xA8, 0x3F, /* multiplex 64 */
    0xD3, 0x00, /* display offset 0 */
    0x8D, 0x14, /* charge pump on (modules without a 7-12 V supply) */
    0x20, 0x02, /* page addressing mode: simavr 1.6 ignores column/page windows in horizontal mode */
    0xA1,       /* column 127 -> SEG0 and ... */
    0xC8,       /* ... COM scan reversed: upright on the usual modules */
    0xDA, 0x12, /* COM pins for 128x64 */
    0x81, 0x8F, /* contrast */
    0xD9, 0xF1, /* pre-charge */
    0xDB, 0x40, /* VCOMH deselect */
    0xA4,       /* show RAM */
    0xA6,       /* not inverted */
};

static void fail(void)
{
    hal_i2c_stop();
    addr = 0;
    in_tx = 0;
}

static uint8_t cmd_begin(void)
{
    if (!addr)
        return 0;
    if (!hal_i2c_start(addr) || !hal_i2c_write(0x00)) {
        fail();
        return 0;
    }
    return 1;
}

static void cmd(uint8_t c)
{
    if (addr && !hal_i2c_write(c))
        fail();
}

static void cmd_end(void)
{
    if (addr)
        hal_i2c_stop();
}

uint8_t oled_present(void) { return addr != 0; }

uint8_t oled_init(void)
{
    uint8_t i, p;

    addr = OLED_I2C_ADDR;
    if (!hal_i2c_start(addr)) {
        hal_i2c_stop();
        addr = OLED_I2C_ADDR_ALT;
        if (!hal_i2c_start(addr)) {
            fail();
            return 0;
        }
    }
    hal_i2c_stop();
    if (!cmd_begin())
        return 0;
    for (i = 0; i < sizeof init_cmds; i++)
        cmd(gd_rd_u8(&init_cmds[i]));
    cmd_end();
    for (p = 0; p < OLED_PAGES; p++)
        oled_fill(p, 0, OLED_W, 0);
    oled_power(1);
    return oled_present();
}

void oled_power(uint8_t on)
{
    if (!cmd_begin())
        return;
    cmd(on ? 0xAF : 0xAE);
    cmd_end();
}

void oled_begin(uint8_t page, uint8_t col)
{
    if (!cmd_begin())
        return;
    cmd((uint8_t)(0xB0u | page));
    cmd((uint8_t)(col & 0x0Fu));
    cmd((uint8_t)(0x10u | (col >> 4)));
    cmd_end();
    if (!addr)
        return;
    if (!hal_i2c_start(addr) || !hal_i2c_write(0x40)) {
        fail();
        return;
    }
    in_tx = 1;
}

void oled_put(uint8_t b)
{
    if (in_tx && !hal_i2c_write(b))
        fail();
}

void oled_end(void)
{
    if (in_tx)
        hal_i2c_stop();
    in_tx = 0;
}

void oled_write(uint8_t page, uint8_t col, const uint8_t *data, uint8_t n)
{
    oled_begin(page, col);
    while (n--)
        oled_put(*data++);
    oled_end();
}

void oled_fill(uint8_t page, uint8_t col, uint8_t n, uint8_t b)
{
    oled_begin(page, col);
    while (n--)
        oled_put(b);
    oled_end();
}
