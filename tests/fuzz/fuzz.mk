# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fuzz/fuzz.mk - libFuzzer targets (clang -fsanitize=fuzzer, with
# ASan and UBSan) of the inputs that come from the network: control
# messages into the manager (fuzz-control), data frames into it
# (fuzz-frame), and the migration-stream section a destination QEMU
# decodes (fuzz-section); fuzz-seeds writes their seed corpora.
# make check runs each for FUZZ_SECONDS (suite "fuzz" of tests/run-tests);
# a long run: build/fuzz/fuzz-control -max_total_time=600 build/fuzz/corpus/control
# (docs/manager.md).  Included by the top-level Makefile after the
# programs' fragments.

FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
FUZZ_TARGETS := control frame section
FUZZ_BINS := $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/fuzz-$(t))
FUZZ_WORLD := tests/fuzz/fuzz-common.c tests/lab/simqemu.c
FUZZ_CFLAGS = $(MANAGER_CFLAGS) -Itests/lab -Itests/fuzz

$(BUILD)/fuzz/fuzz-section: tests/fuzz/fuzz-section.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(LIB_CFLAGS) $(FUZZ_SAN) -o $@ $< $(LIB_SRCS) \
		$$(pkg-config --libs glib-2.0) $(LIB_LIBS)

$(BUILD)/fuzz/fuzz-control $(BUILD)/fuzz/fuzz-frame: $(BUILD)/fuzz/%: tests/fuzz/%.c \
		$(FUZZ_WORLD) tests/fuzz/fuzz-common.h tests/lab/simqemu.h \
		$(LIB_SRCS) $(LIB_HDRS) $(MANAGER_CORE_SRCS) $(MANAGER_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ $< $(FUZZ_WORLD) $(LIB_SRCS) \
		$(MANAGER_CORE_SRCS) $(MANAGER_LIBS)

$(BUILD)/fuzz/fuzz-seeds: tests/fuzz/fuzz-seeds.c $(FUZZ_WORLD) tests/fuzz/fuzz-common.h \
		$(LIBMIG) $(MANAGER_CORE_SRCS) $(MANAGER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_WORLD) $(MANAGER_CORE_SRCS) $(LIBMIG) \
		$(MANAGER_LIBS)

# The seeds, once per build of the generator.
$(BUILD)/fuzz/seeds/.stamp: $(BUILD)/fuzz/fuzz-seeds
	rm -rf $(@D) && $< $(@D) && touch $@

.PHONY: fuzz
fuzz: $(FUZZ_BINS) $(BUILD)/fuzz/seeds/.stamp
