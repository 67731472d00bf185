/* GenDie frame encoder: streams frames of docs/frame-protocol.md to the UART with O(1) RAM (7 bytes of state).
 * A frame is opened with its final payload length, so large payloads (the 1028-byte FACE) can be written
 * row by row as the decoder produces them, with the CRC computed on the fly; nothing is buffered.
 * Not reentrant: call it from one context only (not from an ISR that may interrupt a frame). */
#ifndef GENDIE_FRAME_TX_H
#define GENDIE_FRAME_TX_H

#include <stdint.h>

#include "frame_protocol.h"

/* Supplied by the board HAL (blocking write of one byte); the host test supplies its own. */
extern void hal_uart_write(uint8_t byte);

/* Sequence number of the next frame; it increments per frame (any type) and wraps at 65535. */
void frame_set_seq(uint16_t seq);
uint16_t frame_get_seq(void);

/* Generic streaming API: begin, then exactly payload_len bytes in any number of writes, then end.
 * frame_end returns 0, or -1 if the bytes written did not match payload_len; the frame is then still
 * completed to its announced length (zero-padded, excess dropped) but sent with an inverted CRC, so
 * receivers stay in sync and reject it. payload_len above FP_MAX_PAYLOAD is clamped and also fails. */
void frame_begin(uint8_t type, uint16_t payload_len);
void frame_write(const uint8_t *p, uint16_t n);
void frame_write_byte(uint8_t b);
void frame_write32(uint32_t v); /* little-endian, as every multi-byte field */
int frame_end(void);

/* ROLL metadata: flags is 0, FP_ROLL_FLAG_FORCED (pips forced by the 'p<n>' command) and/or FP_ROLL_FLAG_TUMBLE
 * (a tumble face: sent before its FACE, cycles counted from the press). */
void frame_send_roll(uint8_t pips, uint8_t angle_code, uint8_t flags, uint32_t roll, uint32_t cycles);

/* FACE: opens the frame and writes the roll number; then write FP_FACE_H rows of FP_FACE_W bytes
 * (frame_write) and call frame_end(). */
void frame_face_begin(uint32_t roll);

/* DISPLAY: one SSD1306 page run (page 0..7, start column, 1..FP_DISPLAY_MAX_DATA bytes; longer is cut). */
void frame_send_display(uint8_t page, uint8_t col, const uint8_t *data, uint8_t n);

/* LOG: a NUL-terminated text line, cut to FP_LOG_MAX bytes. */
void frame_send_log(const char *s);
#ifdef __AVR__
/* Same, for a string in flash (PSTR("...")). */
void frame_send_log_P(const char *s);
#endif

#endif
