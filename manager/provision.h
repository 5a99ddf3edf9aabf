/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision.h - mig-manager as the source side's service control gateway
 * of seed 002 (docs/provisioning.md): before a VM migrates, its network
 * policy (nftables ACL, rate limits) and tenant channel (a VXLAN segment)
 * are read from the source host's mig-agent and set up by the
 * destination host's agent, which probes the channel and answers; only
 * then does the migration start.  Afterwards the source's copy is removed
 * (commit), or the destination's if the migration does not happen
 * (abort).
 *
 * Admin commands (answered when the agents have answered, from a worker
 * thread; the main loop never waits):
 *   prepare {vm, to, from?, port?, src-port?, min-bandwidth?}
 *   commit {vm}     (also on the VM's ACTIVATED)
 *   abort {vm}      (also on the VM's ABORTED)
 * migctl show has the VM's "provision" record; the counters are the
 * provision-* rows of lib/counters.h.
 */
#ifndef MIG_PROVISION_H
#define MIG_PROVISION_H

#include "core.h"
#include "topology.h"

struct provision;

/**
 * provision_new() - provisioning for the VMs of core @m over topology @t.
 * @m: the core (hooks are added to it).
 * @t: the topology (borrowed: it must outlive the provisioning).
 *
 * Return: the provisioning (provision_free()).
 */
struct provision *provision_new(struct mgr *m, const struct topo *t);

/**
 * provision_free() - wait for the running jobs, answer their waiters, free.
 * @p: the provisioning, or NULL.
 */
void provision_free(struct provision *p);

#endif /* MIG_PROVISION_H */
