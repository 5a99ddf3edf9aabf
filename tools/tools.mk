# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/tools.mk - migration manager (mig-manager) sources and their unit
# tests.  Included by the top-level Makefile after tests/unit/unit.mk;
# paths are relative to the repo root.  Uses BUILD, CC, CFLAGS and WARN;
# defines $(BUILD)/tests/check_proto and appends it to UNIT_TESTS.

# Wire format of docs/protocol.md: control messages, replay cache, VXLAN.
MIG_PROTO_SRCS := tools/proto.c tools/replay.c tools/vxlan.c
MIG_PROTO_HDRS := tools/proto.h tools/replay.h tools/vxlan.h

$(BUILD)/tests/check_proto: tests/unit/check_proto.c $(MIG_PROTO_SRCS) \
		$(MIG_PROTO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Itools -o $@ \
		tests/unit/check_proto.c $(MIG_PROTO_SRCS) \
		$$(pkg-config --cflags --libs glib-2.0 check)

UNIT_TESTS += $(BUILD)/tests/check_proto
