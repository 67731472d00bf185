/* The AVR kernel of dot.h's gd_run: a run of a 3x3 layer's pixels, requantised (the pixel step), and on a streamed
 * level the output layer's partial sums (the scatter step). 4 output channels per pass, one activation load feeding
 * 4 multiplies. The FC and the output rows are in fc_rows_avr.S; the shared macros in dot_avr.h.
 *
 * Per non-zero activation: LD 2 + 4 x (LPM 3 + MUL 2 + 3-byte add 3) + its sum 2 + zero test and loop 5 = 41 cycles
 * for 4 MACs; a zero activation (ReLU) skips its 4 products in 10. Weights are offset binary (w + 128), so MUL is
 * unsigned and needs no sign extension; the 4 sums are corrected by 128 * sum(a) once per group. Everything is
 * added modulo 2^24 (3-byte registers), exact because every final value fits int24 (the exporter's accumulator
 * proof, export/emit.py's check_engine_limits). The C engine calls no gd_dot4 on the AVR: the portable one (dot.c)
 * serves the portable gd_run of the comparison build.
 *
 * Registers in a group: sums r2-r13 (3 bytes x 4), zero r17 (MUL overwrites r1, cleared on return), sum(a)
 * r21:r20, X activations, Y taps, Z weights, r24 activation, r25 channel count, r18 tap count, r19 = 4 * cin. */
#if defined(__AVR__) && !defined(GD_PORTABLE_KERNEL)
#include "engine/dot_avr.h"

    .text

/* The pixel step (gd_run, dot.h): the same sums, then per output in registers: minus 128 * sum(a), plus the
 * record's bias (the rounding folded in), all modulo 2^24 (the result fits int24: the exporter's proof), and
 * engine/requant.h's rq3: the sign bit gives 0, q whole-byte moves, two MULs by m for the last bits and the
 * saturation test. ~40 cycles per output instead of a 32-bit requantisation in C.
 * In (gd_run loads them from the run): out r25:r24, base r23:r22, taps r21:r20, n r18 (bit 7: segments), cin r16,
 * w r15:r14, stride r13:r12, cout r10, rq r9:r8; base, cin and r17 = 0 are kept. In the epilogue: Y out,
 * Z records, r27 outputs left, r24/r20/r21 128 * sum(a), r18 q, r19 m. */
.macro OUTPUT a, b, c
    sub \a, r24
    sbc \b, r20
    sbc \c, r21             ; the exact sum
    lpm r25, Z+
    add \a, r25
    lpm r25, Z+
    adc \b, r25
    lpm r25, Z+
    adc \c, r25             ; + bias + 2^(s-1): v
    sbrs \c, 7
    rjmp 1f
    clr r25                 ; v < 0: 0 (q and m not needed)
    adiw r30, 2
    rjmp 9f
1:  lpm r18, Z+             ; q
    lpm r19, Z+             ; m
    RQ3 \a, \b, \c
9:  st Y+, r25
    dec r27
    brne 8f
    rjmp .Lpfin             ; cout outputs written
8:
.endm

.Lpixel:
    clr r17                 ; a zero register of our own (MUL overwrites r1)
.Lpgroup:
    ldi r19, 5
    cp r10, r19
    brlo .Lplast            ; <= 4 outputs left: the last group, whose taps, n and stride are not needed again
    push r12
    push r13
    push r18
    push r20
    push r21
.Lplast:
    mov r19, r16
    lsl r19
    lsl r19                 ; 4 * cin: bytes of weights per tap
    push r8
    push r9
    push r10
    push r24
    push r25
    movw r28, r20           ; Y = taps
    CLEAR                   ; the sums and sum(a)
    sbrc r18, 7
    rjmp .Lpseg
    tst r18
    brne .Lptaps
    rjmp .Lpsums            ; no taps
.Lptaps:
    SUMS
    rjmp .Lpsums
.Lpseg:
    andi r18, 0x7F          ; a list of segments (n >= 1)
    SEGSUMS
.Lpsums:
    CORRECTION
    pop r29
    pop r28                 ; Y = out
    pop r27                 ; outputs left
    pop r31
    pop r30                 ; Z = records
    OUTPUT r2, r3, r4
    OUTPUT r5, r6, r7
    OUTPUT r8, r9, r10
    OUTPUT r11, r12, r13
    movw r8, r30            ; records, outputs left and out of the next group
    mov r10, r27
    movw r24, r28
    pop r21
    pop r20
    pop r18
    pop r13
    pop r12
    add r14, r12
    adc r15, r13            ; w of the next group
    rjmp .Lpgroup
.Lpfin:                     ; (reached in the last group only: nothing of it left on the stack)
    ret


/* The scatter step (gd_run, dot.h): one pixel e times the output kernel's 9 taps, each result added into its 3-byte
 * partial sum at dst[t] + the pixel's offset in the run (dst[t] = 0: off the face, skipped). Taps 0-3 and 4-7 run
 * as two groups of 4 "channels" (one activation load feeding 4 multiplies), tap 8 alone (channel 0 of the third
 * group; its 3 unused channels are never multiplied). The sum minus 128 * sum(a) modulo 2^24 is exactly what to
 * add, so no sign is needed. In: dst r25:r24, e r23:r22, w r21:r20, cin r18, offset r15:r14 (kept).
 * Y destinations, Z weights, X activations then each destination, r16 cin, r19 groups left. */
.macro ADDTO a, b, c
    ld r26, Y+
    ld r27, Y+              ; its partial sum at the run's first pixel (RAM is above 0x100: 0 only for "none")
    cpse r27, r17
    rjmp 1f
    rjmp 2f                 ; off the face
1:  add r26, r14
    adc r27, r15            ; X = this pixel's
    sub \a, r24
    sbc \b, r20
    sbc \c, r21             ; the exact sum modulo 2^24
    ld r0, X
    add r0, \a
    st X+, r0
    ld r0, X
    adc r0, \b
    st X+, r0
    ld r0, X
    adc r0, \c
    st X, r0
2:
.endm

.Lscatter:
    clr r17
    movw r28, r24           ; Y = dst
    movw r30, r20           ; Z = w
    mov r16, r18            ; cin >= 1
    ldi r19, 2
.Lsgroup:
    CLEAR
    movw r26, r22           ; X = e
    mov r25, r16
    CHANNELS
    CORRECTION
    ADDTO r2, r3, r4
    ADDTO r5, r6, r7
    ADDTO r8, r9, r10
    ADDTO r11, r12, r13
    dec r19
    breq .Lslast
    rjmp .Lsgroup
.Lslast:                    ; tap 8: channel 0 of the third group, one multiply per activation
    clr r20
    clr r21
    clr r2
    clr r3
    clr r4
    movw r26, r22
    mov r25, r16
.Lsch:
    ld r24, X+
    tst r24
    breq .Lsz
    add r20, r24
    adc r21, r17
    lpm r0, Z
    mul r24, r0
    add r2, r0
    adc r3, r1
    adc r4, r17
.Lsz:
    adiw r30, 4
    dec r25
    brne .Lsch
    CORRECTION
    ADDTO r2, r3, r4
    ret


/* bench/bench_decoder.py's build names the level at work in GD_LEVEL_REG (engine.c's ENTER): one up, one down */
.macro LEVEL op
#ifdef GD_LEVEL_REG
    lds r0, GD_LEVEL_REG
    \op r0
    sts GD_LEVEL_REG, r0
#endif
.endm

/* gd_run (dot.h): `count` >= 1 pixels, each the pixel step, then (dst set) the scatter step, with the arguments read
 * from the run (its field offsets: dot.h's struct gd_run, checked there); one register save for the whole run. */
    .global gd_run
    .type gd_run, @function
gd_run:
    SAVE
    push r16
    movw r30, r24
    std Z+22, r1
    std Z+23, r1            ; the scatter's offset: 0 at the first pixel (r1 = 0 on entry)
    ldd r22, Z+2
    ldd r23, Z+3            ; base
    ldd r16, Z+13           ; cin
.Lrun:                      ; Z = the run; base and cin stay in r23:r22 and r16 across the pixel step
    push r30
    push r31
    ldd r24, Z+0
    ldd r25, Z+1            ; out
    ldd r20, Z+4
    ldd r21, Z+5            ; taps
    ldd r14, Z+6
    ldd r15, Z+7            ; w
    ldd r8, Z+8
    ldd r9, Z+9             ; rq
    ldd r12, Z+10
    ldd r13, Z+11           ; stride
    ldd r18, Z+12           ; n
    ldd r10, Z+14           ; cout
    rcall .Lpixel
    pop r31
    pop r30                 ; Z = the run
    ldd r24, Z+18
    ldd r25, Z+19           ; dst
    sbiw r24, 0
    breq .Lrnext            ; not streamed
    push r30
    push r31
    push r16
    push r22
    push r23
    LEVEL inc               ; the benchmark's attribution: the scatter is the output level's work
    ldd r14, Z+22
    ldd r15, Z+23           ; the pixel's offset from the run's first
    ldd r22, Z+0
    ldd r23, Z+1            ; e = the pixel just written
    ldd r20, Z+20
    ldd r21, Z+21           ; the output layer's weights
    ldd r18, Z+14           ; its cin: this level's cout
    rcall .Lscatter
    LEVEL dec
    pop r23
    pop r22
    pop r16
    pop r31
    pop r30
    ldd r0, Z+17
    add r14, r0
    adc r15, r17
    std Z+22, r14
    std Z+23, r15           ; offset += sstep
.Lrnext:                    ; r17 = 0 (both steps keep it)
    ldd r24, Z+0
    ldd r25, Z+1
    ldd r0, Z+16
    add r24, r0
    adc r25, r17
    std Z+0, r24
    std Z+1, r25            ; out += out_step
    add r22, r16
    adc r23, r17            ; base += cin
    ldd r24, Z+15
    dec r24
    std Z+15, r24
    breq .Lrdone
    rjmp .Lrun
.Lrdone:
    std Z+2, r22
    std Z+3, r23            ; base past the run, as the portable gd_run leaves it
    pop r16
    RESTORE
    clr r1
    ret
    .size gd_run, .-gd_run

#endif
