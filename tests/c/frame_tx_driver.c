/* Host driver for tests/test_frame_c.py: reads one command per line on stdin, drives firmware/src/frame_tx.c,
 * prints the bytes it sent as hex, one line per command.
 *   S seq | R pips angle flags roll cycles | F roll hex | D page col hex | L hex | X type hex | M type len hex
 *   B f_cpu baud vcc_mv reset mode frames spin slowdown model_hash board model
 * F streams the face in FP_FACE_W-byte rows; X writes in chunks of growing size to exercise split writes;
 * M writes a payload that does not match the announced length and appends " rc=<frame_end result>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_boot.h"
#include "frame_tx.h"

static unsigned long sent;

void hal_uart_write(uint8_t byte)
{
    printf("%02x", byte);
    sent++;
}

static uint8_t buf[4096];
static char line[16384];

static uint16_t unhex(const char *h)
{
    uint16_t n = 0;
    unsigned v;

    while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1 && n < sizeof buf) {
        buf[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static const char *arg(const char *s, int k)
{
    while (k--) {
        s = strchr(s, ' ');
        if (!s)
            return "";
        s++;
    }
    return s;
}

int main(void)
{
    while (fgets(line, sizeof line, stdin)) {
        unsigned long a = 0, b = 0, c = 0, d = 0, e = 0;
        uint16_t n, i, k;
        char cmd = line[0];

        line[strcspn(line, "\r\n")] = '\0';
        sscanf(line + 1, "%lu %lu %lu %lu %lu", &a, &b, &c, &d, &e);
        if (cmd == 'S') {
            frame_set_seq((uint16_t)a);
        } else if (cmd == 'R') {
            frame_send_roll((uint8_t)a, (uint8_t)b, (uint8_t)c, (uint32_t)d, (uint32_t)e);
        } else if (cmd == 'B') {
            struct frame_boot bt;
            unsigned long v[9];
            char board[16], model[64];

            if (sscanf(line + 1, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %15s %63s", &v[0], &v[1], &v[2], &v[3],
                       &v[4], &v[5], &v[6], &v[7], &v[8], board, model) != 11)
                return 2;
            bt.f_cpu = (uint32_t)v[0];
            bt.baud = (uint32_t)v[1];
            bt.vcc_mv = (uint16_t)v[2];
            bt.reset = (uint8_t)v[3];
            bt.mode = (uint8_t)v[4];
            bt.tumble_frames = (uint8_t)v[5];
            bt.tumble_spin = (uint8_t)v[6];
            bt.tumble_slowdown = (uint8_t)v[7];
            bt.model_hash = (uint32_t)v[8];
            frame_send_boot(&bt, board, model);
        } else if (cmd == 'F') {
            n = unhex(arg(line, 2));
            frame_face_begin((uint32_t)a);
            for (i = 0; i < n; i += FP_FACE_W)
                frame_write(buf + i, FP_FACE_W);
            frame_end();
        } else if (cmd == 'D') {
            n = unhex(arg(line, 3));
            frame_send_display((uint8_t)a, (uint8_t)b, buf, (uint8_t)n);
        } else if (cmd == 'L') {
            n = unhex(arg(line, 1));
            buf[n] = 0;
            frame_send_log((const char *)buf);
        } else if (cmd == 'X' || cmd == 'M') {
            n = unhex(arg(line, cmd == 'X' ? 2 : 3));
            frame_begin((uint8_t)a, cmd == 'X' ? n : (uint16_t)b);
            for (i = 0, k = 1; i < n; i += k, k++)
                frame_write(buf + i, (uint16_t)(n - i < k ? n - i : k));
            k = (uint16_t)frame_end();
            if (cmd == 'M')
                printf(" rc=%d", (int)(int16_t)k);
        } else {
            fprintf(stderr, "bad command: %s\n", line);
            return 2;
        }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
