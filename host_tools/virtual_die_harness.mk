# The virtual die's simavr harness, built with compiler dependency files (-MMD): any header it includes
# (simavr's or ours) rebuilds it. Run from the repository root by host_tools/virtual_die_build.py:
#   make -f host_tools/virtual_die_harness.mk
OUT     ?= build/virtual_die
HARNESS := $(OUT)/harness
SRC     := host_tools/virtual_die_harness.c
CFLAGS  := -O2 -std=gnu99 -Wall -Wextra -Werror -MMD -MP $(addprefix -I/usr/include/simavr,/ /parts /avr)
LDLIBS  := -lsimavrparts -lsimavr

$(HARNESS): $(SRC) host_tools/virtual_die_harness.mk
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(SRC) -o $@ $(LDLIBS)

-include $(HARNESS).d
