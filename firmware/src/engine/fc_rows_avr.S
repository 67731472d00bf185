/* The AVR kernels of dot.h for the first and the last level: gd_fc (the FC, one pixel of its 4x4 view) and the
 * output's partial-sum rows (gd_psum_fill, gd_psum_rq). The portable loops are in engine.c (the FC) and
 * output.c (the rows). */
#if defined(__AVR__) && !defined(GD_PORTABLE_KERNEL)
#include "engine/dot_avr.h"

    .text

/* gd_psum_fill (dot.h): n 3-byte sums at p set to the record's bias. avr-gcc ABI: p r25:r24, rec r23:r22, n r20. */
    .global gd_psum_fill
    .type gd_psum_fill, @function
gd_psum_fill:
    movw r30, r22
    lpm r18, Z+
    lpm r19, Z+
    lpm r21, Z
    movw r26, r24
1:  st X+, r18
    st X+, r19
    st X+, r21
    dec r20
    brne 1b
    ret
    .size gd_psum_fill, .-gd_psum_fill

/* gd_psum_rq (dot.h): n sums at row requantised in place, X reading 3 bytes ahead of Z writing one.
 * avr-gcc ABI: row r25:r24, rec r23:r22, n r20. */
    .global gd_psum_rq
    .type gd_psum_rq, @function
gd_psum_rq:
    movw r30, r22
    adiw r30, 3
    lpm r18, Z+             ; q
    lpm r19, Z              ; m
    movw r26, r24
    movw r30, r24
.Lrq:
    ld r21, X+
    ld r22, X+
    ld r23, X+
    clr r25
    sbrc r23, 7
    rjmp 6f                 ; v < 0: 0
    RQ3 r21, r22, r23
6:  st Z+, r25
    dec r20
    brne .Lrq
    clr r1
    ret
    .size gd_psum_rq, .-gd_psum_rq


/* gd_fc (dot.h): ch outputs of the FC for one pixel of its 4x4 view, requantised by requant.h's rq: out[c] =
 * rq(table entry (nb bytes, sign-extended) + sum_k w[k] * cond[k], shift), the entry, weights and shift of output c
 * being 16 entries after those of output c - 1. avr-gcc ABI: out r25:r24, cond r23:r22, tab r21:r20, w r19:r18,
 * sh r17:r16, ch r14, dim r12, nb r10. Accumulator r5:r4:r3:r2 (int32), tab r7:r6, w r9:r8, sh r11:r10, ch r12,
 * dim r13, nb r14, zero r15, Y out, X cond, Z flash. */
    .global gd_fc
    .type gd_fc, @function
gd_fc:
    SAVE
    push r16
    mov r15, r10
    mov r13, r12            ; dim
    mov r12, r14            ; ch
    mov r14, r15            ; nb
    clr r15
    movw r10, r16           ; sh
    movw r8, r18            ; w
    movw r6, r20            ; tab
    movw r28, r24           ; Y = out
.Lfc:
    movw r30, r6            ; the table entry, sign-extended from its last byte
    mov r21, r14
    lpm r2, Z+
    clr r3
    sbrc r2, 7
    com r3
    mov r4, r3
    mov r5, r3
    cpi r21, 2
    brlo .Lfcmac
    lpm r3, Z+
    clr r4
    sbrc r3, 7
    com r4
    mov r5, r4
    cpi r21, 3
    brlo .Lfcmac
    lpm r4, Z+
    clr r5
    sbrc r4, 7
    com r5
    cpi r21, 4
    brlo .Lfcmac
    lpm r5, Z
.Lfcmac:
    movw r26, r22           ; X = cond (offset binary, unsigned)
    movw r30, r8            ; Z = the output's weights (int8)
    mov r18, r13
    tst r18
    breq .Lfcrq
1:  lpm r16, Z+
    ld r17, X+
    mulsu r16, r17          ; w * cond: int16
    clr r19
    sbrc r1, 7
    com r19
    add r2, r0
    adc r3, r1
    adc r4, r19
    adc r5, r19
    dec r18
    brne 1b
.Lfcrq:                     ; rq(acc, s) -> r24
    movw r30, r10
    lpm r20, Z              ; s
    clr r24
    sbrc r5, 7
    rjmp .Lfcout            ; acc < 0: 0
    tst r20
    breq .Lfcleft
    brmi .Lfcleft
    dec r20                 ; t = s - 1: ((acc >> t) + 1) >> 1, whole bytes first
    cpi r20, 16
    brlo 2f
    movw r2, r4
    clr r4
    clr r5
    subi r20, 16
2:  cpi r20, 8
    brlo 3f
    mov r2, r3
    mov r3, r4
    mov r4, r5
    clr r5
    subi r20, 8
3:  mov r21, r4
    or r21, r5
    brne .Lfcsat            ; acc >> t >= 2^16 with t <= 7: saturated
    movw r24, r2
    tst r20
    breq 5f
4:  lsr r25
    ror r24
    dec r20
    brne 4b
5:  adiw r24, 1
    brcs .Lfcsat
    lsr r25
    ror r24
    tst r25
    breq .Lfcout
.Lfcsat:
    ldi r24, 255
    rjmp .Lfcout
.Lfcleft:                   ; s <= 0, t = -s: acc = 0 gives 0; t >= 8 or acc > 255 >> t saturates, else acc << t
    mov r21, r2
    or r21, r3
    or r21, r4
    or r21, r5
    breq .Lfcout
    neg r20
    cpi r20, 8
    brsh .Lfcsat
    mov r21, r3
    or r21, r4
    or r21, r5
    brne .Lfcsat
    ldi r25, 255
    mov r21, r20
    tst r21
    breq 7f
6:  lsr r25
    dec r21
    brne 6b
7:  cp r25, r2
    brlo .Lfcsat
    mov r24, r2
    tst r20
    breq .Lfcout
8:  lsl r24
    dec r20
    brne 8b
.Lfcout:
    st Y+, r24
    ldi r21, 16
    mul r14, r21
    add r6, r0
    adc r7, r1              ; tab += 16 nb
    mul r13, r21
    add r8, r0
    adc r9, r1              ; w += 16 dim
    add r10, r21
    adc r11, r15            ; sh += 16
    dec r12
    breq .Lfcdone
    rjmp .Lfc
.Lfcdone:
    pop r16
    RESTORE
    clr r1
    ret
    .size gd_fc, .-gd_fc

#endif
