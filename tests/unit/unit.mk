# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/unit/unit.mk - Check unit tests of libmig, the manager's core and
# migctl's domain XML handling; each also under AddressSanitizer +
# UBSan.  Included by the top-level Makefile after the programs' make
# fragments; appends to UNIT_TESTS.  (The governor's unit tests are QEMU's
# own, tests/unit/test-migration-governor.c in the patch series, run by
# the "qemu" suite.)

UNIT_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
UNIT_CHECK_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0 check) -lm $(LIB_LIBS)

# check_proto: libmig alone, and the known-answer vectors QEMU's unit test
# checks too (tests/unit/handoff-wire-vectors.h of the patched tree).
UNIT_VECTORS := $(WIRE_TREE)/tests/unit/handoff-wire-vectors.h
$(UNIT_VECTORS): $(WIRE_DEP) ;
$(BUILD)/tests/check_proto: tests/unit/check_proto.c $(LIB_SRCS) $(LIB_HDRS) $(UNIT_VECTORS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -I$(WIRE_TREE)/tests/unit -o $@ $< $(LIB_SRCS) $(UNIT_CHECK_LIBS)
$(BUILD)/tests/asan/check_proto: tests/unit/check_proto.c $(LIB_SRCS) $(LIB_HDRS) $(UNIT_VECTORS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -I$(WIRE_TREE)/tests/unit $(UNIT_SAN) -o $@ $< $(LIB_SRCS) \
		$(UNIT_CHECK_LIBS)

# check_vmtable, check_queue, check_rewrite, check_manager, check_config,
# check_fuzz, check_counters, check_topology, check_provision,
# check_services, check_dnsupdate: the manager's core, its JSON/metrics,
# its topology, provisioning and services hooks (admin.c, metrics.c), the
# tables the docs are held to, and the DNS update (against a knotd the
# test starts).
UNIT_MANAGER := vmtable queue rewrite manager config fuzz counters topology provision \
	services dnsupdate
UNIT_MANAGER_SRCS = $(LIB_SRCS) $(MANAGER_CORE_SRCS) $(MANAGER_NET_SRCS) \
	tests/lab/simqemu.c
UNIT_MANAGER_LIBS = $(UNIT_CHECK_LIBS) $$(pkg-config --libs ldns sqlite3)
# check_dnsupdate and check_services also have the knotd they start
# (tests/unit/knotd.c); UNIT_EXTRA_SRCS is what a test has beside its .c.
UNIT_KNOTD := dnsupdate services
UNIT_KNOTD_BINS := $(foreach t,$(UNIT_KNOTD),$(BUILD)/tests/check_$(t) \
	$(BUILD)/tests/asan/check_$(t))
$(UNIT_KNOTD_BINS): UNIT_EXTRA_SRCS := tests/unit/knotd.c
$(UNIT_KNOTD_BINS): tests/unit/knotd.c tests/unit/knotd.h

# The sources they share are compiled once per flavour (plain, ASan) into
# $(BUILD)/tests/obj/{plain,asan}/, not once per test: each test compiles
# its own .c (and UNIT_EXTRA_SRCS) and links the same objects.
UNIT_OBJ_DEPS = $(LIB_HDRS) $(MANAGER_HDRS) tests/lab/simqemu.h $(WIRE_DEP)
UNIT_OBJ_CFLAGS = $(MANAGER_CFLAGS) -Itests/lab \
	$$(pkg-config --cflags gio-unix-2.0 json-glib-1.0 sqlite3 ldns check)
# unit_obj SRC FLAVOUR FLAGS - the rule of SRC's object in FLAVOUR
define unit_obj
$(BUILD)/tests/obj/$(2)/$(notdir $(1:.c=.o)): $(1) $$(UNIT_OBJ_DEPS)
	@mkdir -p $$(@D)
	$$(CC) $$(UNIT_OBJ_CFLAGS) $(3) -c -o $$@ $(1)
endef
$(foreach s,$(UNIT_MANAGER_SRCS),$(eval $(call unit_obj,$(s),plain,)) \
	$(eval $(call unit_obj,$(s),asan,$$(UNIT_SAN))))
unit_objs = $(foreach s,$(UNIT_MANAGER_SRCS),$(BUILD)/tests/obj/$(1)/$(notdir $(s:.c=.o)))
UNIT_OBJS_PLAIN = $(call unit_objs,plain)
UNIT_OBJS_ASAN = $(call unit_objs,asan)

$(foreach t,$(UNIT_MANAGER),$(BUILD)/tests/check_$(t)): $(BUILD)/tests/check_%: \
		tests/unit/check_%.c $(UNIT_OBJS_PLAIN) $(LIB_HDRS) $(MANAGER_HDRS) \
		tests/lab/simqemu.h
	@mkdir -p $(@D)
	$(CC) $(MANAGER_CFLAGS) -Itests/lab -DTOP='"$(abspath .)"' -o $@ $< \
		$(UNIT_EXTRA_SRCS) $(UNIT_OBJS_PLAIN) $(UNIT_MANAGER_LIBS)
$(foreach t,$(UNIT_MANAGER),$(BUILD)/tests/asan/check_$(t)): $(BUILD)/tests/asan/check_%: \
		tests/unit/check_%.c $(UNIT_OBJS_ASAN) $(LIB_HDRS) $(MANAGER_HDRS) \
		tests/lab/simqemu.h
	@mkdir -p $(@D)
	$(CC) $(MANAGER_CFLAGS) $(UNIT_SAN) -Itests/lab -DTOP='"$(abspath .)"' -o $@ $< \
		$(UNIT_EXTRA_SRCS) $(UNIT_OBJS_ASAN) $(UNIT_MANAGER_LIBS)

# check_domxml: migctl's domain XML handling.
UNIT_DOMXML_LIBS = $$(pkg-config --cflags --libs json-glib-1.0 libxml-2.0 check)
$(BUILD)/tests/check_domxml: tests/unit/check_domxml.c migctl/domxml.c migctl/domxml.h
	@mkdir -p $(@D)
	$(CC) $(MIGCTL_CFLAGS) -o $@ $< migctl/domxml.c $(UNIT_DOMXML_LIBS)
$(BUILD)/tests/asan/check_domxml: tests/unit/check_domxml.c migctl/domxml.c migctl/domxml.h
	@mkdir -p $(@D)
	$(CC) $(MIGCTL_CFLAGS) $(UNIT_SAN) -o $@ $< migctl/domxml.c $(UNIT_DOMXML_LIBS)

# check_tlspsk: the agents' TLS-PSK channel (libmig).
$(BUILD)/tests/check_tlspsk: tests/unit/check_tlspsk.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(LIB_SRCS) $(UNIT_CHECK_LIBS)
$(BUILD)/tests/asan/check_tlspsk: tests/unit/check_tlspsk.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(UNIT_SAN) -o $@ $< $(LIB_SRCS) $(UNIT_CHECK_LIBS)

# check_agent: mig-agent's key table, DHCP snooping parser and ticket scope.
UNIT_AGENT_SRCS = $(AGENT_SRCS) $(LIB_SRCS)
$(BUILD)/tests/check_agent: tests/unit/check_agent.c $(UNIT_AGENT_SRCS) $(AGENT_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) -DTOP='"$(abspath .)"' -o $@ $< $(UNIT_AGENT_SRCS) \
		$(UNIT_CHECK_LIBS) $(AGENT_LIBS)
$(BUILD)/tests/asan/check_agent: tests/unit/check_agent.c $(UNIT_AGENT_SRCS) $(AGENT_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) $(UNIT_SAN) -DTOP='"$(abspath .)"' -o $@ $< $(UNIT_AGENT_SRCS) \
		$(UNIT_CHECK_LIBS) $(AGENT_LIBS)

UNIT_TESTS += $(foreach t,proto tlspsk domxml agent $(UNIT_MANAGER),$(BUILD)/tests/check_$(t) \
	$(BUILD)/tests/asan/check_$(t))
