/* GenDie firmware: press (or 'r' / 'p<n>' on the UART) -> unbiased roll -> the decoder streams
 * the face row by row to the display and the UART. Portable: all board access goes through hal.h. */
#include <stdint.h>

#include "decoder.h"
#include "die_view.h"
#include "frame_boot.h"
#include "frame_tx.h"
#include "hal.h"
#include "model_id.h"
#include "pins.h"
#include "roll.h"
#include "ssd1306.h"
#include "tumble.h"
#include "ui.h"

#if HAL_RESET_POWER != FP_BOOT_RESET_POWER || HAL_RESET_EXTERNAL != FP_BOOT_RESET_EXTERNAL || \
    HAL_RESET_BROWNOUT != FP_BOOT_RESET_BROWNOUT || HAL_RESET_WATCHDOG != FP_BOOT_RESET_WATCHDOG || \
    HAL_RESET_ROLL_INTERRUPTED != FP_BOOT_RESET_ROLL_INTERRUPTED
#error "main.c: the HAL's reset flags must be the BOOT frame's"
#endif
#ifdef DECODER_TEST_PATTERN
#define MODEL_NAME "test-pattern"
#define MODEL_MODE FP_BOOT_MODE_TEST_PATTERN
#define MODEL_HASH 0UL
#define CODE_FLAG 0u
#else
#define MODEL_NAME GD_MODEL_NAME
#define MODEL_MODE GD_MODEL_MODE
#define MODEL_HASH GD_MODEL_HASH
/* The model's mode says what its code byte means (model_id.h, from the checkpoint's config): in a VAE-mode build it
 * is a latent code, a sample of the prior, and every ROLL frame says so. */
#define CODE_FLAG (GD_MODEL_MODE == FP_BOOT_MODE_VAE ? FP_ROLL_FLAG_LATENT : 0u)
#endif

#ifdef __AVR__
#include <avr/pgmspace.h>
#define LOG(s) frame_send_log_P(PSTR(s))
#define CONST_STR(s) PSTR(s)
#else
#define LOG(s) frame_send_log(s)
#define CONST_STR(s) (s)
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
static uint8_t dump_tumble; /* 'd1': every tumble face goes out on the UART too (off: it would slow the tumble) */
static struct tumble tumbler; /* static, not on the stack: the decoder below it sets the SRAM peak */
#ifdef GENDIE_TEST_HOOKS
static int16_t forced_code = -1; /* 'a' + one raw byte: the next roll's code, so hosts can replay a face list */
static uint8_t hang;             /* 'h': hang mid-roll, to prove the watchdog and the roll marker */
#endif

/* Below the speed grade the CPU may compute wrong results: refuse to roll rather than draw garbage. */
static uint8_t supply_ok(void)
{
    uint16_t v = hal_vcc_mv();

    return v == 0 || v >= hal_vcc_min_mv();
}

/* 1 if the button stays at `down` for ms milliseconds (busy wait, used only while it moves). */
static uint8_t button_holds(uint8_t down, uint16_t ms)
{
    uint32_t t0 = hal_cycles();

    while (hal_cycles() - t0 < ms * HAL_CYCLES_PER_MS)
        if (hal_button_down() != down)
            return 0;
    return 1;
}

/* One roll: forced_pips 0 = a real roll, 1..6 = a test roll with these pips (never tumbles). */
static void do_roll(uint8_t forced_pips, uint8_t tumbling)
{
    uint8_t pips, code, flags = CODE_FLAG;
    uint16_t face;
    uint32_t t0 = hal_cycles(), cycles;

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
    if (!supply_ok()) {
        LOG("GenDie: supply below the speed grade at this clock: battery low, no roll");
        ui_low_battery();
        hal_wdt_disarm();
        return;
    }
    hal_roll_marker(1);
#ifdef GENDIE_TEST_HOOKS
    while (hang) { /* the watchdog resets the MCU mid-roll */
    }
#endif

    /* The press time in cycles is the main fresh entropy; the PRNG carries the rest. The code is the die's angle,
     * or in a VAE-mode build the latent code: a uniform code is a sample of the prior, so this draw is the sample. */
    roll_mix(hal_entropy_now());
    pips = roll_pips();
    code = roll_code();
    if (forced_pips) {
        pips = forced_pips;
        flags |= FP_ROLL_FLAG_FORCED;
    }
#ifdef GENDIE_TEST_HOOKS
    if (forced_code >= 0) { /* drawn above all the same, so the PRNG sequence does not depend on the hook */
        code = (uint8_t)forced_code;
        forced_code = -1;
        flags |= FP_ROLL_FLAG_FORCED;
    }
#endif
    rolls++;

    /* The tumble: generated faces with other pips, spinning and slowing down onto the landed angle, drawn as
     * they are generated (only the die's region). Dumped, each after a ROLL flagged TUMBLE, only after 'd1'.
     * A VAE-mode build walks the latent code the same way: on the ring prior a code step turns the face. */
    tumble_start(&tumbler, tumbling && !forced_pips ? TUMBLE_FRAMES : 0, pips, code, roll_next());
    die_view_dump(dump_tumble);
    while ((face = tumble_next(&tumbler)) != 0) {
        if (dump_tumble) {
            frame_send_roll((uint8_t)(face >> 8), (uint8_t)face, FP_ROLL_FLAG_TUMBLE | CODE_FLAG, rolls,
                            hal_cycles() - t0);
            frame_face_begin(rolls);
        }
        decoder_run((uint8_t)(face >> 8), (uint8_t)face, die_view_row, 0);
        if (dump_tumble)
            frame_end();
    }
    die_view_dump(1);

    /* FACE goes first, streamed as the rows come; ROLL follows because it carries the cycle count. */
    frame_face_begin(rolls);
    t0 = hal_cycles();
    decoder_run(pips, code, die_view_row, 0);
    cycles = hal_cycles() - t0;
    frame_end();
    frame_send_roll(pips, code, flags, rolls, cycles);
    ui_result(pips, rolls, cycles / HAL_CYCLES_PER_MS);
    hal_roll_marker(0);
    hal_wdt_disarm();
}

/* 'r' rolls; 'n' rolls without the tumble; 'p' then '1'..'6' rolls with forced pips; 'd' then '1' / '0'
 * turns the tumble dump on / off; anything else is ignored.
 * Test builds add 'a' + one raw byte (code of the next roll: angle or latent) and 'h' (hang mid-roll). */
static void serial_commands(void)
{
    static uint8_t want_digit; /* the command letter waiting for its digit */
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
            uint8_t cmd = want_digit;

            want_digit = 0;
            if (cmd == FP_CMD_PIPS && c >= '1' && c <= '6') {
                do_roll((uint8_t)(c - '0'), 0);
                continue;
            }
            if (cmd == FP_CMD_DUMP_TUMBLE && (c == '0' || c == '1')) {
                dump_tumble = (uint8_t)(c - '0');
                continue;
            }
        }
        if (c == FP_CMD_ROLL)
            do_roll(0, 1);
        else if (c == FP_CMD_ROLL_NO_TUMBLE)
            do_roll(0, 0);
        else if (c == FP_CMD_PIPS || c == FP_CMD_DUMP_TUMBLE)
            want_digit = (uint8_t)c;
#ifdef GENDIE_TEST_HOOKS
        else if (c == 'a')
            want_code = 1;
        else if (c == 'h') {
            hang = 1;
            do_roll(0, 0);
        }
#endif
    }
}

/* The BOOT frame: how to read this capture (clock, model, tumble), the supply and why we reset. Not inlined:
 * its struct would otherwise stay in main's stack frame, under every roll's SRAM peak. */
static void __attribute__((noinline)) boot_record(uint8_t reset, uint16_t vcc_mv)
{
    struct frame_boot b;

    b.f_cpu = F_CPU;
    b.baud = UART_BAUD;
    b.model_hash = MODEL_HASH;
    b.vcc_mv = vcc_mv;
    b.reset = reset;
    b.mode = MODEL_MODE;
    b.tumble_frames = TUMBLE_FRAMES;
    b.tumble_spin = TUMBLE_SPIN;
    b.tumble_slowdown = TUMBLE_SLOWDOWN;
    frame_send_boot(&b, CONST_STR(BOARD_NAME), CONST_STR(MODEL_NAME));
}

int main(void)
{
    uint8_t reset = hal_init(), armed;
    uint16_t vcc = hal_vcc_mv();
    uint32_t last_active, woke;

    roll_mix(hal_entropy_boot());
    boot_record(reset, vcc);
    if (reset & HAL_RESET_ROLL_INTERRUPTED)
        LOG("GenDie: a roll was interrupted by a reset (watchdog, brown-out or reset button)");
    if (reset & HAL_RESET_WATCHDOG)
        LOG("GenDie: reset by the watchdog, back to idle");
    else
        LOG("GenDie: ready");
    display_on = oled_init();
    if (!display_on)
        LOG("GenDie: no display found at 0x3C/0x3D, UART dump only");
    ui_idle();
    if (vcc && vcc < hal_vcc_min_mv())
        ui_low_battery();
    idle_screen = 1;
    armed = !hal_button_down(); /* held through a reset: wait for a release first */
    last_active = woke = hal_cycles();

    for (;;) {
        uint8_t before = (uint8_t)rolls;

        serial_commands();
        if (hal_button_down()) {
            if (armed && button_holds(1, PRESS_MS)) {
                armed = 0;
                do_roll(0, 1);
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
