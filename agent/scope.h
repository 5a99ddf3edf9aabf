/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scope.h - what another agent may touch with a ticket (docs/netstate.md
 * §4): only the state of the ticket's VM, the MACs the manager named in
 * the ticket and the addresses they are bound to, whatever the other
 * agent sends or asks for.
 */
#ifndef MIG_AGENT_SCOPE_H
#define MIG_AGENT_SCOPE_H

#include <json-glib/json-glib.h>

/**
 * scope_state() - drop from an imported state what is not the VM's: the
 * bindings of other MACs, then the conntrack entries and counters of
 * addresses none of the remaining bindings (nor @ips) give.
 * @state: the state (changed in place).
 * @macs: the ticket's MACs, NULL-terminated.
 * @ips: addresses the manager named for the VM (NULL-terminated, may be
 *       empty).
 *
 * Return: how many objects were dropped.
 */
unsigned int scope_state(JsonObject *state, const char *const *macs,
			 const char *const *ips);

#endif /* MIG_AGENT_SCOPE_H */
