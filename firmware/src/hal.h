/* GenDie board HAL: the only interface between the portable firmware and a board.
 * One implementation per board (hal_avr.c for the ATmega328P, hal_ch32v003.c for the CH32V003); no MCU registers
 * outside them. */
#ifndef GENDIE_HAL_H
#define GENDIE_HAL_H

#include <stdint.h>

#ifndef F_CPU
#error "F_CPU must be defined by the build (e.g. -DF_CPU=16000000UL)"
#endif
#define HAL_CYCLES_PER_MS ((uint32_t)(F_CPU / 1000UL))

/* Why the MCU last reset: bit flags, several may be set. */
#define HAL_RESET_POWER    0x01u
#define HAL_RESET_EXTERNAL 0x02u
#define HAL_RESET_BROWNOUT 0x04u
#define HAL_RESET_WATCHDOG 0x08u
#define HAL_RESET_ROLL_INTERRUPTED 0x10u /* hal_roll_marker(1) was the last call before the reset */

/* Clocks, UART (interrupt driven, pull-up on RX), button, I2C (internal pull-ups, a bus held by a slave
 * recovered), watchdog off; returns HAL_RESET_* flags (a bootloader may have cleared the MCU's own). */
uint8_t hal_init(void);

/* Mark a roll as in progress (1) or done (0) in RAM that survives every reset but a power loss. */
void hal_roll_marker(uint8_t in_progress);

/* Supply voltage in mV, measured against the chip's internal reference; 0 if the board cannot measure it. */
uint16_t hal_vcc_mv(void);
/* Lowest supply in mV at which the chip is inside its speed grade at F_CPU; 0 if any supply it runs on is. */
uint16_t hal_vcc_min_mv(void);

/* Free-running CPU cycle counter (wraps after ~268 s at 16 MHz); it does not run during deep sleep. */
uint32_t hal_cycles(void);

/* Slow, boot-time entropy from clock jitter (watchdog RC oscillator vs crystal) and ADC noise LSBs. */
uint32_t hal_entropy_boot(void);
/* Cheap entropy sample for a user event: the cycle counter and an ADC noise reading. */
uint32_t hal_entropy_now(void);

/* Raw (not debounced) button level: 1 while pressed. */
uint8_t hal_button_down(void);

/* UART: buffered, non-blocking unless the transmit buffer is full. hal_uart_write is also the
 * byte sink of frame_tx.c. hal_uart_read returns -1 when nothing was received. */
void hal_uart_write(uint8_t byte);
int16_t hal_uart_read(void);
void hal_uart_flush(void);

/* I2C master; every wait has a timeout, so a missing or stuck display can never hang a roll.
 * start/write return 1 if the byte was ACKed. */
uint8_t hal_i2c_start(uint8_t addr7);
uint8_t hal_i2c_write(uint8_t byte);
void hal_i2c_stop(void);

/* Watchdog in reset mode (~2 s) around a roll; kick it as work progresses. */
void hal_wdt_arm(void);
void hal_wdt_kick(void);
void hal_wdt_disarm(void);

/* Sleep until something happens (button edge, received byte, timer tick). deep = 1 stops the
 * clocks and the brown-out detector (lowest power): only the button or a received start bit (whose byte
 * is lost) wakes it. */
void hal_sleep(uint8_t deep);

#endif
