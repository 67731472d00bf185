/* AVR firmware stub for bench/bench_decoder.py: draws the faces of BENCH_FACES (pairs pips, code) one after the
 * other with a null row sink (a checksum, so the compiler cannot drop the work) and halts. The simulator harness
 * (simavr_cycles.c) reads GPIOR2 = 1-based face number and GPIOR1 = the level at work (engine.c's bench hook) to
 * attribute every cycle; GPIOR0 = the face's checksum, set before GPIOR2 returns to 0. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "decoder.h"

static const uint8_t faces[] = {BENCH_FACES}; /* pips, code, pips, code, ... */
static uint8_t sum;

static void emit(uint8_t y, const uint8_t *row, void *ctx)
{
    uint8_t x;
    (void)ctx;
    for (x = 0; x < 32; x++)
        sum = (uint8_t)(sum * 31 + row[x] + y);
}

int main(void)
{
    uint8_t i;
    for (i = 0; i < sizeof faces / 2; i++) {
        sum = 0;
        GPIOR1 = 0xFF; /* outside any level: the sink and decoder_run's own set-up */
        GPIOR2 = (uint8_t)(i + 1);
        decoder_run(faces[2 * i], faces[2 * i + 1], emit, 0);
        GPIOR0 = sum;
        GPIOR2 = 0;
    }
    cli();
    sleep_enable();
    sleep_cpu(); /* sleeping with interrupts off: simavr stops here */
    return 0;
}
