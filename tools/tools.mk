# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/tools.mk - the migration manager (mig-manager, migctl), its unit
# tests (also under ASan+UBSan), the e2e test's peer tool and the
# ingest benchmark.  Included by the top-level Makefile after
# tests/unit/unit.mk; paths are relative to the repo root.  Uses BUILD, CC,
# CFLAGS and WARN; appends to UNIT_TESTS, HOST_TOOLS and E2E_TESTS.

MIG_VERSION := 0.1

# Wire format of docs/protocol.md: control messages, replay cache, VXLAN.
MIG_PROTO_SRCS := tools/proto.c tools/replay.c tools/vxlan.c
MIG_PROTO_HDRS := tools/proto.h tools/replay.h tools/vxlan.h

# The manager's core (no sockets: unit-testable) and its network layer.
MIG_CORE_SRCS := $(MIG_PROTO_SRCS) tools/addr.c tools/config.c \
	tools/queue.c tools/vmtable.c tools/rewrite.c tools/core.c \
	tools/control.c tools/datapath.c
MIG_CORE_HDRS := $(MIG_PROTO_HDRS) tools/addr.h tools/config.h \
	tools/queue.h tools/vmtable.h tools/rewrite.h tools/mgr.h
MIG_NET_SRCS := tools/net.c tools/ctl.c tools/stats.c
MIG_NET_HDRS := tools/net.h tools/ctl.h tools/stats.h

MIG_CFLAGS = $(WARN) $(CFLAGS) -Itools -DMIG_VERSION='"$(MIG_VERSION)"' \
	-DG_LOG_DOMAIN='"mig-manager"' -DG_LOG_USE_STRUCTURED
MIG_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0)
MIG_CHECK_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0 check) -lm
MIG_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

$(BUILD)/bin/mig-manager: tools/manager.c $(MIG_CORE_SRCS) $(MIG_NET_SRCS) \
		$(MIG_CORE_HDRS) $(MIG_NET_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -o $@ tools/manager.c $(MIG_CORE_SRCS) \
		$(MIG_NET_SRCS) $(MIG_LIBS)

# migctl: the manager's client, and "migctl migrate" for libvirt users
# (libvirt and libvirt-qemu for the domain and its QEMU monitor, libxml2
# for the domain XML).
MIGCTL_SRCS := tools/migctl.c tools/ctlclient.c tools/lvmigrate.c tools/domxml.c
MIGCTL_HDRS := tools/ctlclient.h tools/lvmigrate.h tools/domxml.h
MIGCTL_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0 \
	libvirt libvirt-qemu libxml-2.0)

$(BUILD)/bin/migctl: $(MIGCTL_SRCS) $(MIGCTL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -o $@ $(MIGCTL_SRCS) $(MIGCTL_LIBS)

# Plays the QEMUs in tests/e2e/manager.sh.
$(BUILD)/bin/mig-peer: tests/lab/mig-peer.c $(MIG_PROTO_SRCS) $(MIG_PROTO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -o $@ tests/lab/mig-peer.c $(MIG_PROTO_SRCS) \
		$$(pkg-config --cflags --libs glib-2.0)

HOST_TOOLS += $(BUILD)/bin/mig-manager $(BUILD)/bin/migctl $(BUILD)/bin/mig-peer

# --- unit tests --------------------------------------------------------------

$(BUILD)/tests/check_proto: tests/unit/check_proto.c $(MIG_PROTO_SRCS) \
		$(MIG_PROTO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Itools -o $@ \
		tests/unit/check_proto.c $(MIG_PROTO_SRCS) \
		$$(pkg-config --cflags --libs glib-2.0 check)

# check_vmtable, check_queue, check_rewrite, check_manager, check_fuzz:
# each links the whole core (and ctl.c/stats.c for the JSON and metrics).
MIG_CHECKS := vmtable queue rewrite manager fuzz

$(foreach t,$(MIG_CHECKS),$(BUILD)/tests/check_$(t)): $(BUILD)/tests/check_%: \
		tests/unit/check_%.c $(MIG_CORE_SRCS) $(MIG_NET_SRCS) \
		$(MIG_CORE_HDRS) $(MIG_NET_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -o $@ $< $(MIG_CORE_SRCS) $(MIG_NET_SRCS) $(MIG_CHECK_LIBS)

# The same tests (and check_proto) under AddressSanitizer + UBSan.
$(foreach t,$(MIG_CHECKS) proto,$(BUILD)/tests/asan/check_$(t)): $(BUILD)/tests/asan/check_%: \
		tests/unit/check_%.c $(MIG_CORE_SRCS) $(MIG_NET_SRCS) \
		$(MIG_CORE_HDRS) $(MIG_NET_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) $(MIG_SAN) -o $@ $< $(MIG_CORE_SRCS) $(MIG_NET_SRCS) \
		$(MIG_CHECK_LIBS)

# migctl migrate's domain XML handling (also under ASan+UBSan).
DOMXML_CHECK_LIBS = $$(pkg-config --cflags --libs json-glib-1.0 libxml-2.0 check)
$(BUILD)/tests/check_domxml: tests/unit/check_domxml.c tools/domxml.c tools/domxml.h
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -o $@ $< tools/domxml.c $(DOMXML_CHECK_LIBS)
$(BUILD)/tests/asan/check_domxml: tests/unit/check_domxml.c tools/domxml.c tools/domxml.h
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) $(MIG_SAN) -o $@ $< tools/domxml.c $(DOMXML_CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/check_domxml $(BUILD)/tests/asan/check_domxml
UNIT_TESTS += $(BUILD)/tests/check_proto \
	$(foreach t,$(MIG_CHECKS),$(BUILD)/tests/check_$(t)) \
	$(foreach t,$(MIG_CHECKS) proto,$(BUILD)/tests/asan/check_$(t))

# --- end-to-end ---------------------------------------------------------------

E2E_TESTS += manager

# --- benchmark (not part of make check) -------------------------------------------

$(BUILD)/bin/mig-bench-ingest: tests/bench/mig-bench-ingest.c $(MIG_CORE_SRCS) \
		$(MIG_CORE_HDRS) tools/net.c tools/net.h
	@mkdir -p $(@D)
	$(CC) $(MIG_CFLAGS) -O2 -o $@ tests/bench/mig-bench-ingest.c \
		$(MIG_CORE_SRCS) tools/net.c $(MIG_LIBS) -lpthread

.PHONY: bench-manager
bench-manager: $(BUILD)/bin/mig-bench-ingest
	$(BUILD)/bin/mig-bench-ingest $(BENCH_ARGS)
