# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib/lib.mk - libmig, what every program of the project shares: the
# handoff wire format (control messages, replay cache, VXLAN), socket
# addresses, UUID/MAC text forms, byte-count parsing and the table of
# the manager's counters.  A static library, $(BUILD)/lib/libmig.a;
# programs add -Ilib and link it.  Included by the top-level Makefile.

MIG_VERSION := 0.1
MIG_WARN := -Wall -Wextra -Werror -std=gnu11

LIB_SRCS := lib/proto.c lib/replay.c lib/vxlan.c lib/addr.c lib/ids.c \
	lib/size.c lib/counters.c
LIB_HDRS := $(LIB_SRCS:.c=.h)
LIB_CFLAGS = $(MIG_WARN) $(CFLAGS) -Ilib $$(pkg-config --cflags glib-2.0)
LIBMIG := $(BUILD)/lib/libmig.a
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIBMIG): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
