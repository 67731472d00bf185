/* gd_dot4 (dot.h) for RV32EC (CH32V003: no multiply instruction), 4 output channels per pass.
 *
 * Every product is a quarter-square difference, a * w = Q(a + w) - Q(a - w) with Q(n) = floor(n^2 / 4) (exact for
 * integers: a + w and a - w have the same parity), read from gd_qsq (mul8_qsq.c: gd_qsq[n + 128], n = -128..383).
 * The weights are stored offset binary, wb = w + 128, so with p1 = gd_qsq + 2a the two halfwords are at
 *   p1 + 2 wb                 (index a + wb       = (a + w) + 128)
 *   p1 - 2 wb + 512           (index a - wb + 256 = (a - w) + 128)
 * and per activation s = 2 p1 turns the second address into (s - u) + 512 with u = p1 + 2 wb, the first one.
 * Timing (QingKe V2A, 16-bit instruction 1 cycle, 32-bit or load 2): per product lbu 2, c.slli 1, c.add 1, lhu 2,
 * c.add 1, sub 2, lhu 2, c.sub 1 = 12; per activation 7 + the loop's 6; a zero activation (ReLU) skips its 4
 * products. The sums are exact in 32 bits (every true partial sum fits 24, docs/integer-contract.md).
 *
 * ilp32e: acc a0, base a1, taps a2, n a3, cin a4, w a5, stride 0(sp) (uint16), groups 4(sp) (uint8); s0, s1, ra
 * saved. Inner loop registers: sums a2-a5, activation pointer t0 (end ra), weight pointer t1, gd_qsq t2, p1 a1,
 * s s0, u s1, the table value a0 (c.add / c.sub need x8-x15). The group's state waits on the stack. */
#if defined(__riscv) && defined(GD_RV32_ASM) && !defined(GD_PORTABLE_KERNEL) /* see dot.h */

/* One product into sum \acc: the weight byte at \off(t1), with p1 in a1 and s in s0 (12 cycles) */
    .macro prod off, acc
    lbu s1, \off(t1)
    slli s1, s1, 1
    add s1, s1, a1        /* u = p1 + 2 wb */
    lhu a0, 0(s1)         /* Q(a + w) */
    add \acc, \acc, a0
    sub a0, s0, s1
    lhu a0, 512(a0)       /* Q(a - w) */
    sub \acc, \acc, a0
    .endm

    .section .text.gd_dot4, "ax", @progbits
    .global gd_dot4
    .type gd_dot4, @function
gd_dot4:
    addi sp, sp, -48
    sw ra, 32(sp)
    sw s0, 36(sp)
    sw s1, 40(sp)
    sw a0, 0(sp)          /* 0: acc (advances 16 bytes per group) */
    sw a1, 4(sp)          /* 4: base */
    sw a2, 8(sp)          /* 8: taps */
    slli a3, a3, 1
    add a3, a3, a2
    sw a3, 12(sp)         /* 12: taps end */
    sw a4, 16(sp)         /* 16: cin */
    sw a5, 20(sp)         /* 20: this group's weights */
    lhu t0, 48(sp)
    sw t0, 24(sp)         /* 24: stride */
    lbu t0, 52(sp)
    sw t0, 28(sp)         /* 28: groups left */
    beqz t0, .Ldone
    la t2, gd_qsq

.Lgroup:
    li a2, 0
    li a3, 0
    li a4, 0
    li a5, 0
    lw a0, 8(sp)
    sw a0, 44(sp)         /* 44: next tap */

.Ltap:
    lw a0, 44(sp)
    lw a1, 12(sp)
    beq a0, a1, .Lstore
    lbu s0, 0(a0)         /* input pixel index */
    lbu s1, 1(a0)         /* kernel tap */
    addi a0, a0, 2
    sw a0, 44(sp)
    lw a1, 16(sp)
    li t0, 0
    li t1, 0
.Lmul:                    /* t0 = pixel * cin, t1 = tap * cin: over cin's bits (cin = 8: 4 turns) */
    andi a0, a1, 1
    beqz a0, 1f
    add t0, t0, s0
    add t1, t1, s1
1:  slli s0, s0, 1
    slli s1, s1, 1
    srli a1, a1, 1
    bnez a1, .Lmul
    lw a1, 16(sp)
    beqz a1, .Ltap
    lw a0, 4(sp)
    add t0, t0, a0        /* activations: base + pixel * cin */
    add ra, t0, a1        /* ... their end */
    slli t1, t1, 2
    lw a0, 20(sp)
    add t1, t1, a0        /* weights: w + tap * cin * 4 */

.Lchannel:
    lbu a1, 0(t0)
    addi t0, t0, 1
    beqz a1, .Lnext       /* a = 0: its 4 products are 0 */
    slli a1, a1, 1
    add a1, a1, t2        /* p1 = gd_qsq + 2a */
    mv s0, a1
    slli s0, s0, 1        /* s = 2 p1 */

    prod 0, a2
    prod 1, a3
    prod 2, a4
    prod 3, a5

.Lnext:
    addi t1, t1, 4
    bne t0, ra, .Lchannel
    j .Ltap

.Lstore:
    lw a0, 0(sp)
    sw a2, 0(a0)
    sw a3, 4(a0)
    sw a4, 8(a0)
    sw a5, 12(a0)
    addi a0, a0, 16
    sw a0, 0(sp)
    lw a0, 20(sp)
    lw a1, 24(sp)
    add a0, a0, a1
    sw a0, 20(sp)
    lw a0, 28(sp)
    addi a0, a0, -1
    sw a0, 28(sp)
    bnez a0, .Lgroup

.Ldone:
    lw ra, 32(sp)
    lw s0, 36(sp)
    lw s1, 40(sp)
    addi sp, sp, 48
    ret
    .size gd_dot4, . - gd_dot4

#endif
