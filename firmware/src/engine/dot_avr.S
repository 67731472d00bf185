/* The AVR kernels of dot.h: gd_run (a run of a 3x3 layer's pixels, requantised: the pixel step; and on a streamed
 * level, the output layer's partial sums: the scatter step), gd_psum_fill, gd_psum_rq and gd_fc. 4 output channels
 * per pass, one activation load feeding 4 multiplies.
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

/* One tap's channels into the 4 sums: X activations, Z weights, r25 = cin >= 1, r24 scratch, r17 zero */
.macro CHANNELS
.Lch\@:
    ld r24, X+
    tst r24
    breq .Lz\@
    add r20, r24
    adc r21, r17
    lpm r0, Z+              ; w + 128 of output 0
    mul r24, r0             ; a * (w + 128), unsigned: 2 cycles
    add r2, r0
    adc r3, r1
    adc r4, r17
    lpm r0, Z+              ; w + 128 of output 1
    mul r24, r0             ; a * (w + 128), unsigned: 2 cycles
    add r5, r0
    adc r6, r1
    adc r7, r17
    lpm r0, Z+              ; w + 128 of output 2
    mul r24, r0             ; a * (w + 128), unsigned: 2 cycles
    add r8, r0
    adc r9, r1
    adc r10, r17
    lpm r0, Z+              ; w + 128 of output 3
    mul r24, r0             ; a * (w + 128), unsigned: 2 cycles
    add r11, r0
    adc r12, r1
    adc r13, r17
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

    .text


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
