# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/lab/lab.mk - host-side programs of the end-to-end tests and the
# benchmarks: mig-qmp (QMP client), mig-peer (plays the QEMUs against
# mig-manager, with simqemu.c), mig-forge (forged-source datagrams),
# mig-bench-ingest and mig-bench-table (the manager's benchmarks).
# mig-stream and mig-tcpstall are in tests/guest.mk (they share the
# guest's sequence code).  Included by the top-level Makefile after
# lib/lib.mk and manager/manager.mk.

$(BUILD)/bin/mig-qmp: tests/lab/mig-qmp.c
	@mkdir -p $(@D)
	$(CC) $(MIG_WARN) $(CFLAGS) -o $@ $< $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0)

# simqemu.c: the QEMU side of the protocol, shared with the unit tests.
LAB_UTIL := tests/lab/lab-util.c tests/lab/lab-util.h
$(BUILD)/bin/mig-peer: tests/lab/mig-peer.c tests/lab/simqemu.c tests/lab/simqemu.h \
		$(LAB_UTIL) $(LIBMIG) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -Itests/lab -o $@ $< tests/lab/simqemu.c tests/lab/lab-util.c \
		$(LIBMIG) $$(pkg-config --libs glib-2.0) $(LIB_LIBS)

# mig-forge: datagrams with a forged source address (raw socket), for the
# attack tests.
$(BUILD)/bin/mig-forge: tests/lab/mig-forge.c $(LAB_UTIL) $(LIBMIG) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -Itests/lab -o $@ $< tests/lab/lab-util.c $(LIBMIG) \
		$$(pkg-config --libs glib-2.0) $(LIB_LIBS)

# mig-ctfill: conntrack entries by the thousand, for the network-state
# benchmark.
$(BUILD)/bin/mig-ctfill: tests/lab/mig-ctfill.c
	@mkdir -p $(@D)
	$(CC) $(MIG_WARN) $(CFLAGS) -o $@ $< $$(pkg-config --cflags --libs libnetfilter_conntrack)

HOST_TOOLS += $(BUILD)/bin/mig-qmp $(BUILD)/bin/mig-peer $(BUILD)/bin/mig-forge \
	$(BUILD)/bin/mig-ctfill

# Benchmarks of the manager (not part of make check): ingest over
# loopback sockets, and the core against the size of its table.
MANAGER_BENCHES := $(BUILD)/bin/mig-bench-ingest $(BUILD)/bin/mig-bench-table
$(MANAGER_BENCHES): $(BUILD)/bin/%: tests/bench/%.c tests/bench/bench-util.h \
		tests/lab/simqemu.c tests/lab/simqemu.h \
		$(LIBMIG) $(MANAGER_CORE_SRCS) $(MANAGER_HDRS) manager/udp.c
	@mkdir -p $(@D)
	$(CC) $(MANAGER_CFLAGS) -O2 -Itests/lab -Itests/bench -o $@ $< tests/lab/simqemu.c \
		$(MANAGER_CORE_SRCS) manager/udp.c $(LIBMIG) $(MANAGER_LIBS) -lpthread

.PHONY: bench-manager
bench-manager: $(MANAGER_BENCHES)
	$(BUILD)/bin/mig-bench-ingest $(BENCH_INGEST_ARGS)
	$(BUILD)/bin/mig-bench-table $(BENCH_TABLE_ARGS)
