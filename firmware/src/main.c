/* GenDie firmware: press (or 'r' / 'p<n>' on the UART) -> unbiased roll -> the decoder streams
 * the face row by row to the display and the UART. Portable: all board access goes through hal.h. */
#include <stdint.h>

#include "decoder.h"
#include "die_view.h"
#include "frame_tx.h"
#include "hal.h"
#include "roll.h"
#include "ssd1306.h"
#include "ui.h"

#ifdef __AVR__
#include <avr/pgmspace.h>
#define LOG(s) frame_send_log_P(PSTR(s))
#else
#define LOG(s) frame_send_log(s)
#endif

/* A press counts after the pin has been low this long; a new press is accepted only after it has
 * been high this long. Contact bounce (up to ~20 ms) therefore never rolls twice. */
#define PRESS_MS 5u
#define RELEASE_MS 30u
#ifndef DISPLAY_TIMEOUT_MS
#define DISPLAY_TIMEOUT_MS 30000UL /* then the display goes off and the MCU powers down */
#endif
#define RX_AWAKE_MS 1000UL /* after a UART wake from power-down, listen this long for commands */

static uint32_t rolls;
static uint8_t display_on, idle_screen;
#ifdef GENDIE_TEST_HOOKS
static int16_t forced_code = -1; /* 'a' + one raw byte: the next roll's angle code, so hosts can replay a face list */
#endif

/* 1 if the button stays at `down` for ms milliseconds (busy wait, used only while it moves). */
static uint8_t button_holds(uint8_t down, uint16_t ms)
{
    uint32_t t0 = hal_cycles();

    while (hal_cycles() - t0 < ms * HAL_CYCLES_PER_MS)
        if (hal_button_down() != down)
            return 0;
    return 1;
}

static void do_roll(uint8_t forced_pips)
{
    uint8_t pips, code, flags = 0;
    uint32_t t0, cycles;

    hal_wdt_arm();
    if (!oled_present()) {
        if (oled_init()) /* hot-plugged or late to power up */
            idle_screen = 1;
    } else if (!display_on) {
        oled_power(1);
    }
    display_on = oled_present();
    if (idle_screen) {
        ui_roll_start();
        idle_screen = 0;
    }

    /* The press time in cycles is the main fresh entropy; the PRNG carries the rest. */
    roll_mix(hal_entropy_now());
    pips = roll_pips();
    code = roll_angle();
    if (forced_pips) {
        pips = forced_pips;
        flags = FP_ROLL_FLAG_FORCED;
    }
#ifdef GENDIE_TEST_HOOKS
    if (forced_code >= 0) { /* drawn above all the same, so the PRNG sequence does not depend on the hook */
        code = (uint8_t)forced_code;
        forced_code = -1;
        flags = FP_ROLL_FLAG_FORCED;
    }
#endif
    rolls++;

    /* FACE goes first, streamed as the rows come; ROLL follows because it carries the cycle count. */
    frame_face_begin(rolls);
    t0 = hal_cycles();
    decoder_run(pips, code, die_view_row, 0);
    cycles = hal_cycles() - t0;
    frame_end();
    frame_send_roll(pips, code, flags, rolls, cycles);
    ui_result(pips, rolls, cycles / HAL_CYCLES_PER_MS);
    hal_wdt_disarm();
}

/* 'r' rolls; 'p' then '1'..'6' rolls with forced pips; anything else is ignored.
 * Test builds add 'a' + one raw byte (angle code of the next roll) and 'h' (hang). */
static void serial_commands(void)
{
    static uint8_t want_digit;
#ifdef GENDIE_TEST_HOOKS
    static uint8_t want_code;
#endif
    int16_t c;

    while ((c = hal_uart_read()) >= 0) {
#ifdef GENDIE_TEST_HOOKS
        if (want_code) {
            want_code = 0;
            forced_code = c;
            continue;
        }
#endif
        if (want_digit) {
            want_digit = 0;
            if (c >= '1' && c <= '6') {
                do_roll((uint8_t)(c - '0'));
                continue;
            }
        }
        if (c == FP_CMD_ROLL)
            do_roll(0);
        else if (c == FP_CMD_PIPS)
            want_digit = 1;
#ifdef GENDIE_TEST_HOOKS
        else if (c == 'a')
            want_code = 1;
        else if (c == 'h') { /* test builds only: hang mid-roll to prove the watchdog recovers */
            hal_wdt_arm();
            for (;;) {
            }
        }
#endif
    }
}

int main(void)
{
    uint8_t reset = hal_init(), armed;
    uint32_t last_active, woke;

    roll_mix(hal_entropy_boot());
    if (reset & HAL_RESET_WATCHDOG)
        LOG("GenDie: reset by the watchdog, back to idle");
    else
        LOG("GenDie: ready");
    display_on = oled_init();
    if (!display_on)
        LOG("GenDie: no display found at 0x3C/0x3D, UART dump only");
    ui_idle();
    idle_screen = 1;
    armed = !hal_button_down(); /* held through a reset: wait for a release first */
    last_active = woke = hal_cycles();

    for (;;) {
        uint8_t before = (uint8_t)rolls;

        serial_commands();
        if (hal_button_down()) {
            if (armed && button_holds(1, PRESS_MS)) {
                armed = 0;
                do_roll(0);
            }
        } else if (!armed && button_holds(0, RELEASE_MS)) {
            armed = 1;
        }
        if ((uint8_t)rolls != before)
            last_active = hal_cycles();

        if (display_on && hal_cycles() - last_active > DISPLAY_TIMEOUT_MS * HAL_CYCLES_PER_MS) {
            oled_power(0);
            display_on = 0;
        }
        /* Idle sleep keeps the UART and timer running; power-down only once the display is off. */
        if (display_on || !armed || hal_button_down() || hal_cycles() - woke < RX_AWAKE_MS * HAL_CYCLES_PER_MS) {
            hal_sleep(0);
        } else {
            hal_uart_flush();
            hal_sleep(1);
            woke = hal_cycles();
        }
    }
}
