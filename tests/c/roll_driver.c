/* Host driver for firmware/src/roll.c: mixes the seeds given on the command line, then draws N rolls.
 * Prints the 6 pip counts on one line, then the 256 angle-code counts on the next.
 * Built with -DWITH_TUMBLE, each roll is followed by its tumble exactly as main.c does it (one PRNG word seeds
 * the tumble's own generator), so the test sees the roll path the firmware runs. */
#include <stdio.h>
#include <stdlib.h>

#include "roll.h"
#ifdef WITH_TUMBLE
#include "tumble.h"
#endif

int main(int argc, char **argv)
{
    unsigned long pips[6] = {0}, angles[256] = {0}, n, i;
    int a;

    if (argc < 2)
        return 2;
    n = strtoul(argv[1], NULL, 0);
    for (a = 2; a < argc; a++)
        roll_mix((uint32_t)strtoul(argv[a], NULL, 0));
    for (i = 0; i < n; i++) {
        uint8_t p = roll_pips();
        if (p < 1 || p > 6)
            return 1;
        uint8_t code = roll_code();
        pips[p - 1]++;
        angles[code]++;
#ifdef WITH_TUMBLE
        {
            struct tumble t;
            tumble_start(&t, TUMBLE_FRAMES, p, code, roll_next());
            while (tumble_next(&t)) {
            }
        }
#endif
    }
    for (i = 0; i < 6; i++)
        printf("%lu%c", pips[i], i == 5 ? '\n' : ' ');
    for (i = 0; i < 256; i++)
        printf("%lu%c", angles[i], i == 255 ? '\n' : ' ');
    return 0;
}
