/* GenDie HAL for the ATmega328P (Arduino Nano / Uno), bare avr-libc. See hal.h. */
#include "hal.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include <util/delay.h>

#include "pins.h"

#if BUTTON_INT == 0
#define BUTTON_VECT INT0_vect
#elif BUTTON_INT == 1
#define BUTTON_VECT INT1_vect
#else
#error "hal_avr.c: the button must be on INT0 or INT1"
#endif
#define BUTTON_ISC_SHIFT (2 * BUTTON_INT)

/* TWI and USART pins are fixed in silicon (ATmega328P datasheet, 14.3.2 and 14.3.3). */
#define TWI_PORT PORTC
#define TWI_DDR  DDRC
#define TWI_SDA  _BV(PC4)
#define TWI_SCL  _BV(PC5)
#define UART_RXD _BV(PD0)

/* Supply check: the internal bandgap is 1.1 V nominal, 1.0-1.2 V from chip to chip (datasheet 28.2, VBG);
 * calibrate one chip by building with -DVCC_BANDGAP_MV=<1100 * VCC measured / VCC reported>. */
#ifndef VCC_BANDGAP_MV
#define VCC_BANDGAP_MV 1100UL
#endif
/* Safe operating area (datasheet 28.3, speed grades): 4 MHz at 1.8 V, 10 MHz at 2.7 V, 20 MHz at 4.5 V,
 * linear in between: 16 MHz needs 3.78 V. */
#if F_CPU > 10000000UL
#define VCC_MIN_MV (2700UL + (F_CPU / 1000UL - 10000UL) * 1800UL / 10000UL)
#elif F_CPU > 4000000UL
#define VCC_MIN_MV (1800UL + (F_CPU / 1000UL - 4000UL) * 900UL / 6000UL)
#else
#define VCC_MIN_MV 1800UL
#endif

#define ROLL_MARKER 0x524F4C4CUL /* "ROLL": 32 bits, so power-up garbage in RAM matches with p = 2^-32 */

#define TX_SIZE 64u /* power of two; one FACE row (32 B) fits without blocking the decoder */
#define RX_SIZE 8u  /* commands are 1-2 bytes */

static uint8_t tx_buf[TX_SIZE];
static volatile uint8_t tx_head, tx_tail;
static volatile uint8_t tx_pending; /* a byte may still be in the shift register */
static uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;
static volatile uint16_t t1_overflows;
static volatile uint8_t wdt_ticks;

/* MCUSR must be read and cleared, and the watchdog stopped, before main(): after a watchdog
 * reset the watchdog stays enabled at its shortest period and would reset us again in 16 ms. */
static uint8_t reset_flags __attribute__((section(".noinit")));
/* Optiboot clears MCUSR before it starts the application, so after a watchdog reset the flags above are 0:
 * this marker, also in .noinit (neither zeroed nor initialised at start-up), says a roll was cut short. */
static uint32_t roll_marker __attribute__((section(".noinit")));
void hal_early_init(void) __attribute__((naked, used, section(".init3")));
void hal_early_init(void)
{
    reset_flags = MCUSR;
    MCUSR = 0;
    wdt_disable();
}

ISR(TIMER1_OVF_vect) { t1_overflows++; }

ISR(USART_UDRE_vect)
{
    uint8_t t = tx_tail;

    if (t == tx_head) {
        UCSR0B &= (uint8_t)~_BV(UDRIE0);
        return;
    }
    UCSR0A = _BV(U2X0) | _BV(TXC0); /* clear TXC so hal_uart_flush can wait for the last stop bit */
    UDR0 = tx_buf[t];
    tx_tail = (uint8_t)((t + 1u) & (TX_SIZE - 1u));
}

ISR(USART_RX_vect)
{
    uint8_t b = UDR0;
    uint8_t next = (uint8_t)((rx_head + 1u) & (RX_SIZE - 1u));

    if (next != rx_tail) {
        rx_buf[rx_head] = b;
        rx_head = next;
    }
}

/* Deep sleep needs the level trigger (edges need a clock); back on any edge so a held button does not keep
 * firing. INT0 stays unmasked: simavr 1.6 keeps a flag raised while masked and then ignores the level. */
ISR(BUTTON_VECT) { EICRA = (uint8_t)((EICRA & ~(3u << BUTTON_ISC_SHIFT)) | (1u << BUTTON_ISC_SHIFT)); }

/* A start bit on RX (PD0 = PCINT16, fixed by the USART) woke us from power-down. */
ISR(PCINT2_vect) { PCICR = 0; }

ISR(WDT_vect)
{
    wdt_ticks++;
    WDTCSR |= _BV(WDIE); /* stay in interrupt mode (simavr 1.6 clears WDIE as if WDE were set) */
}

/* A slave reset in the middle of a transfer can still hold SDA low, waiting for the clocks of a byte the
 * master (reset with us) will never send: clock SCL 9 times (the byte and its ACK) so it lets go, then send a
 * STOP so every slave is idle (I2C specification UM10204, 3.1.16 bus clear). Lines are driven open-drain by
 * hand: low = output 0, released = input with the pull-up. About 100 kHz, 0.1 ms in all. */
static void bus_line(uint8_t pin, uint8_t high)
{
    if (high) {
        TWI_DDR &= (uint8_t)~pin;
        TWI_PORT |= pin;
    } else {
        TWI_PORT &= (uint8_t)~pin;
        TWI_DDR |= pin;
    }
    _delay_us(5);
}

static void i2c_bus_clear(void)
{
    uint8_t i;

    TWCR = 0; /* the TWI must not own the pins */
    bus_line(TWI_SDA, 1);
    for (i = 0; i < 9; i++) {
        bus_line(TWI_SCL, 0);
        bus_line(TWI_SCL, 1);
    }
    bus_line(TWI_SCL, 0); /* STOP: SDA rises while SCL is high */
    bus_line(TWI_SDA, 0);
    bus_line(TWI_SCL, 1);
    bus_line(TWI_SDA, 1);
}

uint8_t hal_init(void)
{
    uint8_t f = 0;

    if (reset_flags & _BV(PORF)) f |= HAL_RESET_POWER;
    if (reset_flags & _BV(EXTRF)) f |= HAL_RESET_EXTERNAL;
    if (reset_flags & _BV(BORF)) f |= HAL_RESET_BROWNOUT;
    if (reset_flags & _BV(WDRF)) f |= HAL_RESET_WATCHDOG;
    if (roll_marker == ROLL_MARKER) f |= HAL_RESET_ROLL_INTERRUPTED;
    roll_marker = 0;

    BUTTON_DDR &= (uint8_t)~_BV(BUTTON_BIT);
    BUTTON_PORT |= _BV(BUTTON_BIT); /* internal pull-up: the button shorts the pin to GND */
    /* RXD: the USART makes it an input, but PORTD0 still switches its pull-up (datasheet 14.3.3, PD0). On a
     * battery build the USB-serial chip is unpowered and RX would float: its pin-change wake (power-down)
     * would then fire on noise. */
    PORTD |= UART_RXD;

    /* Timer1 counts CPU cycles; its overflow count extends it to 32 bits. */
    TCCR1A = 0;
    TCCR1B = _BV(CS10);
    TIMSK1 = _BV(TOIE1);

    /* 115200 baud needs the double-speed mode: 16 MHz / 8 / 17 is 2.1 % off, /16 would be 3.5 %. */
    UCSR0A = _BV(U2X0);
    UBRR0 = (uint16_t)((F_CPU + 4UL * UART_BAUD) / (8UL * UART_BAUD) - 1UL);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
    UCSR0B = _BV(RXCIE0) | _BV(RXEN0) | _BV(TXEN0);

    EICRA = (uint8_t)(1u << BUTTON_ISC_SHIFT); /* any edge: wakes the idle sleep at once */
    EIMSK = _BV(BUTTON_INT);

    /* Internal pull-ups (20-50 kOhm, datasheet 28.2 RPU) on SDA/SCL: they stay on when the TWI takes the pins
     * (21.5.1). Too weak for 400 kHz alone; display modules carry their own 4.7-10 kOhm, these only keep a
     * bus without a module from floating. */
    i2c_bus_clear();
    TWSR = 0;
    TWBR = (uint8_t)((F_CPU / I2C_HZ - 16UL) / 2UL);
    TWCR = _BV(TWEN);

    sei();
    return f;
}

uint32_t hal_cycles(void)
{
    uint8_t sreg = SREG;
    uint16_t hi, lo;

    cli();
    hi = t1_overflows;
    lo = TCNT1;
    /* An overflow that happened after cli() is not counted yet. */
    if ((TIFR1 & _BV(TOV1)) && lo < 0x8000u)
        hi++;
    SREG = sreg;
    return ((uint32_t)hi << 16) | lo;
}

static uint16_t adc_noise(void)
{
    uint16_t v;

    /* The internal temperature sensor against the 1.1 V reference: its LSBs are thermal noise. */
    ADMUX = _BV(REFS1) | _BV(REFS0) | _BV(MUX3);
    ADCSRA = _BV(ADEN) | _BV(ADSC) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    while (ADCSRA & _BV(ADSC)) {
    }
    v = ADC;
    ADCSRA = 0; /* the ADC draws ~200 uA when left on */
    return v;
}

static uint32_t rotl3(uint32_t x) { return (x << 3) | (x >> 29); }

uint32_t hal_entropy_boot(void)
{
    uint32_t e = hal_cycles(), last;
    uint8_t i, t;

    /* The watchdog runs from its own 128 kHz RC oscillator: counting crystal cycles across its
     * periods samples the drift and jitter between two independent clocks. */
    cli();
    wdt_reset();
    WDTCSR = _BV(WDCE) | _BV(WDE);
    WDTCSR = _BV(WDIE); /* interrupt mode, 16 ms */
    sei();
    last = hal_cycles();
    for (i = 0; i < 4; i++) {
        t = wdt_ticks;
        /* Bounded: a watchdog that never interrupts must not stop the boot. */
        while (wdt_ticks == t && hal_cycles() - last < 4UL * 16UL * HAL_CYCLES_PER_MS) {
        }
        e = rotl3(e) ^ (hal_cycles() - last);
        last = hal_cycles();
    }
    hal_wdt_disarm();
    for (i = 0; i < 8; i++)
        e = rotl3(e) ^ adc_noise();
    return e;
}

void hal_roll_marker(uint8_t in_progress) { roll_marker = in_progress ? ROLL_MARKER : 0; }

uint16_t hal_vcc_mv(void)
{
    uint16_t v = 0;
    uint8_t i;

    /* The bandgap measured against AVcc: VCC = 1.1 V * 1024 / reading (datasheet 24.9.1, MUX = 1110). The
     * first conversion after a reference change is discarded (24.5.2), and the bandgap gets 1 ms to settle
     * (its start-up time is 40-70 us, 28.2). */
    ADMUX = _BV(REFS0) | _BV(MUX3) | _BV(MUX2) | _BV(MUX1);
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    _delay_ms(1);
    for (i = 0; i < 2; i++) {
        ADCSRA |= _BV(ADSC);
        while (ADCSRA & _BV(ADSC)) {
        }
        v = ADC;
    }
    ADCSRA = 0;
    return v ? (uint16_t)(VCC_BANDGAP_MV * 1024UL / v) : 0;
}

uint16_t hal_vcc_min_mv(void) { return (uint16_t)VCC_MIN_MV; }

uint32_t hal_entropy_now(void) { return hal_cycles() ^ ((uint32_t)adc_noise() << 20); }

uint8_t hal_button_down(void) { return (BUTTON_PINREG & _BV(BUTTON_BIT)) == 0; }

void hal_uart_write(uint8_t byte)
{
    uint8_t next = (uint8_t)((tx_head + 1u) & (TX_SIZE - 1u));

    if (!(SREG & _BV(SREG_I))) {
        /* Interrupts off (should not happen): send directly rather than wait forever for the ISR. */
        while (!(UCSR0A & _BV(UDRE0))) {
        }
        UCSR0A = _BV(U2X0) | _BV(TXC0);
        UDR0 = byte;
        tx_pending = 1;
        return;
    }
    while (next == tx_tail) {
    }
    tx_buf[tx_head] = byte;
    cli();
    tx_head = next;
    tx_pending = 1;
    UCSR0B |= _BV(UDRIE0);
    sei();
}

int16_t hal_uart_read(void)
{
    uint8_t t = rx_tail, b;

    if (t == rx_head)
        return -1;
    b = rx_buf[t];
    rx_tail = (uint8_t)((t + 1u) & (RX_SIZE - 1u));
    return b;
}

void hal_uart_flush(void)
{
    while (tx_head != tx_tail) {
    }
    if (tx_pending)
        while (!(UCSR0A & _BV(TXC0))) {
        }
    tx_pending = 0;
}

/* About 25 ms worst case at 16 MHz (~6 cycles a turn): a 400 kHz byte needs 23 us. */
static uint8_t twi_wait(void)
{
    uint16_t n = 0;

    while (!(TWCR & _BV(TWINT)))
        if (++n == 0) {
            TWCR = 0; /* release the bus and reset the TWI state machine */
            TWCR = _BV(TWEN);
            return 0;
        }
    return 1;
}

static uint8_t twi_status(void) { return TWSR & 0xF8u; }

uint8_t hal_i2c_start(uint8_t addr7)
{
    uint8_t s;

    TWCR = _BV(TWINT) | _BV(TWSTA) | _BV(TWEN);
    if (!twi_wait())
        return 0;
    s = twi_status();
    if (s != 0x08u && s != 0x10u) /* START, repeated START */
        return 0;
    TWDR = (uint8_t)(addr7 << 1);
    TWCR = _BV(TWINT) | _BV(TWEN);
    if (!twi_wait())
        return 0;
    s = twi_status();
    /* 0x18 = SLA+W ACKed. simavr 1.6 reports 0x28 (data ACKed) here instead: accept both. */
    return s == 0x18u || s == 0x28u;
}

uint8_t hal_i2c_write(uint8_t byte)
{
    TWDR = byte;
    TWCR = _BV(TWINT) | _BV(TWEN);
    if (!twi_wait())
        return 0;
    return twi_status() == 0x28u;
}

void hal_i2c_stop(void)
{
    uint16_t n = 0;

    TWCR = _BV(TWINT) | _BV(TWSTO) | _BV(TWEN);
    while ((TWCR & _BV(TWSTO)) && ++n) {
    }
}

void hal_wdt_arm(void) { wdt_enable(WDTO_2S); }

void hal_wdt_kick(void) { wdt_reset(); }

void hal_wdt_disarm(void)
{
    cli();
    wdt_reset();
    MCUSR &= (uint8_t)~_BV(WDRF);
    WDTCSR = _BV(WDCE) | _BV(WDE);
    WDTCSR = 0;
    sei();
}

void hal_sleep(uint8_t deep)
{
    cli();
    if (rx_head != rx_tail) { /* a command arrived after the caller looked */
        sei();
        return;
    }
    if (deep) {
        EICRA &= (uint8_t)~(3u << BUTTON_ISC_SHIFT); /* low level */
        /* Power-down stops the USART and Timer1: only a low level on the button (edges need a clock)
         * or a pin change on RX can wake us; the byte whose start bit woke us is lost. */
        TIMSK1 = 0;
        PCIFR = _BV(PCIF2);
        PCMSK2 = _BV(PCINT16);
        PCICR = _BV(PCIE2);
        set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    } else {
        set_sleep_mode(SLEEP_MODE_IDLE);
    }
    sleep_enable();
    /* Brown-out detector off while powered down: it alone draws ~20 uA (datasheet 28.2, I_BOD), 20x the
     * chip's power-down current. BODS holds for 3 cycles only (10.11.2): sei runs one more instruction before
     * any interrupt, so `sei; sleep` follows within that window. It is back on at wake-up (60 us). */
    if (deep)
        sleep_bod_disable();
    sei();
    sleep_cpu();
    sleep_disable();
    if (deep) {
        PCICR = 0;
        TIMSK1 = _BV(TOIE1);
    }
}
