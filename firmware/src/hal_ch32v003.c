/* GenDie HAL for the CH32V003 (QingKe V2A, RV32EC, 48 MHz from HSI x 2), bare metal. See hal.h.
 * Registers: ch32v003/ch32v003_regs.h (from the reference manual); start-up: src/startup_ch32v003.S.
 * Time is the SysTick counter itself (32 bits of HCLK cycles, free running); a compare interrupt every 10 ms only
 * wakes the idle sleep so main() sees its timeouts. Deep sleep is the chip's standby (RAM kept, clocks off, back
 * on HSI at wake-up), left by the button (EXTI0) or a start bit on RX (EXTI6). */
#include "hal.h"

#include "ch32v003_regs.h"
#include "pins.h"

#if !defined(BOARD_CH32V003)
#error "hal_ch32v003.c: build with -DBOARD_CH32V003"
#endif

#define TX_SIZE 64u /* power of two; one FACE row (32 B) fits without blocking the decoder */
#define RX_SIZE 8u  /* commands are 1-2 bytes */
#define TICK_CYCLES (F_CPU / 100u)      /* 10 ms idle wake-up */
#define I2C_SPIN 20000u                 /* ~2 ms at 48 MHz: a 400 kHz byte needs 23 us */
#define IWDG_RELOAD 2000u               /* LSI 128 kHz / 128 = 1 kHz: 2.0 s */
#define AWU_WINDOW_KICK 12u             /* LSI / 10240 = 12.5 Hz: 0.96 s, well inside the watchdog's 2 s */
#define PIN_CFG(bit, mode) ((uint32_t)(mode) << (4u * (bit)))
#define PIN_MASK(bit) (0xFu << (4u * (bit)))

static uint8_t tx_buf[TX_SIZE];
static volatile uint8_t tx_head, tx_tail;
static uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;
static volatile uint8_t woke_by_user; /* the button or RX woke the standby (not the AWU) */
static uint8_t wdt_running, wdt_idle;  /* the IWDG cannot be stopped once started: idle time kicks it */

static inline void irq_off(void) { __asm__ volatile("csrc mstatus, 8" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("csrs mstatus, 8" ::: "memory"); }

/* Called by startup_ch32v003.S before .data exists, and again after standby (which wakes on the 24 MHz HSI). */
void clock_init_48mhz(void)
{
    FLASH_ACTLR = (FLASH_ACTLR & ~FLASH_LATENCY_MASK) | FLASH_LATENCY_1; /* before the clock goes above 24 MHz */
    RCC_CFGR0 &= ~(RCC_HPRE_MASK | RCC_PLLSRC_HSE); /* HCLK = SYSCLK, PLL input = HSI; ADC: reset /2 = 24 MHz */
    RCC_CTLR |= RCC_HSION | RCC_PLLON;
    while (!(RCC_CTLR & RCC_PLLRDY)) {
    }
    RCC_CFGR0 = (RCC_CFGR0 & ~RCC_SW_MASK) | RCC_SW_PLL;
    while ((RCC_CFGR0 & RCC_SWS_MASK) != RCC_SWS_PLL) {
    }
}

void __attribute__((interrupt)) isr_systick(void)
{
    STK_SR = 0; /* clear CNTIF */
    STK_CMP += TICK_CYCLES;
    if (wdt_idle)
        IWDG_CTLR = IWDG_KEY_RELOAD;
}

void __attribute__((interrupt)) isr_usart1(void)
{
    uint32_t st = USART1_STATR;

    if (st & USART_RXNE) {
        uint8_t b = (uint8_t)USART1_DATAR, next = (uint8_t)((rx_head + 1u) & (RX_SIZE - 1u));
        if (next != rx_tail) {
            rx_buf[rx_head] = b;
            rx_head = next;
        }
    }
    if ((st & USART_TXE) && (USART1_CTLR1 & USART_TXEIE)) {
        uint8_t t = tx_tail;
        if (t == tx_head) {
            USART1_CTLR1 &= ~USART_TXEIE;
        } else {
            USART1_DATAR = tx_buf[t];
            tx_tail = (uint8_t)((t + 1u) & (TX_SIZE - 1u));
        }
    }
}

/* Button (line 0) or RX start bit (line 6): the pending flags only need clearing; the level is read later. */
void __attribute__((interrupt)) isr_exti7_0(void)
{
    EXTI_INTFR = (1u << BUTTON_INT) | (1u << UART_RX_BIT);
    woke_by_user = 1;
}

void __attribute__((interrupt)) isr_awu(void) { EXTI_INTFR = 1u << EXTI_LINE_AWU; }

/* In .noinit (the start-up code neither zeroes nor loads it), so it survives a watchdog or pin reset. */
#define ROLL_MARKER 0x524F4C4CUL /* "ROLL": 32 bits, so power-up garbage in RAM matches with p = 2^-32 */
static volatile uint32_t roll_marker __attribute__((section(".noinit")));

void hal_roll_marker(uint8_t in_progress) { roll_marker = in_progress ? ROLL_MARKER : 0; }

/* Not measured on this board: the CH32V003 runs at 48 MHz over its whole 2.7-5.5 V supply range (datasheet,
 * operating conditions), so no roll depends on the supply; the BOOT record then reports 0 mV. */
uint16_t hal_vcc_mv(void) { return 0; }
uint16_t hal_vcc_min_mv(void) { return 0; }

uint8_t hal_init(void)
{
    uint32_t r = RCC_RSTSCKR;
    uint8_t f = 0;

    if (roll_marker == ROLL_MARKER) f |= HAL_RESET_ROLL_INTERRUPTED;
    roll_marker = 0; /* reported once: a later reset while idle is not an interrupted roll */
    if (r & RCC_PORRSTF) f |= HAL_RESET_POWER;
    if (r & RCC_PINRSTF) f |= HAL_RESET_EXTERNAL;
    if (r & RCC_IWDGRSTF) f |= HAL_RESET_WATCHDOG;
    RCC_RSTSCKR = r | RCC_RMVF | RCC_LSION; /* clear the flags; the LSI clocks the AWU (and the IWDG) */

    RCC_APB2PCENR |= RCC_AFIOEN | RCC_IOPCEN | RCC_IOPDEN | RCC_ADC1EN | RCC_USART1EN;
    RCC_APB1PCENR |= RCC_I2C1EN | RCC_PWREN;

    /* Pins (default mappings of I2C1 and USART1, so AFIO PCFR1 stays at reset). Button: pull-up, active low. */
    GPIO_CFGLR(GPIOC_BASE) = (GPIO_CFGLR(GPIOC_BASE) & ~(PIN_MASK(BUTTON_BIT) | PIN_MASK(I2C_SDA_BIT) |
                              PIN_MASK(I2C_SCL_BIT))) | PIN_CFG(BUTTON_BIT, GPIO_IN_PULL) |
                             PIN_CFG(I2C_SDA_BIT, GPIO_AF_OD_10M) | PIN_CFG(I2C_SCL_BIT, GPIO_AF_OD_10M);
    GPIO_BSHR(GPIOC_BASE) = 1u << BUTTON_BIT;
    GPIO_CFGLR(GPIOD_BASE) = (GPIO_CFGLR(GPIOD_BASE) & ~(PIN_MASK(UART_TX_BIT) | PIN_MASK(UART_RX_BIT))) |
                             PIN_CFG(UART_TX_BIT, GPIO_AF_PP_10M) | PIN_CFG(UART_RX_BIT, GPIO_IN_FLOAT);

    /* Button on EXTI0 (port C), both edges: wakes the idle sleep at once and the standby. */
    AFIO_EXTICR = (AFIO_EXTICR & ~(3u << (2u * BUTTON_INT))) | ((uint32_t)BUTTON_GPIO_INDEX << (2u * BUTTON_INT));
    EXTI_RTENR |= 1u << BUTTON_INT;
    EXTI_FTENR |= 1u << BUTTON_INT;
    EXTI_INTENR |= 1u << BUTTON_INT;

    USART1_BRR = (F_CPU + UART_BAUD / 2u) / UART_BAUD; /* 48 MHz / 115200 = 416.7 -> 417: +0.08 % */
    USART1_CTLR1 = USART_UE | USART_TE | USART_RE | USART_RXNEIE;

    I2C1_CTLR2 = F_CPU / 1000000u;                /* APB clock in MHz */
    I2C1_CKCFGR = I2C_FS | (F_CPU / (3u * I2C_HZ)); /* fast mode, Tlow = 2 Thigh: 48 MHz / (3 * 40) = 400 kHz */
    I2C1_CTLR1 = I2C_PE;

    STK_CMP = TICK_CYCLES;
    STK_CNT = 0;
    STK_CTLR = STK_STE | STK_STIE | STK_STCLK_HCLK; /* free running: no auto-reload, CNT is hal_cycles() */

    PFIC_IENR(IRQ_SYSTICK) = 1u << (IRQ_SYSTICK & 31u);
    PFIC_IENR(IRQ_EXTI7_0) = 1u << (IRQ_EXTI7_0 & 31u);
    PFIC_IENR(IRQ_AWU) = 1u << (IRQ_AWU & 31u);
    PFIC_IENR(IRQ_USART1) = 1u << (IRQ_USART1 & 31u);
    irq_on();
    return f;
}

uint32_t hal_cycles(void) { return STK_CNT; }

static uint16_t adc_noise(void)
{
    uint32_t n = 0;

    /* The internal reference (~1.2 V) against VDD: its LSBs are thermal and supply noise. */
    ADC_CTLR2 = ADC_ADON | ADC_EXTTRIG | ADC_EXTSEL_SW;
    ADC_RSQR3 = ADC_CH_VREF;
    ADC_SAMPTR2 = 0; /* 3 ADC cycles: the shortest sample, the most noise */
    ADC_CTLR2 |= ADC_SWSTART;
    while (!(ADC_STATR & ADC_EOC) && ++n < 100000u) {
    }
    return (uint16_t)ADC_RDATAR; /* reading RDATAR clears EOC */
}

static uint32_t rotl3(uint32_t x) { return (x << 3) | (x >> 29); }

/* Two independent RC oscillators: the AWU counts the 128 kHz LSI, SysTick the 24 MHz HSI (x 2). Each short AWU
 * period (63 LSI ticks, ~0.5 ms) measured in HSI cycles carries both oscillators' jitter in its low bits. */
uint32_t hal_entropy_boot(void)
{
    uint32_t e = hal_cycles(), last, t0;
    uint8_t i;

    for (t0 = hal_cycles(); !(RCC_RSTSCKR & RCC_LSIRDY) && hal_cycles() - t0 < F_CPU / 100u;) {
    }
    irq_off(); /* poll the AWU flag here; its interrupt is for the standby */
    EXTI_FTENR |= 1u << EXTI_LINE_AWU;
    EXTI_INTENR |= 1u << EXTI_LINE_AWU;
    PWR_AWUPSC = 0;   /* LSI undivided */
    PWR_AWUWR = 63u;
    PWR_AWUCSR = PWR_AWUEN;
    EXTI_INTFR = 1u << EXTI_LINE_AWU;
    last = hal_cycles();
    for (i = 0; i < 8; i++) {
        /* Bounded (2 ms): an AWU that never fires must not stop the boot. */
        for (t0 = hal_cycles(); !(EXTI_INTFR & (1u << EXTI_LINE_AWU)) && hal_cycles() - t0 < F_CPU / 500u;) {
        }
        EXTI_INTFR = 1u << EXTI_LINE_AWU;
        e = rotl3(e) ^ (hal_cycles() - last);
        last = hal_cycles();
    }
    PWR_AWUCSR = 0;
    irq_on();
    for (i = 0; i < 8; i++)
        e = rotl3(e) ^ adc_noise();
    return e;
}

uint32_t hal_entropy_now(void) { return hal_cycles() ^ ((uint32_t)adc_noise() << 20); }

uint8_t hal_button_down(void) { return (GPIO_INDR(GPIOC_BASE) & (1u << BUTTON_BIT)) == 0; }

void hal_uart_write(uint8_t byte)
{
    uint8_t next = (uint8_t)((tx_head + 1u) & (TX_SIZE - 1u));

    while (next == tx_tail) {
    }
    tx_buf[tx_head] = byte;
    irq_off();
    tx_head = next;
    USART1_CTLR1 |= USART_TXEIE;
    irq_on();
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
    uint32_t n = 0;

    while (tx_head != tx_tail) {
    }
    while (!(USART1_STATR & USART_TC) && ++n < 100000u) { /* the last stop bit: 87 us */
    }
}

/* Wait for any of `flags` in STAR1; 0 on a NACK (AF) or a timeout, which also resets the peripheral. */
static uint8_t i2c_wait(uint32_t flags)
{
    uint32_t n = 0, s;

    while (!((s = I2C1_STAR1) & (flags | I2C_AF | I2C_BERR | I2C_ARLO)))
        if (++n == I2C_SPIN) {
            RCC_APB1PRSTR |= RCC_I2C1RST; /* stuck bus: reset I2C1 and set it up again */
            RCC_APB1PRSTR &= ~RCC_I2C1RST;
            I2C1_CTLR2 = F_CPU / 1000000u;
            I2C1_CKCFGR = I2C_FS | (F_CPU / (3u * I2C_HZ));
            I2C1_CTLR1 = I2C_PE;
            return 0;
        }
    if (s & (I2C_AF | I2C_BERR | I2C_ARLO)) {
        I2C1_STAR1 = 0; /* the error flags clear by writing 0 */
        return 0;
    }
    return 1;
}

uint8_t hal_i2c_start(uint8_t addr7)
{
    I2C1_CTLR1 |= I2C_START;
    if (!i2c_wait(I2C_SB))
        return 0;
    I2C1_DATAR = (uint32_t)addr7 << 1; /* reading STAR1 then writing DATAR clears SB */
    if (!i2c_wait(I2C_ADDR))
        return 0;
    (void)I2C1_STAR2; /* reading STAR1 then STAR2 clears ADDR */
    return 1;
}

uint8_t hal_i2c_write(uint8_t byte)
{
    I2C1_DATAR = byte;
    return i2c_wait(I2C_BTF); /* the whole byte out and ACKed */
}

void hal_i2c_stop(void)
{
    uint32_t n = 0;

    I2C1_CTLR1 |= I2C_STOP;
    while ((I2C1_STAR2 & I2C_BUSY) && ++n < I2C_SPIN) {
    }
}

/* The IWDG runs from the first arm on (it cannot be stopped): disarmed means kicked by the 10 ms tick and, in
 * standby, by an AWU wake-up every 0.96 s. */
void hal_wdt_arm(void)
{
    if (!wdt_running) {
        IWDG_CTLR = IWDG_KEY_UNLOCK;
        IWDG_PSCR = 5u; /* LSI / 128 */
        IWDG_RLDR = IWDG_RELOAD;
        IWDG_CTLR = IWDG_KEY_START;
        wdt_running = 1;
    }
    IWDG_CTLR = IWDG_KEY_RELOAD;
    wdt_idle = 0;
}

void hal_wdt_kick(void) { IWDG_CTLR = IWDG_KEY_RELOAD; }

void hal_wdt_disarm(void)
{
    IWDG_CTLR = IWDG_KEY_RELOAD;
    wdt_idle = 1;
}

void hal_sleep(uint8_t deep)
{
    irq_off();
    if (rx_head != rx_tail) { /* a command arrived after the caller looked */
        irq_on();
        return;
    }
    if (!deep) {
        __asm__ volatile("wfi"); /* any enabled interrupt ends it, even with MIE off; then it is taken */
        irq_on();
        return;
    }
    /* Standby: the button, or a falling edge on RX (the byte whose start bit woke us is lost). */
    AFIO_EXTICR = (AFIO_EXTICR & ~(3u << (2u * UART_RX_BIT))) | ((uint32_t)UART_RX_GPIO_INDEX << (2u * UART_RX_BIT));
    EXTI_FTENR |= 1u << UART_RX_BIT;
    EXTI_INTENR |= 1u << UART_RX_BIT;
    if (wdt_running) {
        PWR_AWUPSC = PWR_AWUPSC_DIV10240;
        PWR_AWUWR = AWU_WINDOW_KICK;
        PWR_AWUCSR = PWR_AWUEN;
    }
    STK_CTLR &= ~STK_STIE;
    PWR_CTLR |= PWR_PDDS;
    PFIC_SCTLR |= PFIC_SLEEPDEEP;
    woke_by_user = 0;
    do {
        IWDG_CTLR = IWDG_KEY_RELOAD;
        irq_off();
        __asm__ volatile("wfi");
        irq_on(); /* the waking interrupt runs here: the EXTI handler sets woke_by_user */
    } while (!woke_by_user && rx_head == rx_tail);
    PFIC_SCTLR &= ~PFIC_SLEEPDEEP;
    PWR_AWUCSR = 0;
    EXTI_INTENR &= ~(1u << UART_RX_BIT);
    clock_init_48mhz();
    STK_CMP = STK_CNT + TICK_CYCLES;
    STK_CTLR |= STK_STIE;
}
