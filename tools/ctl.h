/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the local control socket of mig-manager (migctl's side):
 * a unix stream socket carrying one JSON object per line each way.
 *
 * Request:  {"cmd": "status"|"vms"|"show"|"register"|"flush"|"release",
 *            "vm": NAME-OR-UUID, ...register fields...}
 * Response: {"ok": true, "result": {...}} or {"ok": false, "error": "..."}
 */
#ifndef MIG_CTL_H
#define MIG_CTL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mgr.h"

struct ctl_server;

/**
 * ctl_vm_json() - a VM as JSON (migctl show / vms).
 * @m: core (for the clock).
 * @vm: VM.
 *
 * Return: a new JsonNode (object).
 */
JsonNode *ctl_vm_json(const struct mgr *m, const struct mig_vm *vm);

/**
 * ctl_handle() - answer one request line.
 * @m: core.
 * @line: the request, a JSON object.
 *
 * Return: the response line without newline; g_free() it.
 */
char *ctl_handle(struct mgr *m, const char *line);

/**
 * ctl_server_new() - listen on the unix socket @path (mode 0600; a stale
 * socket file is replaced).
 * @m: core.
 * @path: socket path.
 * @changed: called after each request that may change the core, or NULL.
 * @data: passed to @changed.
 * @error: set on failure.
 *
 * Return: the server, or NULL.
 */
struct ctl_server *ctl_server_new(struct mgr *m, const char *path,
				  void (*changed)(void *data), void *data,
				  GError **error);

/**
 * ctl_server_free() - stop listening and remove the socket file.
 * @s: server, or NULL.
 */
void ctl_server_free(struct ctl_server *s);

#endif /* MIG_CTL_H */
