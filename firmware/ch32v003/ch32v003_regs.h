/* CH32V003 registers used by GenDie, and only those: addresses and bits from the CH32V003 reference manual
 * (CH32V003RM, chapters RCC, PWR, GPIO/AFIO, EXTI, ADC, I2C, USART, IWDG, FLASH) and the QingKe V2A core manual
 * (PFIC, SysTick). Written here, not taken from the vendor SDK. */
#ifndef GENDIE_CH32V003_REGS_H
#define GENDIE_CH32V003_REGS_H

#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(a))

/* RCC, 0x4002_1000 */
#define RCC_CTLR       REG32(0x40021000u)
#define RCC_HSION      (1u << 0)
#define RCC_HSIRDY     (1u << 1)
#define RCC_PLLON      (1u << 24)
#define RCC_PLLRDY     (1u << 25)
#define RCC_CFGR0      REG32(0x40021004u)
#define RCC_SW_MASK    (3u << 0)
#define RCC_SW_PLL     (2u << 0)
#define RCC_SWS_MASK   (3u << 2)
#define RCC_SWS_PLL    (2u << 2)
#define RCC_HPRE_MASK  (15u << 4)   /* AHB prescaler; 0000 = HCLK is SYSCLK (the reset value divides) */
#define RCC_PLLSRC_HSE (1u << 16)   /* 0 = HSI; the PLL multiplies by 2, fixed */
#define RCC_APB2PCENR  REG32(0x40021018u)
#define RCC_AFIOEN     (1u << 0)
#define RCC_IOPCEN     (1u << 4)
#define RCC_IOPDEN     (1u << 5)
#define RCC_ADC1EN     (1u << 9)
#define RCC_USART1EN   (1u << 14)
#define RCC_APB1PCENR  REG32(0x4002101Cu)
#define RCC_I2C1EN     (1u << 21)
#define RCC_PWREN      (1u << 28)
#define RCC_APB1PRSTR  REG32(0x40021010u)
#define RCC_I2C1RST    (1u << 21)
#define RCC_RSTSCKR    REG32(0x40021024u)
#define RCC_LSION      (1u << 0)
#define RCC_LSIRDY     (1u << 1)
#define RCC_RMVF       (1u << 24)
#define RCC_PINRSTF    (1u << 26)
#define RCC_PORRSTF    (1u << 27)
#define RCC_IWDGRSTF   (1u << 29)

/* FLASH interface, 0x4002_2000: one wait state for 24 MHz < HCLK <= 48 MHz */
#define FLASH_ACTLR    REG32(0x40022000u)
#define FLASH_LATENCY_MASK 3u
#define FLASH_LATENCY_1 1u

/* GPIO: 4 configuration bits per pin in CFGLR (MODE[1:0], CNF[1:0]) */
#define GPIOC_BASE     0x40011000u
#define GPIOD_BASE     0x40011400u
#define GPIO_CFGLR(b)  REG32((b) + 0x00u)
#define GPIO_INDR(b)   REG32((b) + 0x08u)
#define GPIO_OUTDR(b)  REG32((b) + 0x0Cu)
#define GPIO_BSHR(b)   REG32((b) + 0x10u)
#define GPIO_IN_PULL   0x8u  /* input, pull-up/down chosen by OUTDR */
#define GPIO_IN_FLOAT  0x4u
#define GPIO_AF_PP_10M 0x9u  /* alternate function push-pull, 10 MHz */
#define GPIO_AF_OD_10M 0xDu  /* alternate function open-drain, 10 MHz (I2C) */
#define GPIO_BASE_OF(index) (0x40010800u + 0x400u * (uint32_t)(index)) /* index = port letter - 'A' */

/* AFIO, 0x4001_0000: EXTICR, 2 bits per line (00 PA, 10 PC, 11 PD) */
#define AFIO_EXTICR    REG32(0x40010008u)

/* EXTI, 0x4001_0400 */
#define EXTI_INTENR    REG32(0x40010400u)
#define EXTI_EVENR     REG32(0x40010404u)
#define EXTI_RTENR     REG32(0x40010408u)
#define EXTI_FTENR     REG32(0x4001040Cu)
#define EXTI_INTFR     REG32(0x40010414u)
#define EXTI_LINE_AWU  9u  /* the auto-wakeup unit's event line */

/* PWR, 0x4000_7000 */
#define PWR_CTLR       REG32(0x40007000u)
#define PWR_PDDS       (1u << 1)  /* deep sleep = standby */
#define PWR_AWUCSR     REG32(0x40007008u)
#define PWR_AWUEN      (1u << 1)
#define PWR_AWUWR      REG32(0x4000700Cu)  /* 6-bit window */
#define PWR_AWUPSC     REG32(0x40007010u)  /* 4-bit prescaler code */
#define PWR_AWUPSC_DIV10240 14u

/* ADC1, 0x4001_2400: single conversions of the internal reference (channel 8) */
#define ADC_STATR      REG32(0x40012400u)
#define ADC_EOC        (1u << 1)
#define ADC_CTLR2      REG32(0x40012408u)
#define ADC_ADON       (1u << 0)
#define ADC_EXTTRIG    (1u << 20)
#define ADC_EXTSEL_SW  (7u << 17)
#define ADC_SWSTART    (1u << 22)
#define ADC_SAMPTR2    REG32(0x40012410u)
#define ADC_RSQR3      REG32(0x40012434u)
#define ADC_RDATAR     REG32(0x4001244Cu)
#define ADC_CH_VREF    8u

/* I2C1, 0x4000_5400 */
#define I2C1_CTLR1     REG32(0x40005400u)
#define I2C_PE         (1u << 0)
#define I2C_START      (1u << 8)
#define I2C_STOP       (1u << 9)
#define I2C1_CTLR2     REG32(0x40005404u)  /* FREQ[5:0] = APB clock in MHz */
#define I2C1_DATAR     REG32(0x40005410u)
#define I2C1_STAR1     REG32(0x40005414u)
#define I2C_SB         (1u << 0)
#define I2C_ADDR       (1u << 1)
#define I2C_BTF        (1u << 2)
#define I2C_TXE        (1u << 7)
#define I2C_BERR       (1u << 8)
#define I2C_ARLO       (1u << 9)
#define I2C_AF         (1u << 10)
#define I2C1_STAR2     REG32(0x40005418u)
#define I2C_BUSY       (1u << 1)
#define I2C1_CKCFGR    REG32(0x4000541Cu)
#define I2C_FS         (1u << 15)  /* fast mode; DUTY = 0: Tlow = 2 Thigh = 2 CCR / PCLK */

/* USART1, 0x4001_3800 */
#define USART1_STATR   REG32(0x40013800u)
#define USART_RXNE     (1u << 5)
#define USART_TC       (1u << 6)
#define USART_TXE      (1u << 7)
#define USART1_DATAR   REG32(0x40013804u)
#define USART1_BRR     REG32(0x40013808u)
#define USART1_CTLR1   REG32(0x4001380Cu)
#define USART_RE       (1u << 2)
#define USART_TE       (1u << 3)
#define USART_RXNEIE   (1u << 5)
#define USART_TXEIE    (1u << 7)
#define USART_UE       (1u << 13)

/* IWDG, 0x4000_3000, clocked by the 128 kHz LSI; once started it cannot be stopped */
#define IWDG_CTLR      REG32(0x40003000u)
#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_UNLOCK 0x5555u
#define IWDG_KEY_START  0xCCCCu
#define IWDG_PSCR      REG32(0x40003004u)
#define IWDG_RLDR      REG32(0x40003008u)
#define IWDG_STATR     REG32(0x4000300Cu)

/* PFIC (QingKe V2A interrupt controller), 0xE000_E000 */
#define PFIC_IENR(n)   REG32(0xE000E100u + 4u * ((n) >> 5))  /* write 1: enable interrupt n */
#define PFIC_SCTLR     REG32(0xE000ED10u)
#define PFIC_SLEEPDEEP (1u << 2)
#define IRQ_SYSTICK    12u
#define IRQ_EXTI7_0    20u
#define IRQ_AWU        21u
#define IRQ_USART1     32u

/* SysTick (QingKe V2A): 32-bit up-counter with compare, 0xE000_F000 */
#define STK_CTLR       REG32(0xE000F000u)
#define STK_STE        (1u << 0)
#define STK_STIE       (1u << 1)
#define STK_STCLK_HCLK (1u << 2)  /* count HCLK, not HCLK / 8 */
#define STK_STRE       (1u << 3)  /* reload to 0 on compare match */
#define STK_SR         REG32(0xE000F004u)
#define STK_CNT        REG32(0xE000F008u)
#define STK_CMP        REG32(0xE000F010u)

#endif
