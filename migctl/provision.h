/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision.h - "migctl prepare", "migctl commit", "migctl abort": the
 * VM's policy and tenant channel set up at the destination before it
 * migrates, through mig-manager and the hosts' agents
 * (docs/provisioning.md); also used by "migctl migrate --provision".
 */
#ifndef MIGCTL_PROVISION_H
#define MIGCTL_PROVISION_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "migctl.h"

/**
 * struct prepare_args - what "migctl prepare" asks.
 * @vm: the VM (name or UUID, as registered with the manager).
 * @to: the destination host (a [host NAME] of the manager's topology).
 * @from: the source host, or NULL (the registration's --src-host).
 * @port: the VM's port (tap) at the destination, or NULL (found after the
 *        move).
 * @src_port: its port at the source, or NULL.
 * @min_bw: bytes/s the migration channel must carry (0: no check).
 */
struct prepare_args {
	const char *vm, *to, *from, *port, *src_port;
	gint64 min_bw;
};

/**
 * migctl_prepare() - provision the VM at the destination; returns when
 * the destination's agent has answered.
 * @sock: the manager's admin socket.
 * @a: the request.
 * @error: set on failure; its code (MIGCTL_ERROR) is the exit status:
 *         MIGCTL_DEST_REFUSED (conflict, channel too small, probe failed),
 *         MIGCTL_AGENT_UNREACHABLE, MIGCTL_REFUSED (bad request), or
 *         MIGCTL_UNREACHABLE (no manager).
 *
 * Return: the VM's provisioning record (json_node_unref()), or NULL.
 */
JsonNode *migctl_prepare(const char *sock, const struct prepare_args *a, GError **error);

/**
 * migctl_finish() - commit or abort a prepared VM.
 * @sock: the manager's admin socket.
 * @cmd: "commit" or "abort".
 * @vm: the VM.
 * @error: set on failure (as migctl_prepare()).
 *
 * Return: the VM's provisioning record, or NULL.
 */
JsonNode *migctl_finish(const char *sock, const char *cmd, const char *vm, GError **error);

/**
 * provision_describe() - one line of what a provisioning record says.
 * @r: the record (the "provision" member of migctl show's VM).
 *
 * Return: the line (g_free()).
 */
char *provision_describe(JsonObject *r);

/**
 * provision_main() - the commands prepare, commit and abort.
 * @o: migctl's options.
 * @argc: arguments, argv[0] the command.
 * @argv: them.
 *
 * Return: the exit status.
 */
int provision_main(const struct migctl_opts *o, int argc, char **argv);

#define PREPARE_ARGS \
	"VM --to HOST [--from HOST] [--port IF] [--src-port IF]\n" \
	"           [--min-bandwidth BYTES/s]"

#endif /* MIGCTL_PROVISION_H */
