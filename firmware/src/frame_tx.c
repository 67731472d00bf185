/* Streaming encoder for the GenDie frame protocol; see frame_tx.h and docs/frame-protocol.md. */
#include "frame_tx.h"

#include <stddef.h>

#ifdef __AVR__
#include <avr/pgmspace.h>
#endif

static uint16_t tx_seq;
static uint16_t tx_crc;
static uint16_t tx_left; /* payload bytes still owed to the open frame */
static uint8_t tx_bad;   /* the caller broke the length contract */

/* CRC-16/CCITT-FALSE one byte at a time without a table (no flash/RAM cost, ~20 AVR instructions):
 * the byte-wise form of polynomial 0x1021 division. */
static uint16_t crc_step(uint16_t crc, uint8_t b)
{
    uint8_t x = (uint8_t)((crc >> 8) ^ b);
    x ^= (uint8_t)(x >> 4);
    return (uint16_t)((crc << 8) ^ ((uint16_t)x << 12) ^ ((uint16_t)x << 5) ^ x);
}

static void put(uint8_t b)
{
    tx_crc = crc_step(tx_crc, b);
    hal_uart_write(b);
}

static void put16(uint16_t v)
{
    put((uint8_t)v);
    put((uint8_t)(v >> 8));
}


void frame_set_seq(uint16_t seq) { tx_seq = seq; }

uint16_t frame_get_seq(void) { return tx_seq; }

void frame_begin(uint8_t type, uint16_t payload_len)
{
    uint16_t hcrc;

    tx_bad = 0;
    if (payload_len > FP_MAX_PAYLOAD) {
        payload_len = FP_MAX_PAYLOAD;
        tx_bad = 1;
    }
    tx_crc = FP_CRC_INIT;
    put(FP_MAGIC0);
    put(FP_MAGIC1);
    put(FP_VERSION);
    put(type);
    put16(tx_seq);
    put16(payload_len);
    /* The header CRC is the running CRC so far; the frame CRC then continues over it. */
    hcrc = tx_crc;
    put16(hcrc);
    tx_seq++;
    tx_left = payload_len;
}

void frame_write_byte(uint8_t b)
{
    if (tx_left == 0) {
        tx_bad = 1;
        return;
    }
    tx_left--;
    put(b);
}

void frame_write(const uint8_t *p, uint16_t n)
{
    while (n--)
        frame_write_byte(*p++);
}

void frame_write32(uint32_t v)
{
    uint8_t i;

    for (i = 0; i < 4; i++, v >>= 8)
        frame_write_byte((uint8_t)v);
}

int frame_end(void)
{
    uint16_t crc;

    if (tx_left != 0)
        tx_bad = 1;
    while (tx_left) {
        tx_left--;
        put(0);
    }
    crc = tx_bad ? (uint16_t)~tx_crc : tx_crc;
    hal_uart_write((uint8_t)crc);
    hal_uart_write((uint8_t)(crc >> 8));
    return tx_bad ? -1 : 0;
}

void frame_send_roll(uint8_t pips, uint8_t angle_code, uint8_t flags, uint32_t roll, uint32_t cycles)
{
    frame_begin(FP_TYPE_ROLL, FP_ROLL_LEN);
    frame_write_byte(pips);
    frame_write_byte(angle_code);
    frame_write_byte(flags);
    frame_write32(roll);
    frame_write32(cycles);
    frame_end();
}

void frame_face_begin(uint32_t roll)
{
    frame_begin(FP_TYPE_FACE, FP_FACE_LEN);
    frame_write32(roll);
}

void frame_send_display(uint8_t page, uint8_t col, const uint8_t *data, uint8_t n)
{
    if (n > FP_DISPLAY_MAX_DATA)
        n = FP_DISPLAY_MAX_DATA;
    frame_begin(FP_TYPE_DISPLAY, (uint16_t)(FP_DISPLAY_HDR_LEN + n));
    frame_write_byte(page);
    frame_write_byte(col);
    frame_write(data, n);
    frame_end();
}

void frame_send_log(const char *s)
{
    uint16_t n = 0;

    /* Two passes over the string: the length must be in the header, and nothing may be buffered. */
    while (n < FP_LOG_MAX && s[n] != '\0')
        n++;
    frame_begin(FP_TYPE_LOG, n);
    frame_write((const uint8_t *)s, n);
    frame_end();
}

#ifdef __AVR__
void frame_send_log_P(const char *s)
{
    uint16_t n = 0, i;

    while (n < FP_LOG_MAX && pgm_read_byte(s + n) != '\0')
        n++;
    frame_begin(FP_TYPE_LOG, n);
    for (i = 0; i < n; i++)
        frame_write_byte(pgm_read_byte(s + i));
    frame_end();
}
#endif
