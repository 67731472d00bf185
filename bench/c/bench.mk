# The benchmark's builds (bench/bench_decoder.py runs them): the simavr harness for this machine, and the AVR face
# stub with the engine and a model, once with the AVR assembly kernel and once with the portable C one. Objects
# depend on every header they included (-MMD -MP), so nothing stale is ever measured.
#   make -f bench/c/bench.mk OUT=DIR MODEL=DIR FACES="3,64, 1,5" [EXTRA=-fstack-usage]

OUT   ?= build/bench
MODEL ?= firmware/src/model
FACES ?= 3,64
SRC   := firmware/src
AVRCC := avr-gcc
# the Nano build's flags (firmware/Makefile), plus the bench hooks
AVRFLAGS := -mmcu=atmega328p -DF_CPU=16000000UL -std=c99 -Os -Wall -Wextra -Werror -ffunction-sections \
            -fdata-sections -I$(SRC) -I$(MODEL) -include avr/io.h -DGD_LEVEL_REG=GPIOR1 '-DBENCH_FACES=$(FACES)' \
            $(EXTRA)
AVRSRCS := bench/c/avr_face.c $(SRC)/engine/engine.c $(SRC)/engine/output.c $(SRC)/engine/dot.c \
           $(SRC)/engine/dot_avr.S $(SRC)/engine/fc_rows_avr.S $(MODEL)/decoder_model.c

all: $(OUT)/simavr_cycles $(OUT)/asm/face.elf $(OUT)/portable/face.elf

$(OUT)/simavr_cycles: bench/c/simavr_cycles.c
	@mkdir -p $(OUT)
	gcc -O1 -Wall -MMD -MP $< -lsimavr -o $@

define variant
$(OUT)/$(1)/face.elf: $(foreach s,$(AVRSRCS),$(OUT)/$(1)/$(notdir $(s)).o)
	$(AVRCC) $(AVRFLAGS) -Wl,--gc-sections $$^ -o $$@
$(foreach s,$(AVRSRCS),$(eval $(call object,$(1),$(s),$(2))))
endef
define object
$(OUT)/$(1)/$(notdir $(2)).o: $(2)
	@mkdir -p $(OUT)/$(1)
	$(AVRCC) $(AVRFLAGS) $(3) -MMD -MP -c $$< -o $$@
endef
$(eval $(call variant,asm,))
$(eval $(call variant,portable,-DGD_PORTABLE_KERNEL))

-include $(wildcard $(OUT)/*.d $(OUT)/*/*.d)
