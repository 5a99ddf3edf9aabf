/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - mig-agent's TCP listener: one thread accepts, one thread per
 * connection runs the TLS-PSK handshake (lib/tlspsk.h) and answers its
 * requests (ops.h) until the peer closes or goes quiet.
 */
#ifndef MIG_AGENT_SERVER_H
#define MIG_AGENT_SERVER_H

#include <glib.h>

#include "ops.h"

struct server;

/**
 * server_start() - listen on @c->listen and serve @a.
 * @c: configuration.
 * @a: the agent.
 * @error: set if the address cannot be bound.
 *
 * Return: the server, or NULL.
 */
struct server *server_start(const struct agent_config *c, struct agent *a,
			    GError **error);

/**
 * server_stop() - stop accepting, wait for the sessions, free.
 * @s: the server, or NULL.
 */
void server_stop(struct server *s);

#endif /* MIG_AGENT_SERVER_H */
