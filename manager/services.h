/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services.h - mig-manager as the migration component of seed 003
 * (docs/services.md): the services a VM offers are rows of an inventory
 * (inventory.h); when the VM runs at the destination (ACTIVATED) with a
 * new address, the rows get that address and the services' DNS names are
 * pointed at it by RFC 2136 updates signed with TSIG (dnsupdate.h), on a
 * worker thread, retried with backoff while the server does not take
 * them.  "Start then cut": nothing is changed before ACTIVATED.
 *
 * Admin commands (answered at once):
 *   service-add {id, name, vm, address?}   (address: the VM's registered IP)
 *   service-remove {id}
 *   services {vm?}                          (the rows, with their DNS state)
 *   service-scope {vm, services?: [id...]}  which services follow the VM's
 *       next migration: the listed ones (single migration), or all of the
 *       VM's (batch migration, the default and what an empty list means)
 * migctl show has the VM's "services"; the counters are the service-* and
 * dns-* rows of lib/counters.h.
 */
#ifndef MIG_SERVICES_H
#define MIG_SERVICES_H

#include "core.h"

struct services;

/**
 * services_new() - the services part for core @m (hooks are added to it).
 * @m: the core; its configuration names the inventory and the DNS server.
 * @error: set if the inventory cannot be opened or the TSIG key not read.
 * Return: the part (services_free()), or NULL.  Without an inventory in
 * the configuration it does nothing (and answers that it is off).
 */
struct services *services_new(struct mgr *m, GError **error);

/**
 * services_free() - wait for the running updates, cancel the retries, free.
 * @s: the part, or NULL.
 */
void services_free(struct services *s);

#endif /* MIG_SERVICES_H */
