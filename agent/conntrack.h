/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conntrack.h - a VM's entries of this host's connection-tracking table
 * (libnetfilter_conntrack): export as JSON, import, delete.
 *
 * An entry is the VM's when its original-direction source or destination
 * is one of the VM's addresses; entries of other VMs are never touched.
 * Imported TCP entries get IP_CT_TCP_FLAG_BE_LIBERAL in both directions
 * (as conntrackd's default "TCPWindowTracking Off"): the sequence windows
 * the source host tracked cannot be carried over netlink, and the peer
 * may have sent more while the VM was stopped.
 */
#ifndef MIG_AGENT_CONNTRACK_H
#define MIG_AGENT_CONNTRACK_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

/**
 * struct ct_result - what an operation did.
 * @entries: entries exported, created or deleted.
 * @updated: import: entries that existed and were updated.
 * @failed: entries the kernel refused.
 * @skipped: export: entries over the limit.
 */
struct ct_result {
	unsigned int entries;
	unsigned int updated;
	unsigned int failed;
	unsigned int skipped;
};

/**
 * ct_export() - the entries of the addresses @ips.
 * @ips: IPv4 or IPv6 addresses (text), NULL-terminated.
 * @max: most entries.
 * @r: filled in.
 * @error: set if the table cannot be read.
 *
 * Return: a JSON array of entries, or NULL.
 */
JsonNode *ct_export(const char *const *ips, unsigned int max,
		    struct ct_result *r, GError **error);

/**
 * ct_import() - create (or update) the entries of an export here.
 * @entries: the JSON array ct_export() made.
 * @r: filled in.
 * @error: set if the table cannot be written at all, or on malformed
 *         input.
 *
 * Return: true unless the whole import failed.
 */
bool ct_import(JsonArray *entries, struct ct_result *r, GError **error);

/**
 * ct_delete() - delete the entries of the addresses @ips.
 * @ips: the addresses, NULL-terminated.
 * @r: filled in.
 * @error: set if the table cannot be read.
 *
 * Return: true on success.
 */
bool ct_delete(const char *const *ips, struct ct_result *r, GError **error);

#endif /* MIG_AGENT_CONNTRACK_H */
