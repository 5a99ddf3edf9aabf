/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netstate.h - mig-manager as the migration management apparatus of seed
 * 004 (docs/netstate.md): on a VM's window it moves the VM's dynamic
 * network state (conntrack entries, DHCP-snooping bindings, counters)
 * from the gateway device of the source host to that of the destination
 * host, through their mig-agents, in the mode the topology says for the
 * pair (fetch, pull or push).
 *
 * Phases, each a job run by a worker thread (the data path never waits
 * for an agent):
 *   precopy  - at registration, when both hosts are known (migctl
 *              register --src-host --dest-host): a first copy;
 *   suspend  - at SUSPENDING, when the destination is known: the copy of
 *              the stopped VM's state;
 *   activate - at ACTIVATED: the last changes, announced at the
 *              destination, then the state is deleted at the source;
 *              DRAINED waits (netstate-wait-ms) until the state is in
 *              place: a precopy's or the suspend phase's, else this
 *              one's;
 *   abort    - at ABORTED: what was copied is deleted at the destination.
 * Results come back to the main loop; migctl show (the core's describe
 * hook) and the metrics have them.
 */
#ifndef MIG_NETSTATE_H
#define MIG_NETSTATE_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core.h"
#include "topology.h"

struct netstate;

/**
 * netstate_new() - the transfers of core @m over topology @t.
 * @m: the core (its hooks are set to this).
 * @t: the topology (taken).
 * @kick: wakes the core's timers up after a result (udp_kick()).
 * @kick_data: for @kick.
 *
 * Return: the transfers (netstate_free()).
 */
struct netstate *netstate_new(struct mgr *m, struct topo *t,
			      void (*kick)(void *), void *kick_data);

/**
 * netstate_free() - wait for the running jobs, free.
 * @n: the transfers, or NULL.
 */
void netstate_free(struct netstate *n);

#endif /* MIG_NETSTATE_H */
