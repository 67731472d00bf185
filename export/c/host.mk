# Host build of the decoder and a driver, for tests and benchmarks (export/backends.py runs it).
# Every object depends on the headers it actually included (-MMD -MP dependency files), so editing any header -
# hand-written or generated - rebuilds what uses it; there is no hand-kept list of inputs.
#
#   make -f export/c/host.mk OUT=build/host_c/KEY EXE=decoder_host SRCS="a.c b.c" CFLAGS="..." INCS="-Ia -Ib"
# Object names are the sources' base names, so SRCS must not hold two files of the same name.

CC     ?= gcc
OUT    ?= build/host_c
EXE    ?= decoder_host
SRCS   ?=
CFLAGS ?= -std=c99 -Wall -Wextra -Werror -O2
INCS   ?=

OBJS := $(foreach s,$(SRCS),$(OUT)/$(basename $(notdir $(s))).o)

# linked beside and renamed: a binary another process is running is replaced, never rewritten in place
$(OUT)/$(EXE): $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@.tmp
	mv -f $@.tmp $@

define object_rule
$(OUT)/$(basename $(notdir $(1))).o: $(1)
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(INCS) -MMD -MP -c $$< -o $$@
endef
$(foreach s,$(SRCS),$(eval $(call object_rule,$(s))))

-include $(OBJS:.o=.d)
