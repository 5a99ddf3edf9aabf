# SPDX-License-Identifier: GPL-2.0-or-later
#
# manager/manager.mk - mig-manager, the migration manager daemon.
# Included by the top-level Makefile after lib/lib.mk.
#
#   the core, without sockets (unit-tested): core.c window.c operator.c
#     qemu-control.c datapath.c vmtable.c queue.c rewrite.c config.c
#   the daemon around it: udp.c (UDP sockets, main loop), admin.c (migctl's
#     unix socket), metrics.c (/metrics), topology.c, agentcall.c and
#     netstate.c (the network-state transfer through the mig-agents),
#     provision.c (policy and channel at the destination first),
#     addrcheck.c (the VM answers at its new address before the cut),
#     inventory.c and services.c (the services' table and DNS names follow
#     the VM), dnsupdate.c (RFC 2136 update with TSIG, libldns), main.c

MANAGER_CORE_SRCS := manager/core.c manager/window.c manager/operator.c \
	manager/timers.c manager/state.c \
	manager/qemu-control.c manager/datapath.c manager/vmtable.c \
	manager/queue.c manager/rewrite.c manager/config.c
MANAGER_NET_SRCS := manager/udp.c manager/admin.c manager/admin-json.c \
	manager/metrics.c manager/topology.c manager/agentcall.c manager/netstate.c \
	manager/provision.c manager/addrcheck.c manager/inventory.c manager/services.c \
	manager/dnsupdate.c
MANAGER_HDRS := $(wildcard manager/*.h)
MANAGER_CFLAGS = $(LIB_CFLAGS) -Imanager \
	-DMIG_VERSION='"$(MIG_VERSION)"' -DG_LOG_DOMAIN='"mig-manager"' \
	-DG_LOG_USE_STRUCTURED
MANAGER_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0 sqlite3 ldns) $(LIB_LIBS)

$(BUILD)/bin/mig-manager: manager/main.c $(MANAGER_CORE_SRCS) \
		$(MANAGER_NET_SRCS) $(MANAGER_HDRS) $(LIBMIG)
	@mkdir -p $(@D)
	$(CC) $(MANAGER_CFLAGS) -o $@ manager/main.c $(MANAGER_CORE_SRCS) \
		$(MANAGER_NET_SRCS) $(LIBMIG) $(MANAGER_LIBS)

HOST_TOOLS += $(BUILD)/bin/mig-manager
