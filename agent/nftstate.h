/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftstate.h - a VM's state in this host's nftables ruleset
 * (libnftables): its DHCP-snooping bindings (elements MAC . IP of the
 * bindings set, which the IP source guard rule matches) and its counters
 * (named counters vm_<ip>_tx and vm_<ip>_rx, and the rules in the
 * counters chain that feed them, which the agent owns).
 *
 * The table, the set and the chain are the operator's (the ruleset of
 * the host); the agent adds and removes elements, counters and rules.
 */
#ifndef MIG_AGENT_NFTSTATE_H
#define MIG_AGENT_NFTSTATE_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"

/**
 * struct nft_result - what an operation did.
 * @bindings: bindings exported, added or deleted.
 * @counters: counter pairs exported, created or deleted.
 * @failed: objects the kernel refused.
 */
struct nft_result {
	unsigned int bindings;
	unsigned int counters;
	unsigned int failed;
};

/**
 * nfts_export() - the bindings of @macs and the counters of @ips.
 * @c: configuration (table, set, chain).
 * @macs: MACs, NULL-terminated.
 * @ips: addresses, NULL-terminated (NULL: those the bindings give).
 * @r: filled in.
 * @error: set if the ruleset cannot be read.
 *
 * Return: {"bindings": [{mac, ip, timeout}], "counters": [{ip,
 * tx-packets, tx-bytes, rx-packets, rx-bytes}]}, or NULL.
 */
JsonNode *nfts_export(const struct agent_config *c, const char *const *macs,
		      const char *const *ips, struct nft_result *r, GError **error);

/**
 * nfts_import() - add the bindings and create the counters (with their
 * values, and their rules) of an export.
 * @c: configuration.
 * @state: what nfts_export() made.
 * @r: filled in.
 * @error: set if nothing could be written.
 *
 * Return: true unless the whole import failed.
 */
bool nfts_import(const struct agent_config *c, JsonObject *state,
		 struct nft_result *r, GError **error);

/**
 * nfts_delete() - remove the bindings of @macs and the counters and rules
 * of @ips.
 * @c: configuration.
 * @macs: MACs, NULL-terminated.
 * @ips: addresses, NULL-terminated.
 * @r: filled in.
 * @error: set if the ruleset cannot be read.
 *
 * Return: true on success.
 */
bool nfts_delete(const struct agent_config *c, const char *const *macs,
		 const char *const *ips, struct nft_result *r, GError **error);

/**
 * nfts_bind() - a binding learnt by DHCP snooping: add it (replacing an
 * older one of the MAC) with the lease time, and make sure the address
 * has its counters.
 * @c: configuration.
 * @mac: the client's MAC.
 * @ip: the address it was given.
 * @lease_s: the lease time.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool nfts_bind(const struct agent_config *c, const char *mac, const char *ip,
	       unsigned int lease_s, GError **error);

/**
 * nfts_ips_of() - the addresses the bindings give @macs.
 * @c: configuration.
 * @macs: MACs, NULL-terminated.
 *
 * Return: a NULL-terminated array (g_strfreev()), perhaps empty.
 */
char **nfts_ips_of(const struct agent_config *c, const char *const *macs);

#endif /* MIG_AGENT_NFTSTATE_H */
