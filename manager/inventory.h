/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inventory.h - the services' data table of seed 003 (docs/services.md):
 * one SQLite table of the services the VMs offer, with the address each
 * one is reached at and whether its DNS name points there yet.
 *
 *   services(id TEXT PRIMARY KEY, name TEXT UNIQUE, vm TEXT, address TEXT,
 *            state TEXT, dns TEXT, error TEXT, updated INTEGER)
 *
 * @state is where the service stands ("live": running at @address;
 * "moving": its VM migrates and the service follows it), @dns whether its
 * name points at @address ("current", "pending", "retrying", "failed",
 * "off" when the manager updates no DNS), @error the last DNS error and
 * @updated the wall-clock seconds of the last change.  Used on the main
 * loop only; every call is one short statement on a local file.
 */
#ifndef MIG_INVENTORY_H
#define MIG_INVENTORY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct inventory;

/**
 * struct inv_service - one row of the table.
 * @id: the service's id (the operator's key).
 * @name: its DNS name (absolute or relative to the manager's dns-zone).
 * @vm: the VM it runs on (the manager's VM name).
 * @address: the IPv4 or IPv6 address it is reached at.
 * @state: "live" or "moving".
 * @dns: "current", "pending", "retrying", "failed" or "off".
 * @error: the last DNS error, "" if none.
 * @updated: wall-clock seconds of the last change.
 */
struct inv_service {
	char *id;
	char *name;
	char *vm;
	char *address;
	char *state;
	char *dns;
	char *error;
	int64_t updated;
};

/**
 * inventory_open() - open (and create if needed) the table in @path.
 * @path: database file; its directory must exist.
 * @error: set on failure, naming the file and SQLite's message.
 * Return: the inventory (inventory_close()), or NULL.
 */
struct inventory *inventory_open(const char *path, GError **error);

/**
 * inventory_close() - close the database.
 * @inv: the inventory, or NULL.
 */
void inventory_close(struct inventory *inv);

/**
 * inventory_add() - add a service, live at @address, its DNS "pending".
 * @inv: the inventory.
 * @id: its id (1 to 64 of [A-Za-z0-9_.-]).
 * @name: its DNS name (a valid domain name).
 * @vm: its VM.
 * @address: a numeric IPv4 or IPv6 address.
 * @error: set if a value is invalid or the id or name is taken.
 * Return: true if added.
 */
bool inventory_add(struct inventory *inv, const char *id, const char *name,
		   const char *vm, const char *address, GError **error);

/**
 * inventory_remove() - remove a service.
 * @inv: the inventory.
 * @id: its id.
 * @error: set if there is no such service.
 * Return: true if removed.
 */
bool inventory_remove(struct inventory *inv, const char *id, GError **error);

/**
 * inventory_list() - the services of a VM, or all, by id.
 * @inv: the inventory.
 * @vm: the VM, or NULL for all.
 * @error: set on a database error.
 * Return: a GPtrArray of struct inv_service (it frees them), or NULL.
 */
GPtrArray *inventory_list(struct inventory *inv, const char *vm, GError **error);

/**
 * inventory_get() - one service.
 * @inv: the inventory.
 * @id: its id.
 * @error: set if there is no such service.
 * Return: the row (inv_service_free()), or NULL.
 */
struct inv_service *inventory_get(struct inventory *inv, const char *id, GError **error);

/**
 * inventory_set() - change a service's address, state, DNS state and error.
 * @inv: the inventory.
 * @id: its id.
 * @address: the new address, or NULL to keep it.
 * @state: the new state, or NULL to keep it.
 * @dns: the new DNS state, or NULL to keep it.
 * @dns_error: the new error, or NULL to keep it.
 * @error: set if there is no such service or on a database error.
 * Return: true if changed.
 */
bool inventory_set(struct inventory *inv, const char *id, const char *address,
		   const char *state, const char *dns, const char *dns_error,
		   GError **error);

/**
 * inv_service_free() - free a row.
 * @s: the row, or NULL.
 */
void inv_service_free(struct inv_service *s);

#endif /* MIG_INVENTORY_H */
