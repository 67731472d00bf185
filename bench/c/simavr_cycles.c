/* Runs an ATmega328P ELF in simavr until it halts; prints the cycle count and GPIOR0. */
#include <stdio.h>
#include <stdlib.h>

#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>

int main(int argc, char **argv)
{
    elf_firmware_t fw = {0};
    avr_t *avr;
    int state = cpu_Running;
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
    while (state != cpu_Done && state != cpu_Crashed)
        state = avr_run(avr);
    printf("%llu %u\n", (unsigned long long)avr->cycle, avr->data[0x3E]); /* GPIOR0 is at data address 0x3E */
    return state == cpu_Crashed;
}
