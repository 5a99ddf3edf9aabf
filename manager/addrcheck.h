/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addrcheck.h - the check of a VM's new address at the destination
 * (docs/services.md, seeds 000 S301-S315 and 003): after ACTIVATED, for a
 * VM registered with --new-ip, the manager holds its services' names
 * until the destination host's mig-agent reports that the VM answers an
 * ARP probe for the new address from its own MAC on its bridge.  With
 * --new-ip dhcp the address is learned first: the VM's new DHCP-snooping
 * binding there.  Then the names are cut over to it (start, then cut).
 */
#ifndef MIG_ADDRCHECK_H
#define MIG_ADDRCHECK_H

#include "core.h"
#include "topology.h"

struct addrcheck;

/**
 * addrcheck_new() - start the checks (hooks into @m; one worker thread).
 * @m: the core.
 * @t: the topology (borrowed: it must outlive the checks).
 * @kick: called on the main loop when a check ended (the core has
 *        frames to send).
 * @kick_data: for @kick.
 *
 * Return: the checks; addrcheck_free() ends them.
 */
struct addrcheck *addrcheck_new(struct mgr *m, const struct topo *t,
				void (*kick)(void *), void *kick_data);

/**
 * addrcheck_free() - stop: wait for the running check, drop its result.
 * @a: the checks, or NULL.
 */
void addrcheck_free(struct addrcheck *a);

#endif /* MIG_ADDRCHECK_H */
