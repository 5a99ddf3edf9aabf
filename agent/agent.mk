# SPDX-License-Identifier: GPL-2.0-or-later
#
# agent/agent.mk - mig-agent, the per-host agent of the network state
# (docs/netstate.md).  Included by the top-level Makefile after
# lib/lib.mk; links lib/ and nothing of manager/.
#
#   config.c (its keys), conntrack.c (libnetfilter_conntrack), nftstate.c
#   (libnftables: bindings and counters), snoop.c (DHCP snooping), policy.c
#   (a VM's network policy: nftables ACL, tc rates, VXLAN segment), probe.c
#   (the segment's ARP probe), ops.c (the requests), scope.c (a ticket's
#   state to its VM), server.c (TLS-PSK sessions), main.c

AGENT_SRCS := agent/config.c agent/conntrack.c agent/nftstate.c agent/snoop.c \
	agent/policy.c agent/probe.c agent/ops.c agent/scope.c agent/server.c
AGENT_HDRS := $(wildcard agent/*.h)
AGENT_CFLAGS = $(LIB_CFLAGS) -Iagent -DMIG_VERSION='"$(MIG_VERSION)"' \
	-DG_LOG_DOMAIN='"mig-agent"' -DG_LOG_USE_STRUCTURED \
	$$(pkg-config --cflags json-glib-1.0 libnetfilter_conntrack libnftables)
AGENT_LIBS = $$(pkg-config --libs glib-2.0 json-glib-1.0 libnetfilter_conntrack libnftables) \
	$(LIB_LIBS)

$(BUILD)/bin/mig-agent: agent/main.c $(AGENT_SRCS) $(AGENT_HDRS) $(LIBMIG)
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) -o $@ agent/main.c $(AGENT_SRCS) $(LIBMIG) $(AGENT_LIBS)

HOST_TOOLS += $(BUILD)/bin/mig-agent
