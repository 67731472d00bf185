/* Assembler macros of the AVR kernels (dot_avr.S: gd_run; fc_rows_avr.S: gd_fc, gd_psum_fill, gd_psum_rq), included
 * by them only. The registers they use are described at each; dot_avr.S's head explains the arithmetic. */
#ifndef GENDIE_DOT_AVR_H
#define GENDIE_DOT_AVR_H
#ifdef __ASSEMBLER__

/* One product into a 3-byte sum: the next weight (w + 128, flash) times the activation r24, unsigned (MUL, 2
 * cycles); r17 zero */
.macro MAC a, b, c
    lpm r0, Z+
    mul r24, r0
    add \a, r0
    adc \b, r1
    adc \c, r17
.endm

/* One tap's channels into the 4 sums: X activations, Z weights, r25 = cin >= 1, r24 scratch, r17 zero */
.macro CHANNELS
.Lch\@:
    ld r24, X+
    tst r24
    breq .Lz\@
    add r20, r24
    adc r21, r17
    MAC r2, r3, r4          ; output 0
    MAC r5, r6, r7          ; output 1
    MAC r8, r9, r10         ; output 2
    MAC r11, r12, r13       ; output 3
    dec r25
    brne .Lch\@
    rjmp .Lchd\@
.Lz\@:
    adiw r30, 4             ; skip the 4 weights of a zero activation
    dec r25
    brne .Lch\@
.Lchd\@:
.endm

/* The callee-saved registers the kernels use (avr-gcc ABI), and 12 sums + sum(a) cleared */
.macro SAVE
    push r2
    push r3
    push r4
    push r5
    push r6
    push r7
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    push r17
    push r28
    push r29
.endm
.macro RESTORE
    pop r29
    pop r28
    pop r17
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop r7
    pop r6
    pop r5
    pop r4
    pop r3
    pop r2
.endm
.macro CLEAR
    clr r20
    clr r21
    clr r2
    clr r3
    clr r4
    clr r5
    clr r6
    clr r7
    clr r8
    clr r9
    clr r10
    clr r11
    clr r12
    clr r13
.endm

/* 128 * sum(a) as 24 bits in r21:r20:r24 */
.macro CORRECTION
    clr r24
    lsr r21
    ror r20
    ror r24
.endm

/* X = base + (the input pixel index at Y+) * cin */
.macro TAPX
    ld r24, Y+              ; input pixel index
    mul r24, r16
    movw r26, r0
    add r26, r22
    adc r27, r23            ; X = base + index * cin
.endm

/* The sums of one group of 4 outputs over the taps: on entry Y = taps, r18 = n >= 1, Z unused, sums r2-r13 and
 * sum(a) r21:r20 cleared; on exit the 4 unsigned 24-bit sums in r4:r3:r2, r7:r6:r5, r10:r9:r8, r13:r12:r11. */
.macro SUMS
.Ltap\@:
    TAPX
    ld r24, Y+              ; kernel tap ky * 3 + kx
    mul r24, r19
    movw r30, r0
    add r30, r14
    adc r31, r15            ; Z = w + tap * 4 * cin
    mov r25, r16            ; cin >= 1
    CHANNELS
    dec r18
    brne .Ltap\@
.endm

/* SUMS over a list of segments (gd_run's n has bit 7 set, dot.h): a segment's tap byte carries 16 x (pixels - 1)
 * more pixels whose taps follow in the kernel row (X and Z just run on): its channels are cin x pixels, one loop */
.macro SEGSUMS
.Lseg\@:
    TAPX
    ld r24, Y+              ; kernel tap ky * 3 + kx + 16 x (pixels - 1)
    mov r25, r24
    andi r24, 15
    mul r24, r19
    movw r30, r0
    add r30, r14
    adc r31, r15            ; Z = w + tap * 4 * cin
    swap r25
    andi r25, 3
    inc r25
    mul r25, r16
    mov r25, r0             ; cin x pixels <= 3 x 64
    CHANNELS
    dec r18
    brne .Lseg\@
.endm

/* engine/requant.h's rq3 of v = c:b:a >= 0 (bit 23 clear) with q in r18, m in r19 -> r25: q whole-byte moves, two MULs
 * by m for the last bits and the saturation test (q = 3: s <= 0, min(v * m, 255)). Clobbers a, b, c, r0, r1. */
.macro RQ3 a, b, c
    cpi r18, 1
    brlo 3f
    breq 2f
    cpi r18, 2
    brne 5f                 ; q = 3: s <= 0
    mov \a, \c              ; q = 2: two bytes down
    clr \b
    clr \c
    rjmp 3f
2:  mov \a, \b              ; q = 1: one byte down
    mov \b, \c
    clr \c
3:  mul \a, r19
    mov r25, r1             ; hi(a * m)
    mul \b, r19
    or r25, r0              ; | lo(b * m): the low byte of u >> r
    or r1, \c
    breq 4f                 ; hi(b * m) | c: saturated
    ldi r25, 255
    rjmp 4f
5:  mul \a, r19             ; s <= 0: min(v * m, 255)
    mov r25, r0
    or r1, \b
    or r1, \c
    breq 4f
    ldi r25, 255
4:
.endm

#endif
#endif
