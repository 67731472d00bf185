/* Virtual GenDie: runs firmware.elf in simavr 1.6 with its SSD1306 part on the TWI bus and a
 * button on PD2, captures the UART, and obeys a script on stdin (driven by virtual_die.py):
 *   run <us>             advance simulated time
 *   btn <0|1>            release / press the button (active low on the pin)
 *   uart <hex>           send bytes to the MCU's RX
 *   quiet <us> <max_us>  run until UART and I2C have been silent for <us> with the CPU asleep
 *   mark                 record a snapshot (cycle, I2C bytes, last I2C cycle, UART length)
 * It also watches the bus as the display sees it: every time the die's last page (page 7, DIE_W bytes from
 * column DIE_COL) has been written, a die frame is complete: its cycle, the I2C counters and the display RAM
 * are recorded (the tumble's timeline and the animation). And it counts SCL pulses and STOPs driven by hand
 * on the pins before the first TWI START (the firmware's bus clear at boot).
 * At EOF it writes one JSON object to the output file. Usage:
 *   harness ELF OUT.json [--no-display] [--paint FROM_ADDR] [--vcc MV] [--die COL,WIDTH] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avr_ioport.h"
#include "avr_twi.h"
#include "avr_uart.h"
#include "button.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "ssd1306_virt.h"

#define PAINT 0xA5u
#define MAX_UART (4u << 20)
#define MAX_MARKS 4096
#define MAX_DIE_FRAMES 2048
#define I2C_HEAD 512 /* first bytes on the bus, START addresses included: the init sequence */

static avr_t *avr;
static ssd1306_t oled;
static button_t button;
static uint8_t *uart_out;
static size_t uart_len;
static uint64_t i2c_bytes, i2c_transactions, last_i2c_cycle, last_activity;
static struct {
    uint64_t cycle, i2c_bytes, i2c_transactions, last_i2c;
    size_t uart;
    int display_on;
    uint8_t vram[SSD1306_VIRT_PAGES][SSD1306_VIRT_COLUMNS];
} marks[MAX_MARKS];
static int display = 1;
static int n_marks;
static struct {
    uint64_t cycle, i2c_bytes, i2c_transactions;
    uint8_t vram[SSD1306_VIRT_PAGES][SSD1306_VIRT_COLUMNS];
} die_frames[MAX_DIE_FRAMES];
static int n_die_frames;
static unsigned die_col = 0, die_w = 64;
static struct { /* what the display was last told (command stream) and this transaction's data count */
    uint8_t ctrl, has_ctrl, page, col_lo, col_hi;
    unsigned data;
} bus;
static uint8_t i2c_head[I2C_HEAD];
static unsigned n_i2c_head;
/* Bus clear by hand, before the TWI's first START: SCL rising edges, and STOPs (SDA rising while SCL high). */
static int twi_started, scl_level = 1, sda_level = 1;
static unsigned scl_pulses, manual_stops;

static void no_sleep(avr_t *a, avr_cycle_count_t how_long) { (void)a; (void)how_long; }

static void on_uart(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq; (void)param;
    if (uart_len < MAX_UART)
        uart_out[uart_len++] = (uint8_t)value;
    last_activity = avr->cycle;
}

static void die_frame_done(void)
{
    if (n_die_frames >= MAX_DIE_FRAMES)
        return;
    die_frames[n_die_frames].cycle = avr->cycle;
    die_frames[n_die_frames].i2c_bytes = i2c_bytes;
    die_frames[n_die_frames].i2c_transactions = i2c_transactions;
    memcpy(die_frames[n_die_frames].vram, oled.vram, sizeof oled.vram);
    n_die_frames++;
}

/* SSD1306 page addressing as the firmware uses it: control byte 0x00 then commands (0xB0+page, column low and
 * high nibbles), or control byte 0x40 then data bytes for the current page from the current column. */
static void bus_byte(uint8_t b)
{
    if (!bus.has_ctrl) {
        bus.ctrl = b;
        bus.has_ctrl = 1;
    } else if (bus.ctrl == 0x40) {
        bus.data++;
    } else if (b >= 0xB0 && b <= 0xB7) {
        bus.page = b & 7u;
    } else if (b <= 0x0F) {
        bus.col_lo = b;
    } else if (b >= 0x10 && b <= 0x1F) {
        bus.col_hi = b & 15u;
    }
}

/* Every byte the master clocks onto the bus: the address after a START, then data bytes. */
static void on_twi(struct avr_irq_t *irq, uint32_t value, void *param)
{
    avr_twi_msg_irq_t m;
    uint8_t byte;

    (void)irq; (void)param;
    m.u.v = value;
    if (m.u.twi.msg & TWI_COND_START) {
        i2c_bytes++;
        i2c_transactions++;
        twi_started = 1;
        bus.has_ctrl = 0;
        bus.data = 0;
        byte = m.u.twi.addr;
    } else if (m.u.twi.msg & TWI_COND_WRITE) {
        i2c_bytes++;
        byte = m.u.twi.data;
        bus_byte(byte);
    } else {
        if ((m.u.twi.msg & TWI_COND_STOP) && bus.has_ctrl && bus.ctrl == 0x40 && bus.page == 7 &&
            (unsigned)(bus.col_hi << 4 | bus.col_lo) == die_col && bus.data == die_w)
            die_frame_done();
        return;
    }
    if (n_i2c_head < I2C_HEAD)
        i2c_head[n_i2c_head++] = byte;
    last_i2c_cycle = avr->cycle;
    last_activity = avr->cycle;
}

/* PC5 (SCL) and PC4 (SDA) levels while the firmware drives them by hand (DDR low = released, pulled up). */
static void on_scl(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq; (void)param;
    if (!twi_started && value && !scl_level)
        scl_pulses++;
    scl_level = value != 0;
}

static void on_sda(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq; (void)param;
    if (!twi_started && value && !sda_level && scl_level)
        manual_stops++;
    sda_level = value != 0;
}

static void print_vram(FILE *out, uint8_t v[SSD1306_VIRT_PAGES][SSD1306_VIRT_COLUMNS])
{
    int i;

    if (display)
        for (i = 0; i < SSD1306_VIRT_PAGES * SSD1306_VIRT_COLUMNS; i++)
            fprintf(out, "%02x", v[i / SSD1306_VIRT_COLUMNS][i % SSD1306_VIRT_COLUMNS]);
}

static int run_until(uint64_t cycle)
{
    while (avr->cycle < cycle) {
        int s = avr_run(avr);
        if (s == cpu_Done || s == cpu_Crashed)
            return -1;
    }
    return 0;
}

static uint64_t us(uint64_t t) { return t * (avr->frequency / 1000000u); }

int main(int argc, char **argv)
{
    elf_firmware_t fw;
    int i;
    long paint_from = -1, vcc_mv = 5000;
    char line[8192];
    FILE *out;
    int crashed = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s ELF OUT.json [--no-display] [--paint FROM]\n", argv[0]);
        return 2;
    }
    for (i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--no-display"))
            display = 0;
        else if (!strcmp(argv[i], "--paint") && i + 1 < argc)
            paint_from = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--vcc") && i + 1 < argc)
            vcc_mv = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--die") && i + 1 < argc)
            sscanf(argv[++i], "%u,%u", &die_col, &die_w);
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "harness: cannot read %s\n", argv[1]);
        return 2;
    }
    strcpy(fw.mmcu, "atmega328p");
    fw.frequency = 16000000;
    avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr) {
        fprintf(stderr, "harness: no simavr core for %s\n", fw.mmcu);
        return 2;
    }
    avr_init(avr);
    avr->log = getenv("VD_LOG") ? atoi(getenv("VD_LOG")) : 0;
    avr_load_firmware(avr, &fw);
    avr->frequency = fw.frequency;
    /* The supply the ADC sees (the firmware measures it against the bandgap): 5 V unless a test injects one. */
    avr->vcc = avr->avcc = (uint32_t)vcc_mv;
    avr->sleep = no_sleep; /* simulated time only: never wait for the wall clock */
    uart_out = malloc(MAX_UART);

    {   /* keep simavr from echoing the binary dump to our stdout */
        uint32_t f = 0;
        avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &f);
        f &= ~(uint32_t)AVR_UART_FLAG_STDIO;
        avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &f);
    }
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT), on_twi, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('C'), 5), on_scl, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('C'), 4), on_sda, NULL);
    if (display) {
        ssd1306_wiring_t w = {.chip_select = {'B', 2}, .data_instruction = {'B', 1}, .reset = {'B', 3}};
        ssd1306_init(avr, &oled, 128, 64);
        ssd1306_connect_twi(&oled, &w);
    }
    button_init(avr, &button, "button");
    avr_connect_irq(button.irq + IRQ_BUTTON_OUT, avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2));
    avr_raise_irq(button.irq + IRQ_BUTTON_OUT, 1); /* released: the pull-up holds the pin high */

    if (paint_from > 0) /* stack canary: whatever is still PAINT at the end was never used */
        memset(avr->data + paint_from, PAINT, avr->ramend + 1 - paint_from);

    while (!crashed && fgets(line, sizeof line, stdin)) {
        char cmd[16];
        unsigned long long a = 0, b = 0;
        char hex[8000];

        if (sscanf(line, "%15s", cmd) != 1)
            continue;
        if (!strcmp(cmd, "run") && sscanf(line, "%*s %llu", &a) == 1) {
            crashed = run_until(avr->cycle + us(a));
        } else if (!strcmp(cmd, "btn") && sscanf(line, "%*s %llu", &a) == 1) {
            avr_raise_irq(button.irq + IRQ_BUTTON_OUT, a ? 0 : 1);
        } else if (!strcmp(cmd, "uart") && sscanf(line, "%*s %7999s", hex) == 1) {
            avr_irq_t *rx = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
            size_t k;
            for (k = 0; hex[k] && hex[k + 1]; k += 2) {
                unsigned v;
                sscanf(hex + k, "%2x", &v);
                avr_raise_irq(rx, v);
            }
        } else if (!strcmp(cmd, "quiet") && sscanf(line, "%*s %llu %llu", &a, &b) == 2) {
            uint64_t end = avr->cycle + us(b);
            last_activity = avr->cycle;
            while (!crashed && avr->cycle < end &&
                   !(avr->cycle - last_activity >= us(a) && avr->state == cpu_Sleeping))
                crashed = run_until(avr->cycle + us(100));
        } else if (!strcmp(cmd, "mark") && n_marks < MAX_MARKS) {
            marks[n_marks].cycle = avr->cycle;
            marks[n_marks].i2c_bytes = i2c_bytes;
            marks[n_marks].i2c_transactions = i2c_transactions;
            marks[n_marks].last_i2c = last_i2c_cycle;
            marks[n_marks].uart = uart_len;
            marks[n_marks].display_on = display && ssd1306_get_flag(&oled, SSD1306_FLAG_DISPLAY_ON);
            memcpy(marks[n_marks].vram, oled.vram, sizeof oled.vram);
            n_marks++;
        } else {
            fprintf(stderr, "harness: bad command: %s", line);
            return 2;
        }
    }

    out = fopen(argv[2], "w");
    if (!out)
        return 2;
    fprintf(out, "{\"cycle\": %" PRIu64 ", \"frequency\": %u, \"state\": %d, \"pc\": %u, \"crashed\": %s,\n",
            (uint64_t)avr->cycle, avr->frequency, avr->state, (unsigned)avr->pc, crashed ? "true" : "false");
    fprintf(out, " \"i2c_bytes\": %" PRIu64 ", \"i2c_transactions\": %" PRIu64 ", \"last_i2c_cycle\": %" PRIu64 ",\n",
            i2c_bytes, i2c_transactions, last_i2c_cycle);
    fprintf(out, " \"marks\": [");
    for (i = 0; i < n_marks; i++) {
        fprintf(out, "%s{\"cycle\": %" PRIu64 ", \"i2c_bytes\": %" PRIu64 ", \"i2c_transactions\": %" PRIu64
                ", \"last_i2c_cycle\": %" PRIu64 ", \"uart_len\": %zu, \"display_on\": %s, \"vram\": \"",
                i ? ",\n  " : "", marks[i].cycle, marks[i].i2c_bytes, marks[i].i2c_transactions, marks[i].last_i2c,
                marks[i].uart, marks[i].display_on ? "true" : "false");
        print_vram(out, marks[i].vram);
        fprintf(out, "\"}");
    }
    fprintf(out, "],\n \"display\": %s, \"display_on\": %s,\n \"vram\": \"", display ? "true" : "false",
            display && ssd1306_get_flag(&oled, SSD1306_FLAG_DISPLAY_ON) ? "true" : "false");
    print_vram(out, oled.vram);
    fprintf(out, "\",\n \"stack_lowest\": ");
    if (paint_from > 0) {
        long k = paint_from;
        while (k <= avr->ramend && avr->data[k] == PAINT)
            k++;
        fprintf(out, "%ld", k);
    } else {
        fprintf(out, "null");
    }
    fprintf(out, ", \"ramend\": %u,\n \"scl_pulses\": %u, \"manual_stops\": %u, \"portc\": %u, \"portd\": %u,\n",
            avr->ramend, scl_pulses, manual_stops, avr->data[0x28], avr->data[0x2B]); /* PORTC, PORTD */
    fprintf(out, " \"i2c_head\": \"");
    for (unsigned k = 0; k < n_i2c_head; k++)
        fprintf(out, "%02x", i2c_head[k]);
    fprintf(out, "\",\n \"die_frames\": [");
    for (i = 0; i < n_die_frames; i++) {
        fprintf(out, "%s{\"cycle\": %" PRIu64 ", \"i2c_bytes\": %" PRIu64 ", \"i2c_transactions\": %" PRIu64
                ", \"vram\": \"", i ? ",\n  " : "", die_frames[i].cycle, die_frames[i].i2c_bytes,
                die_frames[i].i2c_transactions);
        print_vram(out, die_frames[i].vram);
        fprintf(out, "\"}");
    }
    fprintf(out, "],\n \"uart\": \"");
    for (size_t k = 0; k < uart_len; k++)
        fprintf(out, "%02x", uart_out[k]);
    fprintf(out, "\"}\n");
    fclose(out);
    return 0;
}
