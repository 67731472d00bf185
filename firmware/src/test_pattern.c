/* TEST BUILD ONLY (-DDECODER_TEST_PATTERN): a stand-in for the generated decoder that draws an
 * exact die (rotated square with round pips) with the same decoder_run interface. It lets the
 * display/UART path and the virtual die be tested without the network, and in ~1/100 of its time. */
#ifdef DECODER_TEST_PATTERN

#include "decoder.h"
#include "flash.h"

/* 256 * sin(i * 2 pi / 256) for the first quarter turn, i = 0..64. */
static const int16_t sin_q[65] GD_FLASH = {
    0, 6, 13, 19, 25, 31, 38, 44, 50, 56, 62, 68, 74, 80, 86, 92, 98, 104, 109, 115, 121, 126,
    132, 137, 142, 147, 152, 157, 162, 167, 172, 177, 181, 185, 190, 194, 198, 202, 206, 209,
    213, 216, 220, 223, 226, 229, 231, 234, 237, 239, 241, 243, 245, 247, 248, 250, 251, 252,
    253, 254, 255, 255, 256, 256, 256};

/* Pip layout on a 3x3 grid, bit i = cell (i % 3, i / 3). */
static const uint16_t layout[6] GD_FLASH = {0x010, 0x101, 0x111, 0x145, 0x155, 0x16D};

static int16_t sin_code(uint8_t a)
{
    uint8_t q = a & 63u;
    int16_t v;

    if (a & 64u)
        q = (uint8_t)(64u - q);
    v = gd_rd_i16(&sin_q[q]);
    return (a & 128u) ? (int16_t)-v : v;
}

#define HALF 22  /* die half side, in half pixels */
#define GRID 12  /* pip spacing, in half pixels */
#define PIP_R2 16

void decoder_run(uint8_t pips, uint8_t code, decoder_row_fn emit, void *ctx)
{
    int16_t s = sin_code(code), c = sin_code((uint8_t)(code + 64u));
    uint16_t mask = (uint16_t)gd_rd_i16(&layout[(pips - 1u) % 6u]);
    uint8_t row[32], x, y, i;

    for (y = 0; y < 32; y++) {
        for (x = 0; x < 32; x++) {
            /* Coordinates in half pixels from the centre, rotated into the die's frame. */
            int32_t dx = 2 * (int16_t)x - 31, dy = 2 * (int16_t)y - 31;
            int16_t u = (int16_t)((dx * c + dy * s) / 256), v = (int16_t)((dy * c - dx * s) / 256);
            uint8_t g = (u >= -HALF && u <= HALF && v >= -HALF && v <= HALF) ? 255u : 0u;

            for (i = 0; g && i < 9; i++)
                if (mask & (1u << i)) {
                    int16_t du = (int16_t)(u - ((int16_t)(i % 3u) - 1) * GRID);
                    int16_t dv = (int16_t)(v - ((int16_t)(i / 3u) - 1) * GRID);

                    if (du * du + dv * dv <= PIP_R2)
                        g = 0;
                }
            row[x] = g;
        }
        emit(y, row, ctx);
    }
}

#endif
