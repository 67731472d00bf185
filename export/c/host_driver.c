/* Host CLI around the decoder (the engine + a generated model), for tests and benchmarks (export/backends.py
 * builds it). stdin: pairs of bytes (pips, code); stdout: 1024 grey bytes per pair, rows 0..31.
 * argv[1] = "macs" prints the per-layer MAC counters (built with -DGD_COUNT_MACS) to stderr after each face. */
#include <stdio.h>
#include <string.h>

#include "decoder.h"
#include "decoder_model.h"

#ifdef GD_COUNT_MACS
extern uint32_t gd_macs[GD_NLEVELS];
#endif

static uint8_t face[32][32];
static int next_row;

static void take_row(uint8_t y, const uint8_t *row, void *ctx)
{
    (void)ctx;
    if (y != next_row) /* rows must arrive in order 0..31 */
        next_row = -1000;
    memcpy(face[y], row, 32);
    next_row++;
}

int main(int argc, char **argv)
{
    int macs = argc > 1 && strcmp(argv[1], "macs") == 0;
    int p, c;
    while ((p = getchar()) != EOF && (c = getchar()) != EOF) {
        next_row = 0;
        decoder_run((uint8_t)p, (uint8_t)c, take_row, NULL);
        if (next_row != 32) {
            fprintf(stderr, "rows out of order\n");
            return 1;
        }
        fwrite(face, 1, sizeof face, stdout);
#ifdef GD_COUNT_MACS
        if (macs) {
            int k;
            for (k = 0; k < GD_NLEVELS; k++) {
                fprintf(stderr, "%lu%c", (unsigned long)gd_macs[k], k + 1 < GD_NLEVELS ? ' ' : '\n');
                gd_macs[k] = 0;
            }
        }
#else
        (void)macs;
#endif
    }
    return 0;
}
