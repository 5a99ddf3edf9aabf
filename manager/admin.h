/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.h - the admin socket of mig-manager (migctl's side): a unix
 * stream socket (mode 0600) carrying one JSON object per line each way.
 *
 * Request:  {"cmd": "status"|"vms"|"show"|"register"|"flush"|"release"|
 *            "forget"|"key", "vm": NAME-OR-UUID, ...register fields...,
 *            "peer": NAME (key)}
 * Response: {"ok": true, "result": {...}} or {"ok": false, "error": "..."}
 */
#ifndef MIG_ADMIN_H
#define MIG_ADMIN_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core.h"

struct admin_server;

/**
 * admin_vm_json() - a VM as JSON (migctl show / vms).
 * @m: core (for the clock).
 * @vm: VM.
 *
 * Return: a new JsonNode (object).
 */
JsonNode *admin_vm_json(const struct mgr *m, const struct mig_vm *vm);

/**
 * admin_status_json() - the daemon's summary as JSON (migctl status).
 * @m: core.
 *
 * Return: a new JsonNode (object).
 */
JsonNode *admin_status_json(const struct mgr *m);

/**
 * admin_handle() - answer one request line.
 * @m: core.
 * @line: the request, a JSON object.
 *
 * Return: the response line without newline; g_free() it.
 */
char *admin_handle(struct mgr *m, const char *line);

/**
 * admin_server_new() - listen on the unix socket @path (mode 0600; a stale
 * socket file is replaced).
 * @m: core.
 * @path: socket path.
 * @changed: called after each request that may change the core, or NULL.
 * @data: passed to @changed.
 * @error: set on failure.
 *
 * Return: the server, or NULL.
 */
struct admin_server *admin_server_new(struct mgr *m, const char *path,
				  void (*changed)(void *data), void *data,
				  GError **error);

/**
 * admin_server_free() - stop listening and remove the socket file.
 * @s: server, or NULL.
 */
void admin_server_free(struct admin_server *s);

#endif /* MIG_ADMIN_H */
