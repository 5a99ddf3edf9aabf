# SPDX-License-Identifier: GPL-2.0-or-later
#
# Seamless live migration for QEMU/KVM
#
#   make            configure if needed, patch and build QEMU, tools, guest
#   make check      build, then run every test suite (unit, checkpatch, e2e)
#   make demo       live-migrate the test guest in the lab and report
#   make bench      benchmarks (about 60 min): docs/benchmarks.md and plots
#   make bench-quick
#                   the short version (about 10 min)
#   make patches    turn the QEMU git tree (build/qemu) back into patches/
#   make check-each-patch
#                   build QEMU and the unit tests at every patch of the series
#   make install    install mig-manager, migctl, their man pages, the
#                   systemd unit and the example configuration (PREFIX,
#                   DESTDIR; docs/install.md); make uninstall removes them
#   make clean      remove build products, keep downloads and the QEMU build
#   make distclean  remove build/ entirely

BUILD := build
QTREE := $(BUILD)/qemu
QBUILD := $(QTREE)/build
QEMU_BIN := $(QBUILD)/qemu-system-x86_64
STAMP := $(BUILD)/stamp
JOBS ?= $(shell nproc)

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -std=gnu11

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

# build/config.mk comes from ./configure; make runs it when it is missing
# or older than its inputs, with the options it was last given.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
include $(BUILD)/config.mk
endif
$(BUILD)/config.mk: configure scripts/debian-packages
	@if [ -f $(BUILD)/config.args ]; then eval ./configure $$(cat $(BUILD)/config.args); \
	 else ./configure; fi

UNIT_TESTS :=
HOST_TOOLS :=
E2E_TESTS := install boot migrate governor stock-stream manager handoff handoff-1k \
	handoff-2nic handoff-abab handoff-broadcast handoff-attacks handoff-faults handoff-restart \
	handoff-dead-manager handoff-slowdns netstate provision services segments libvirt

# One make fragment per program (lib/ is what they share), then the tests.
include lib/lib.mk
include manager/manager.mk
include migctl/migctl.mk
include agent/agent.mk
include tests/guest.mk
include tests/lab/lab.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

# --- QEMU ---------------------------------------------------------------------

QEMU_PYTHONPATH := $(if $(MESON_PYTHONPATH),PYTHONPATH=$(MESON_PYTHONPATH))
QEMU_CONFIGURE := --target-list=x86_64-softmmu --enable-slirp \
	--disable-docs --disable-install-blobs --disable-download --disable-werror \
	--python=/usr/bin/python3 $(if $(CCACHE),--cc="ccache cc")

# Import the pristine source (once) and apply patches/series with git am
# (again whenever the series changes).
$(STAMP)/qemu-tree: $(BUILD)/config.mk patches/series $(wildcard patches/*.patch) scripts/qemu-tree
	scripts/qemu-tree import "$(QEMU_SRC)" $(QTREE)
	scripts/qemu-tree apply $(QTREE)
	@mkdir -p $(STAMP) && touch $@

$(QBUILD)/build.ninja: | $(STAMP)/qemu-tree
	rm -rf $(QBUILD) && mkdir -p $(QBUILD)
	cd $(QBUILD) && $(QEMU_PYTHONPATH) ../configure $(QEMU_CONFIGURE) > ../../qemu-configure.log 2>&1 || \
		{ tail -20 ../../qemu-configure.log; echo "QEMU configure failed: see $(BUILD)/qemu-configure.log"; exit 1; }
	$(if $(MESON_PYTHONPATH),for d in $(QBUILD)/pyvenv/lib/python3*/site-packages; do \
		echo $(MESON_PYTHONPATH) > $$d/debian-meson.pth; done)

# ccache shares objects between the patched and the stock tree.
export CCACHE_BASEDIR := $(abspath $(BUILD))
export CCACHE_NOHASHDIR := 1

# Stock QEMU: the same pristine source, unpatched, built the same way, for
# the "policy none is stock QEMU" test and the benchmarks' baseline.
STOCK_TREE := $(BUILD)/qemu-stock
STOCK_ID := $(QEMU_SRC) $(QEMU_VERSION)

.PHONY: qemu-stock
qemu-stock: $(BUILD)/config.mk
	@if [ "$$(cat $(STOCK_TREE)/.source 2>/dev/null)" != "$(STOCK_ID)" ]; then \
		echo "  COPY   stock QEMU source to $(STOCK_TREE)"; \
		rm -rf $(STOCK_TREE) && mkdir -p $(STOCK_TREE) && \
		tar -C "$(QEMU_SRC)" --exclude=./.git --exclude='./roms/*/*' -cf - . | tar -C $(STOCK_TREE) -xf - && \
		echo "$(STOCK_ID)" > $(STOCK_TREE)/.source; \
	fi
	@if [ ! -f $(STOCK_TREE)/build/build.ninja ]; then \
		echo "  CONFIGURE stock QEMU (log: $(BUILD)/qemu-stock-configure.log)"; \
		rm -rf $(STOCK_TREE)/build && mkdir -p $(STOCK_TREE)/build && \
		(cd $(STOCK_TREE)/build && $(QEMU_PYTHONPATH) ../configure $(QEMU_CONFIGURE)) \
			> $(BUILD)/qemu-stock-configure.log 2>&1 || \
		{ tail -20 $(BUILD)/qemu-stock-configure.log; \
		  echo "stock QEMU configure failed: see $(BUILD)/qemu-stock-configure.log"; exit 1; }; \
		$(if $(MESON_PYTHONPATH),for d in $(STOCK_TREE)/build/pyvenv/lib/python3*/site-packages; do \
			echo $(MESON_PYTHONPATH) > $$d/debian-meson.pth; done;) \
	fi
	@echo "  NINJA  stock qemu-system-x86_64 (unpatched, log: $(BUILD)/qemu-stock-build.log)"
	@ninja -C $(STOCK_TREE)/build -j$(JOBS) qemu-system-x86_64 > $(BUILD)/qemu-stock-build.log 2>&1 || \
		{ grep -B2 -A12 -m3 'error' $(BUILD)/qemu-stock-build.log | head -60; \
		  echo "stock QEMU build failed: see $(BUILD)/qemu-stock-build.log"; exit 1; }

$(BUILD)/bin/qemu-stock: scripts/qemu-wrapper.in $(BUILD)/config.mk | qemu-stock
	@mkdir -p $(@D)
	sed -e 's|@QEMU_BIN@|$(abspath $(STOCK_TREE))/build/qemu-system-x86_64|' \
		-e 's|@FIRMWARE@|$(WRAPPER_FIRMWARE)|' $< > $@ && chmod +x $@

# QEMU's own tests of the series (unit tests and qtests), run by make check:
# BINARY or BINARY@TEST-PATH (only that path of the binary, -p).
QEMU_TESTS := tests/unit/test-migration-governor \
	tests/qtest/migration-test@/x86_64/migration/bandwidth-governor \
	tests/unit/test-migration-handoff \
	tests/qtest/migration-handoff-test
QEMU_TEST_BINS := $(sort $(foreach t,$(QEMU_TESTS),$(firstword $(subst @, ,$(t)))))

.PHONY: qemu qemu-tests
qemu-tests: qemu
	@echo "  NINJA  $(QEMU_TEST_BINS)"
	@ninja -C $(QBUILD) -j$(JOBS) $(QEMU_TEST_BINS) >> $(BUILD)/qemu-build.log 2>&1 || \
		{ grep -B2 -A12 -m3 'error' $(BUILD)/qemu-build.log | head -60; \
		  echo "QEMU test build failed: see $(BUILD)/qemu-build.log"; exit 1; }

qemu: $(STAMP)/qemu-tree $(QBUILD)/build.ninja
	@echo "  NINJA  qemu-system-x86_64 (QEMU $(QEMU_VERSION), log: $(BUILD)/qemu-build.log)"
	@ninja -C $(QBUILD) -j$(JOBS) qemu-system-x86_64 > $(BUILD)/qemu-build.log 2>&1 || \
		{ grep -B2 -A12 -m3 'error' $(BUILD)/qemu-build.log | head -60; \
		  echo "QEMU build failed: see $(BUILD)/qemu-build.log"; exit 1; }

# qemu-system-x86_64 with the firmware search path: Debian 13's SeaBIOS
# (configure, build/firmware), then Debian's seabios, ipxe-qemu and
# qemu-system-data (the +ds source ships no firmware).
WRAPPER_FIRMWARE := $(if $(SEABIOS_DIR),-L $(SEABIOS_DIR) )
$(BUILD)/bin/qemu-system-x86_64: scripts/qemu-wrapper.in $(BUILD)/config.mk | qemu
	@mkdir -p $(@D)
	sed -e 's|@QEMU_BIN@|$(abspath $(QEMU_BIN))|' -e 's|@FIRMWARE@|$(WRAPPER_FIRMWARE)|' \
		$< > $@ && chmod +x $@

# --- top-level targets ------------------------------------------------------

.PHONY: all tools guest check demo bench bench-quick patches check-each-patch clean distclean \
	install uninstall

all: qemu $(BUILD)/bin/qemu-system-x86_64 $(BUILD)/bin/qemu-stock tools guest

# The programs and the unit tests are independent compiler runs: in
# parallel (QEMU's ninja is parallel on its own).
tools:
	@$(MAKE) --no-print-directory -j$(JOBS) $(HOST_TOOLS)

check: all qemu-tests
	@$(MAKE) --no-print-directory -j$(JOBS) $(UNIT_TESTS) fuzz
	@UNIT_TESTS="$(UNIT_TESTS)" E2E_TESTS="$(E2E_TESTS)" BUILD=$(abspath $(BUILD)) \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" \
		INSTALL_FILES="$(INSTALL_FILES)" \
		QEMU_TESTS="$(QEMU_TESTS)" \
		QTREE=$(abspath $(QTREE)) tests/run-tests

demo: all
	@BUILD=$(abspath $(BUILD)) scripts/demo

bench: all $(MANAGER_BENCHES)
	@BUILD=$(abspath $(BUILD)) scripts/bench

bench-quick: all $(MANAGER_BENCHES)
	@BUILD=$(abspath $(BUILD)) scripts/bench --quick

patches:
	scripts/qemu-tree export $(QTREE)

# Every patch builds alone and passes the QEMU tests that exist at it.
check-each-patch: $(STAMP)/qemu-tree $(QBUILD)/build.ninja
	scripts/qemu-tree each $(QTREE) \
		'ninja -C build -j$(JOBS) qemu-system-x86_64 > ../each.log 2>&1 || { tail -30 ../each.log; exit 1; }; \
		 for t in $(QEMU_TESTS); do b=$${t%%@*}; p=$${t#$$b}; p=$${p#@}; \
		   [ -f $$b.c ] || continue; \
		   ninja -C build -j$(JOBS) $$b >> ../each.log 2>&1 && \
		   (cd build && QTEST_QEMU_BINARY=$(abspath $(BUILD)/bin/qemu-system-x86_64) ./$$b $${p:+-p $$p} > /dev/null) || exit 1; done'

# --- install (docs/install.md) ------------------------------------------------

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCTLDIR ?= $(PREFIX)/lib/sysctl.d
DOCDIR := $(PREFIX)/share/doc/seamless-migration
# What make install puts where (the install test checks exactly this list).
INSTALL_FILES := $(SBINDIR)/mig-manager $(BINDIR)/migctl \
	$(MANDIR)/man8/mig-manager.8 $(MANDIR)/man8/migctl.8 \
	$(MANDIR)/man5/mig-manager.conf.5 $(UNITDIR)/mig-manager.service \
	$(SYSCTLDIR)/60-mig-manager.conf \
	$(DOCDIR)/mig-manager.conf.example $(SYSCONFDIR)/mig-manager/mig-manager.conf \
	$(SBINDIR)/mig-agent $(MANDIR)/man8/mig-agent.8 \
	$(MANDIR)/man5/mig-agent.conf.5 $(UNITDIR)/mig-agent.service \
	$(DOCDIR)/mig-agent.conf.example $(SYSCONFDIR)/mig-agent/mig-agent.conf

install: $(BUILD)/bin/mig-manager $(BUILD)/bin/migctl $(BUILD)/bin/mig-agent
	install -D -m 0755 $(BUILD)/bin/mig-manager $(DESTDIR)$(SBINDIR)/mig-manager
	install -D -m 0755 $(BUILD)/bin/migctl $(DESTDIR)$(BINDIR)/migctl
	install -D -m 0644 docs/man/mig-manager.8 $(DESTDIR)$(MANDIR)/man8/mig-manager.8
	install -D -m 0644 docs/man/migctl.8 $(DESTDIR)$(MANDIR)/man8/migctl.8
	install -D -m 0644 docs/man/mig-manager.conf.5 $(DESTDIR)$(MANDIR)/man5/mig-manager.conf.5
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin/mig-manager|$(SBINDIR)/mig-manager|' \
	    -e 's|/etc/mig-manager/|$(SYSCONFDIR)/mig-manager/|' \
		manager/mig-manager.service > $(DESTDIR)$(UNITDIR)/mig-manager.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mig-manager.service
	install -D -m 0644 manager/60-mig-manager.conf $(DESTDIR)$(SYSCTLDIR)/60-mig-manager.conf
	install -D -m 0644 manager/mig-manager.conf $(DESTDIR)$(DOCDIR)/mig-manager.conf.example
	@# The configuration is the operator's: installed once, never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mig-manager/mig-manager.conf ]; then \
		echo "  KEEP   $(DESTDIR)$(SYSCONFDIR)/mig-manager/mig-manager.conf (exists; the example is $(DOCDIR)/mig-manager.conf.example)"; \
	else \
		install -D -m 0640 manager/mig-manager.conf $(DESTDIR)$(SYSCONFDIR)/mig-manager/mig-manager.conf; \
	fi
	install -D -m 0755 $(BUILD)/bin/mig-agent $(DESTDIR)$(SBINDIR)/mig-agent
	install -D -m 0644 docs/man/mig-agent.8 $(DESTDIR)$(MANDIR)/man8/mig-agent.8
	install -D -m 0644 docs/man/mig-agent.conf.5 $(DESTDIR)$(MANDIR)/man5/mig-agent.conf.5
	sed -e 's|/usr/local/sbin/mig-agent|$(SBINDIR)/mig-agent|' \
	    -e 's|/etc/mig-agent/|$(SYSCONFDIR)/mig-agent/|' \
		agent/mig-agent.service > $(DESTDIR)$(UNITDIR)/mig-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mig-agent.service
	install -D -m 0644 agent/mig-agent.conf $(DESTDIR)$(DOCDIR)/mig-agent.conf.example
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mig-agent/mig-agent.conf ]; then \
		echo "  KEEP   $(DESTDIR)$(SYSCONFDIR)/mig-agent/mig-agent.conf (exists; the example is $(DOCDIR)/mig-agent.conf.example)"; \
	else \
		install -D -m 0640 agent/mig-agent.conf $(DESTDIR)$(SYSCONFDIR)/mig-agent/mig-agent.conf; \
	fi

# Removes what install put there, except a configuration the operator
# changed (it is kept, and said so).
uninstall:
	@for f in $(filter-out $(SYSCONFDIR)/%,$(INSTALL_FILES)); do rm -fv $(DESTDIR)$$f; done
	@c=$(DESTDIR)$(SYSCONFDIR)/mig-manager/mig-manager.conf; \
	if [ -e $$c ] && cmp -s $$c manager/mig-manager.conf; then rm -fv $$c; \
	elif [ -e $$c ]; then echo "  KEEP   $$c (changed by the operator)"; fi
	@c=$(DESTDIR)$(SYSCONFDIR)/mig-agent/mig-agent.conf; \
	if [ -e $$c ] && cmp -s $$c agent/mig-agent.conf; then rm -fv $$c; \
	elif [ -e $$c ]; then echo "  KEEP   $$c (changed by the operator)"; fi
	-rmdir $(DESTDIR)$(SYSCONFDIR)/mig-manager $(DESTDIR)$(SYSCONFDIR)/mig-agent $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)/bin $(BUILD)/lib $(BUILD)/tests $(BUILD)/run $(BUILD)/guest/staging $(STAMP)

distclean:
	rm -rf $(BUILD)
