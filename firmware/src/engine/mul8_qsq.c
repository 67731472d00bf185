/* The quarter-square table of mul8.h's RISC-V multiply and of dot_rv32.S: gd_qsq[n + 128] = floor(n^2 / 4) for
 * n = -128..383, computed by the compiler from the formula (no generated numbers to check), 1 KB of flash. Only
 * the builds that use it have it. */
#include "dot.h"
#include "mul8.h"

#if defined(__riscv) && (defined(GD_MUL_QSQ) || defined(GD_DOT_ASM))
#define GD_ABS(n) ((uint32_t)((n) < 0 ? -(n) : (n)))
#define GD_Q1(n) (uint16_t)(GD_ABS(n) * GD_ABS(n) / 4u)
#define GD_Q4(n) GD_Q1(n), GD_Q1((n) + 1), GD_Q1((n) + 2), GD_Q1((n) + 3)
#define GD_Q16(n) GD_Q4(n), GD_Q4((n) + 4), GD_Q4((n) + 8), GD_Q4((n) + 12)
#define GD_Q64(n) GD_Q16(n), GD_Q16((n) + 16), GD_Q16((n) + 32), GD_Q16((n) + 48)

const uint16_t gd_qsq[512] = {
    GD_Q64(-128), GD_Q64(-64), GD_Q64(0), GD_Q64(64), GD_Q64(128), GD_Q64(192), GD_Q64(256), GD_Q64(320),
};
#else
typedef int gd_mul8_qsq_unused; /* ISO C forbids an empty translation unit */
#endif
