/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - Prometheus text exposition of the manager's counters, served
 * over HTTP (GET /metrics) on the stats= address.
 */
#ifndef MIG_METRICS_H
#define MIG_METRICS_H

#include <glib.h>

#include "core.h"

struct metrics_server;

/**
 * metrics_render() - the metrics in Prometheus text format 0.0.4.
 * @m: core.
 *
 * Return: the text; g_free() it.
 */
char *metrics_render(const struct mgr *m);

/**
 * metrics_server_new() - serve GET /metrics on @a.
 * @m: core.
 * @a: TCP address to listen on.
 * @error: set on failure.
 *
 * Return: the server, or NULL.
 */
struct metrics_server *metrics_server_new(struct mgr *m,
				      const struct mig_addr *a,
				      GError **error);

/**
 * metrics_server_free() - stop serving.
 * @s: server, or NULL.
 */
void metrics_server_free(struct metrics_server *s);

#endif /* MIG_METRICS_H */
