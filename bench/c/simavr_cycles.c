/* Runs an ATmega328P ELF (bench/c/avr_face.c) in simavr until it halts, attributing every cycle to the face in
 * GPIOR2 (0 = none) and the engine level in GPIOR1. Prints "face N CYCLES CHECKSUM" per face (the checksum is
 * GPIOR0 when GPIOR2 returns to 0), then "level L CYCLES" per level seen inside faces (255 = outside any level:
 * row sink, set-up). */
#include <stdio.h>
#include <stdlib.h>

#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>

#define GPIOR0 0x3E /* data-space addresses */
#define GPIOR1 0x4A
#define GPIOR2 0x4B

static unsigned long long face_cycles[256], level_cycles[256];
static int checksum[256];

int main(int argc, char **argv)
{
    elf_firmware_t fw = {0};
    avr_t *avr;
    int state = cpu_Running, i;
    if (argc != 2 || elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "usage: simavr_cycles FIRMWARE.elf\n");
        return 2;
    }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr)
        return 2;
    avr_init(avr);
    avr->frequency = 16000000;
    avr_load_firmware(avr, &fw);
    while (state != cpu_Done && state != cpu_Crashed) {
        unsigned face = avr->data[GPIOR2], level = avr->data[GPIOR1];
        avr_cycle_count_t c0 = avr->cycle;
        state = avr_run(avr);
        face_cycles[face] += avr->cycle - c0;
        if (face)
            level_cycles[level] += avr->cycle - c0;
        if (face && avr->data[GPIOR2] == 0)
            checksum[face] = avr->data[GPIOR0];
    }
    for (i = 1; i < 256; i++)
        if (face_cycles[i])
            printf("face %d %llu %d\n", i, face_cycles[i], checksum[i]);
    for (i = 0; i < 256; i++)
        if (level_cycles[i])
            printf("level %d %llu\n", i, level_cycles[i]);
    return state == cpu_Crashed;
}
