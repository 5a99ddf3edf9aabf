# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (Check) that compile sources of the patched QEMU tree.
# Included by the top-level Makefile.

CHECK_LIBS = $$(pkg-config --cflags --libs check glib-2.0) -lm

# The governor's arithmetic: the same migration/bandwidth-governor.c that
# QEMU builds, taken from the patched tree, with a minimal qemu/osdep.h.
$(BUILD)/tests/check_governor: tests/unit/check_governor.c \
		tests/unit/qemu-stub/qemu/osdep.h $(STAMP)/qemu-tree
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Itests/unit/qemu-stub -I$(QTREE)/migration -o $@ \
		tests/unit/check_governor.c $(QTREE)/migration/bandwidth-governor.c $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/check_governor
