/* ATmega328P driver for tests/test_frame_c.py, run under simavr: sends the frames of docs/frame-vectors.json
 * (same order, same fields) through firmware/src/frame_tx.c, printing every UART byte as two hex digits and a
 * newline after each frame, then sleeps with interrupts off so simavr exits. The face is generated row by row
 * as the real firmware streams it. Last line: "c" and the Timer1 cycle count, in hex, of one whole FACE frame
 * with the UART muted, i.e. the encoder's own cost on top of the UART time. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>

#include "frame_boot.h"
#include "frame_tx.h"

static void uart_put(uint8_t c)
{
    while (!(UCSR0A & (1 << UDRE0)))
        ;
    UDR0 = c;
}

static volatile uint8_t muted;

void hal_uart_write(uint8_t byte)
{
    static const char hex[] = "0123456789abcdef";

    if (muted)
        return;
    uart_put((uint8_t)hex[byte >> 4]);
    uart_put((uint8_t)hex[byte & 15]);
}

static void face(uint32_t roll)
{
    uint8_t row[FP_FACE_W], x, y;

    frame_face_begin(roll);
    for (y = 0; y < FP_FACE_H; y++) {
        for (x = 0; x < FP_FACE_W; x++)
            row[x] = (uint8_t)((x * 7 + y * 13 + roll * 31) ^ (x * y));
        frame_write(row, FP_FACE_W);
    }
    frame_end();
}

static void face_zeros(void)
{
    static const uint8_t row[FP_FACE_W];
    uint8_t y;

    frame_face_begin(0);
    for (y = 0; y < FP_FACE_H; y++)
        frame_write(row, FP_FACE_W);
    frame_end();
}

int main(void)
{
    static const uint8_t unknown[] = {0xd1, 0xce, 0x00, 0xff};
    uint8_t page[64], i;
    uint16_t t;

    UBRR0 = 8;
    UCSR0B = (uint8_t)(1 << TXEN0);
    frame_set_seq(0xFFFDu);

    frame_send_roll(4, 37, 0, 1, 12345678UL);
    uart_put('\n');
    frame_send_roll(6, 255, FP_ROLL_FLAG_FORCED, 0xFFFFFFFFUL, 0xFFFFFFFFUL);
    uart_put('\n');
    frame_send_roll(2, 200, FP_ROLL_FLAG_TUMBLE, 7, 0);
    uart_put('\n');
    frame_send_roll(5, 129, FP_ROLL_FLAG_LATENT | FP_ROLL_FLAG_FORCED, 8, 415136UL);
    uart_put('\n');
    face(1);
    uart_put('\n');
    for (i = 0; i < 64; i++)
        page[i] = (uint8_t)(i * 4);
    frame_send_display(3, 32, page, 64);
    uart_put('\n');
    frame_send_log_P(PSTR("GenDie boot v1"));
    uart_put('\n');
    {
        struct frame_boot b = {16000000UL, 115200UL, 0x1234ABCDUL, 4987, 0x11, 0, 8, 48, 192};
        frame_send_boot(&b, PSTR("nano"), PSTR("8_8_8_8+1_angle24_bce"));
    }
    uart_put('\n');
    frame_send_log("");
    uart_put('\n');
    frame_send_log_P(PSTR("0123456789012345678901234567890123456789012345678901234567890123456789"
                          "012345678901234567890123456789012345678901234567890123456789"));
    uart_put('\n');
    frame_begin(0x7F, 0);
    frame_end();
    uart_put('\n');
    frame_begin(0xA5, sizeof unknown);
    frame_write(unknown, sizeof unknown);
    frame_end();
    uart_put('\n');

    muted = 1;
    TCCR1B = (uint8_t)(1 << CS10); /* timer1 at the CPU clock: one tick per cycle */
    TCNT1 = 0;
    face_zeros();
    t = TCNT1;
    muted = 0;
    uart_put('c');
    hal_uart_write((uint8_t)(t >> 8));
    hal_uart_write((uint8_t)t);
    uart_put('\n');
    cli();
    sleep_mode();
    return 0;
}
