/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin-client.h - migctl's side of mig-manager's admin socket (a unix
 * stream socket, one JSON request per line, one JSON answer per line;
 * the daemon's side is manager/admin.c).
 */
#ifndef MIGCTL_ADMIN_CLIENT_H
#define MIGCTL_ADMIN_CLIENT_H

#include <json-glib/json-glib.h>

#define ADMIN_DEFAULT_SOCKET "/run/mig-manager/control.sock"

/**
 * admin_call() - send one request to mig-manager and read its answer.
 * @sock: path of the daemon's admin socket.
 * @request: the request, a JSON object (not consumed).
 * @error: set on failure: code MIGCTL_REFUSED (the daemon answered
 *         ok=false; the message is its error) or MIGCTL_UNREACHABLE
 *         (cannot connect, no answer or a malformed one).
 *
 * Return: the answer's "result" member (json_node_unref() it), or NULL.
 */
JsonNode *admin_call(const char *sock, JsonNode *request, GError **error);

/**
 * admin_request() - the request {"cmd": CMD[, "vm": VM]}.
 * @cmd: command name (status, vms, show, ...).
 * @vm: VM name or UUID, or NULL for commands without one.
 *
 * Return: a new JsonNode (json_node_unref() it).
 */
JsonNode *admin_request(const char *cmd, const char *vm);

/**
 * admin_simple() - admin_call() of admin_request(@cmd, @vm).
 * @sock: as for admin_call().
 * @cmd: as for admin_request().
 * @vm: as for admin_request().
 * @error: as for admin_call().
 *
 * Return: as admin_call().
 */
JsonNode *admin_simple(const char *sock, const char *cmd, const char *vm,
		       GError **error);

#endif /* MIGCTL_ADMIN_CLIENT_H */
