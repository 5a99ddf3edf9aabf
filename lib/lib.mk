# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib/lib.mk - libmig, what every program of the project shares: the
# handoff wire format (control messages, replay cache, VXLAN), socket
# addresses, UUID/MAC text forms, byte-count parsing and the table of
# the manager's counters.  A static library, $(BUILD)/lib/libmig.a;
# programs add -Ilib and link it.  Included by the top-level Makefile.
#
# The wire format is compiled from the patched QEMU tree (WIRE_TREE,
# default $(QTREE)), the one implementation both QEMU and the tools use:
# migration/handoff-wire.c with include/migration/handoff-wire.h, and
# lib/qemu-compat/qemu/osdep.h for its first include.

MIG_VERSION := 0.1
MIG_WARN := -Wall -Wextra -Werror -std=gnu11

WIRE_TREE ?= $(QTREE)
WIRE_SRC := $(WIRE_TREE)/migration/handoff-wire.c
WIRE_HDR := $(WIRE_TREE)/include/migration/handoff-wire.h
# The wire files exist once the tree is imported and patched.
WIRE_DEP := $(if $(filter $(QTREE),$(WIRE_TREE)),$(STAMP)/qemu-tree)

LIB_OWN_SRCS := lib/handoff-crypto.c lib/keys.c lib/tlspsk.c lib/keytable.c lib/log.c lib/addr.c lib/ids.c lib/size.c \
	lib/counters.c
LIB_SRCS := $(WIRE_SRC) $(LIB_OWN_SRCS)
LIB_HDRS := lib/wire.h lib/keys.h lib/tlspsk.h lib/keytable.h lib/log.h lib/addr.h lib/ids.h lib/size.h lib/counters.h \
	lib/qemu-compat/qemu/osdep.h
LIB_CFLAGS = $(MIG_WARN) $(CFLAGS) -Ilib -Ilib/qemu-compat -I$(WIRE_TREE)/include \
	$$(pkg-config --cflags glib-2.0 gnutls)
LIB_LIBS = $$(pkg-config --libs gnutls)
LIBMIG := $(BUILD)/lib/libmig.a
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_OWN_SRCS)) \
	$(BUILD)/lib/handoff-wire.o

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS) $(WIRE_DEP)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/lib/handoff-wire.o: $(WIRE_DEP) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $(WIRE_SRC)

$(LIBMIG): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(WIRE_SRC) $(WIRE_HDR): $(WIRE_DEP) ;
