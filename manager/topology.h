/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * topology.h - the network topology of the network-state transfer
 * (docs/netstate.md §2, seed 004): the hosts (the addresses their QEMUs
 * talk to the manager from, the device between each host and its
 * gateway), the devices (type, the agent that reads and writes their
 * state) and the transfer mode of each pair of hosts.  A GLib key file:
 *
 *   [host host-a]
 *   addresses = 10.98.0.1        (several: separated by commas)
 *   device = fw-a
 *   [device fw-a]
 *   type = nftables
 *   agent = 10.98.0.1:7795
 *   [transfer host-a host-b]
 *   mode = push              (fetch, pull or push; default fetch)
 */
#ifndef MIG_TOPOLOGY_H
#define MIG_TOPOLOGY_H

#include <stdbool.h>

#include <glib.h>

#include "addr.h"

/** enum topo_mode - who moves the state (the seed's three modes). */
enum topo_mode {
	TOPO_FETCH, /* (a) the manager fetches it and sends it on */
	TOPO_PULL,  /* (b) the destination's agent fetches it from the source's */
	TOPO_PUSH,  /* (c) the source's agent sends it to the destination's */
};

/**
 * struct topo_device - a device between a host and its gateway.
 * @name: its name (its agent's key derives from it).
 * @type: its type ("nftables": conntrack, bindings set, counters).
 * @agent: its agent's address.
 */
struct topo_device {
	char *name;
	char *type;
	struct mig_addr agent;
};

/**
 * struct topo_host - a hypervisor host.
 * @name: its name.
 * @addresses: the addresses its QEMUs reach the manager from.
 * @device: its gateway device.
 */
struct topo_host {
	char *name;
	GArray *addresses;
	const struct topo_device *device;
};

struct topo;

/**
 * topo_load() - read a topology file.
 * @path: the file.
 * @error: set on failure, naming the group and key.
 *
 * Return: the topology (topo_free()), or NULL.
 */
struct topo *topo_load(const char *path, GError **error);

/**
 * topo_load_data() - the same from text.
 * @text: the file's contents.
 * @error: set on failure.
 *
 * Return: the topology, or NULL.
 */
struct topo *topo_load_data(const char *text, GError **error);

/**
 * topo_free() - free it.
 * @t: the topology, or NULL.
 */
void topo_free(struct topo *t);

/**
 * topo_host() - a host by name.
 * @t: the topology.
 * @name: its name.
 *
 * Return: the host, or NULL.
 */
const struct topo_host *topo_host(const struct topo *t, const char *name);

/**
 * topo_host_of() - the host a QEMU's address belongs to.
 * @t: the topology.
 * @a: the address (its port is ignored).
 *
 * Return: the host, or NULL.
 */
const struct topo_host *topo_host_of(const struct topo *t, const struct mig_addr *a);

/**
 * topo_device() - a device by name.
 * @t: the topology.
 * @name: its name.
 *
 * Return: the device, or NULL.
 */
const struct topo_device *topo_device(const struct topo *t, const char *name);

/**
 * topo_mode() - the transfer mode from @src to @dst.
 * @t: the topology.
 * @src: source host.
 * @dst: destination host.
 *
 * Return: the mode (fetch if the pair has none).
 */
enum topo_mode topo_mode(const struct topo *t, const struct topo_host *src,
			 const struct topo_host *dst);

/**
 * topo_mode_name() - "fetch", "pull" or "push".
 * @m: the mode.
 *
 * Return: its name.
 */
const char *topo_mode_name(enum topo_mode m);

#endif /* MIG_TOPOLOGY_H */
