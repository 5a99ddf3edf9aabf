# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest.mk - test guest, host-side stream client and unit tests.
#
# Included from the top-level Makefile (paths are relative to the repo
# root).  Uses BUILD, CC and CFLAGS when set; defines the targets
#   $(BUILD)/guest/vmlinuz $(BUILD)/guest/initramfs.img   (phony: guest)
#   $(BUILD)/bin/mig-stream
#   $(BUILD)/tests/check_seqtrack
# and appends to UNIT_TESTS and HOST_TOOLS.  Needs GNU make >= 4.3.

BUILD ?= build

MIG_CFLAGS := -Wall -Wextra -Werror -std=gnu11 -O2 -g
MIG_GUEST_DIR := $(BUILD)/guest
MIG_SEQ_SRCS := tests/guest/seqtrack.c tests/guest/seqproto.c \
	tests/guest/numarg.c
MIG_SEQ_HDRS := tests/guest/seqtrack.h tests/guest/seqproto.h \
	tests/guest/numarg.h tests/guest/monotime.h
MIG_GUEST_SRCS := tests/guest/init $(wildcard tests/guest/*.c) \
	$(wildcard tests/guest/*.h)

# One run of the script makes both files (grouped target).
$(MIG_GUEST_DIR)/vmlinuz $(MIG_GUEST_DIR)/initramfs.img &: \
		scripts/build-guest.sh $(MIG_GUEST_SRCS)
	CC="$(CC)" scripts/build-guest.sh $(MIG_GUEST_DIR)

.PHONY: guest
guest: $(MIG_GUEST_DIR)/vmlinuz $(MIG_GUEST_DIR)/initramfs.img

$(BUILD)/bin/mig-stream: tests/lab/mig-stream.c $(MIG_SEQ_SRCS) \
		$(MIG_SEQ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) $(CFLAGS) -pthread -Itests/guest -o $@ \
		tests/lab/mig-stream.c $(MIG_SEQ_SRCS) -lm

$(BUILD)/bin/mig-tcpstall: tests/lab/mig-tcpstall.c tests/guest/numarg.c \
		tests/guest/numarg.h tests/guest/monotime.h tests/guest/seqproto.h
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) $(CFLAGS) -Itests/guest -o $@ \
		tests/lab/mig-tcpstall.c tests/guest/numarg.c

$(BUILD)/tests/check_seqtrack: tests/unit/check_seqtrack.c $(MIG_SEQ_SRCS) \
		$(MIG_SEQ_HDRS)
	@mkdir -p $(@D)
	@pkg-config --exists check || { \
		echo "error: Check unit test framework not found (pkg-config check); install the Debian package 'check'" >&2; \
		exit 1; }
	$(CC) $(MIG_CFLAGS) $(CFLAGS) -Itests/guest \
		$$(pkg-config --cflags check) -o $@ \
		tests/unit/check_seqtrack.c $(MIG_SEQ_SRCS) \
		$$(pkg-config --libs check)

UNIT_TESTS += $(BUILD)/tests/check_seqtrack
HOST_TOOLS += $(BUILD)/bin/mig-stream $(BUILD)/bin/mig-tcpstall
