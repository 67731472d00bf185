/* AVR firmware stub for bench/bench_decoder.py: draws one face and halts, so simavr's cycle count is one face
 * (plus a few hundred cycles of C start-up). The emit callback folds the rows into a checksum the harness reads
 * from GPIOR registers, so the compiler cannot drop the work. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "decoder.h"

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
    decoder_run(BENCH_PIPS, BENCH_CODE, emit, 0);
    GPIOR0 = sum;
    cli();
    sleep_enable();
    sleep_cpu(); /* sleeping with interrupts off: simavr stops here */
    return 0;
}
