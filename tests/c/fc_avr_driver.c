/* ATmega328P driver for tests/test_engine_avr.py, run under simavr: calls the AVR FC kernel (engine/dot.h's gd_fc,
 * fc_rows_avr.S) on every case of the generated header fc_cases.h (table widths 1-4, shifts on both sides of 0,
 * each of the 16 pixels of the FC's 4x4 view) and compares its outputs with the ones the test computed from the
 * integer contract (gendie.intmodel.requant); the portable C reference (requant.h's rq, on the AVR's 16-bit int)
 * must give the same. Prints "checked N bad B" on the UART, then sleeps with interrupts off so simavr exits. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>
#include <stdio.h>

#include "engine/dot.h"
#include "engine/requant.h"
#include "fc_cases.h" /* FC_CASES, FC_CH, FC_DIM, fc_nb[], fc_cond[][], fc_tab[][], fc_w[][], fc_sh[][], fc_want[][] */

static int uart_put(char c, FILE *f)
{
    (void)f;
    while (!(UCSR0A & (1 << UDRE0)))
        ;
    UDR0 = (uint8_t)c;
    return 0;
}

static FILE uart = FDEV_SETUP_STREAM(uart_put, NULL, _FDEV_SETUP_WRITE);

/* The portable path's FC output: the table entry (nb little-endian bytes, sign-extended) plus the products, rq */
static uint8_t fc_portable(uint8_t i, uint8_t j, uint8_t c, uint8_t nb)
{
    const uint8_t *e = fc_tab[i] + (uint16_t)(16 * c + j) * nb;
    int32_t acc = (pgm_read_byte(e + nb - 1) & 0x80) ? -1 : 0;
    uint8_t k;
    for (k = nb; k-- > 0;)
        acc = (int32_t)((uint32_t)acc << 8 | pgm_read_byte(e + k));
    for (k = 0; k < FC_DIM; k++)
        acc += (int16_t)fc_cond[i][k] * (int8_t)pgm_read_byte(&fc_w[i][FC_DIM * (16 * c + j) + k]);
    return rq(acc, (int8_t)pgm_read_byte(&fc_sh[i][16 * c + j]));
}

int main(void)
{
    uint8_t out[FC_CH], i, j, c;
    uint16_t checked = 0, bad = 0;
    for (i = 0; i < FC_CASES; i++) {
        uint8_t nb = pgm_read_byte(&fc_nb[i]);
        for (j = 0; j < 16; j++) {
            gd_fc(out, fc_cond[i], fc_tab[i] + j * nb, (const int8_t *)fc_w[i] + FC_DIM * j,
                  (const int8_t *)fc_sh[i] + j, FC_CH, FC_DIM, nb);
            for (c = 0; c < FC_CH; c++, checked++) {
                uint8_t want = pgm_read_byte(&fc_want[i][16 * c + j]);
                bad += out[c] != want;
                bad += fc_portable(i, j, c, nb) != want;
            }
        }
    }
    fprintf(&uart, "checked %u bad %u\n", checked, bad);
    cli();
    sleep_enable();
    sleep_cpu();
    return 0;
}
