/* Screen layout: the 64x64 die on the left, text on the right (5x7 font, 6 px per character). */
#ifndef GENDIE_UI_H
#define GENDIE_UI_H

#include <stdint.h>

#define DIE_COL 0u   /* first display column of the die; it spans all 8 pages (64 rows) */
#define DIE_W 64u
#define TEXT_COL 70u /* right-hand text panel: 58 px, 9 characters */

void ui_idle(void);
/* Clear what the idle screen drew where the die and the results will go. */
void ui_roll_start(void);
void ui_result(uint8_t pips, uint32_t roll, uint32_t ms);
/* "BATT LOW" on the bottom line (where the next roll's time goes). */
void ui_low_battery(void);

#endif
