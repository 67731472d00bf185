/* GenDie start-up for the CH32V003 (QingKe V2A core, RV32EC), written from the reference manual:
 * the vector table, then reset -> stack and global pointer, clocks (48 MHz), .data copy, .bss clear, main().
 *
 * Vector table: mtvec mode 3 (bit 0 vectored, bit 1 the table holds handler addresses, not jumps); entry 0 is
 * the reset jump, entry n is the handler of interrupt n. Only the handlers the firmware has are filled; the
 * rest point at an endless loop, so a stray interrupt ends in a watchdog reset instead of running garbage. */
    .section .vectors, "ax"
    .option norvc
    .globl _start
_start:
    j reset
    .word 0
    .word trap_unexpected           /* 2 NMI */
    .word trap_unexpected           /* 3 hard fault */
    .rept 8
    .word trap_unexpected           /* 4..11 reserved */
    .endr
    .word isr_systick               /* 12 SysTick */
    .word trap_unexpected           /* 13 */
    .word trap_unexpected           /* 14 software */
    .word trap_unexpected           /* 15 */
    .rept 4
    .word trap_unexpected           /* 16 WWDG, 17 PVD, 18 FLASH, 19 RCC */
    .endr
    .word isr_exti7_0               /* 20 EXTI lines 0..7: the button */
    .word isr_awu                   /* 21 AWU */
    .rept 10
    .word trap_unexpected           /* 22..28 DMA1, 29 ADC, 30/31 I2C1 event/error */
    .endr
    .word isr_usart1                /* 32 USART1 */
    .option rvc

    .section .text.startup.reset, "ax"
reset:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, _start
    ori t0, t0, 3
    csrw mtvec, t0
    csrwi 0x804, 0                  /* INTSYSCR: no hardware register stacking, no nesting (plain mret handlers) */
    call clock_init_48mhz           /* hal_ch32v003.c; C with the stack only (no .data yet) */

    la a0, __data_start             /* .data: copy the initial values from flash */
    la a1, __data_end
    la a2, __data_load
1:  bgeu a0, a1, 2f
    lw t0, 0(a2)
    sw t0, 0(a0)
    addi a0, a0, 4
    addi a2, a2, 4
    j 1b
2:  la a0, __bss_start              /* .bss: zero */
    la a1, __bss_end
3:  bgeu a0, a1, 4f
    sw zero, 0(a0)
    addi a0, a0, 4
    j 3b
4:  call main
trap_unexpected:
    j trap_unexpected
