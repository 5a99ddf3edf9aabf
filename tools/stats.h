/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - Prometheus text exposition of the manager's counters, served
 * over HTTP (GET /metrics) on the stats= address.
 */
#ifndef MIG_STATS_H
#define MIG_STATS_H

#include <glib.h>

#include "mgr.h"

struct stats_server;

/**
 * stats_render() - the metrics in Prometheus text format 0.0.4.
 * @m: core.
 *
 * Return: the text; g_free() it.
 */
char *stats_render(const struct mgr *m);

/**
 * stats_server_new() - serve GET /metrics on @a.
 * @m: core.
 * @a: TCP address to listen on.
 * @error: set on failure.
 *
 * Return: the server, or NULL.
 */
struct stats_server *stats_server_new(const struct mgr *m,
				      const struct mig_addr *a,
				      GError **error);

/**
 * stats_server_free() - stop serving.
 * @s: server, or NULL.
 */
void stats_server_free(struct stats_server *s);

#endif /* MIG_STATS_H */
