// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-manager - the migration manager daemon: buffers a migrating VM's
 * guest-bound frames during the stop window and releases them to the
 * destination once the VM runs there (docs/manager.md, docs/protocol.md).
 *
 *   mig-manager [-c FILE] [-d|--debug] [--version]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "config.h"
#include "log.h"
#include "admin.h"
#include "core.h"
#include "udp.h"
#include "metrics.h"
#include "addrcheck.h"
#include "netstate.h"
#include "provision.h"
#include "services.h"

static gboolean opt_debug;

struct daemon {
	GMainLoop *loop;
};

static gboolean on_signal(gpointer data)
{
	struct daemon *d = data;

	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static void kick(void *data)
{
	udp_kick(data);
}

/* The daemon's parts around the core, started in this order. */
struct parts {
	struct mgr *m;
	struct udp *udp;
	struct admin_server *admin;
	struct metrics_server *metrics;
	struct netstate *netstate;
	struct provision *provision;
	struct addrcheck *addrcheck;
	struct services *services;
};

static bool start(struct parts *p, const struct mgr_config *cfg,
		  GError **error)
{
	p->m = mgr_new(cfg, error);
	if (!p->m)
		return false;
	p->udp = udp_new(p->m, error);
	if (!p->udp)
		return false;
	if (cfg->topology_file) {
		struct topo *t = topo_load(cfg->topology_file, error);

		if (!t)
			return false;
		p->netstate = netstate_new(p->m, t, kick, p->udp);
		p->provision = provision_new(p->m, t);
		p->addrcheck = addrcheck_new(p->m, t, kick, p->udp);
	}
	/* without inventory= it only answers that there is none */
	p->services = services_new(p->m, error);
	if (!p->services)
		return false;
	p->admin = admin_server_new(p->m, cfg->socket_path, kick, p->udp, error);
	if (!p->admin)
		return false;
	if (cfg->stats.len) {
		p->metrics = metrics_server_new(p->m, &cfg->stats, error);
		if (!p->metrics)
			return false;
	}
	return true;
}

static void stop(struct parts *p)
{
	metrics_server_free(p->metrics);
	/* provisioning answers its waiting admin sessions before they go */
	provision_free(p->provision);
	admin_server_free(p->admin);
	services_free(p->services);
	addrcheck_free(p->addrcheck);
	netstate_free(p->netstate);
	udp_free(p->udp);
	mgr_free(p->m);
}

static void run(const struct mgr_config *cfg)
{
	struct daemon d = { .loop = g_main_loop_new(NULL, FALSE) };
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN];

	g_unix_signal_add(SIGTERM, on_signal, &d);
	g_unix_signal_add(SIGINT, on_signal, &d);
	g_info("mig-manager %s: control %s, data %s, stats %s, socket %s, policy %s, %u redirect peers",
	       MIG_VERSION, addr_format(&cfg->control, a, sizeof(a)),
	       addr_format(&cfg->data, b, sizeof(b)),
	       cfg->stats.len ? addr_format(&cfg->stats, c, sizeof(c)) : "off",
	       cfg->socket_path, policy_name(cfg->policy), cfg->n_peers);
	g_main_loop_run(d.loop);
	g_info("signal received: shutting down");
	g_main_loop_unref(d.loop);
}

int main(int argc, char **argv)
{
	g_autofree char *conf = g_strdup(CONFIG_DEFAULT_PATH);
	gboolean version = FALSE, print_config = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &conf,
		  "configuration file (default " CONFIG_DEFAULT_PATH ")",
		  "FILE" },
		{ "debug", 'd', 0, G_OPTION_ARG_NONE, &opt_debug,
		  "log debug messages too", NULL },
		{ "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config,
		  "print the example configuration (every key, its default) and exit",
		  NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version,
		  "print the version and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc =
		g_option_context_new("- migration manager daemon");
	g_autoptr(GError) err = NULL;
	struct parts p = { 0 };
	struct mgr_config cfg;
	int rc = 0;

	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_set_summary(oc,
		"Buffers a migrating VM's guest-bound frames while it is suspended\n"
		"and releases them to the destination (see mig-manager(8)).");
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		fprintf(stderr, "mig-manager: %s (try --help)\n", err->message);
		return 2;
	}
	if (version || print_config) {
		g_autofree char *ex = print_config ? config_example() : NULL;

		if (ex)
			fputs(ex, stdout);
		else
			printf("mig-manager %s (protocol version %d)\n",
			       MIG_VERSION, HANDOFF_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "mig-manager: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	mig_log_init("mig-manager", opt_debug);

	config_defaults(&cfg);
	if (!config_load(&cfg, conf, &err)) {
		g_critical("configuration: %s", err->message);
		return 1;
	}
	if (start(&p, &cfg, &err)) {
		run(&cfg);
		mgr_shutdown(p.m);
	} else {
		g_critical("%s", err->message);
		rc = 1;
	}
	stop(&p);
	config_clear(&cfg);
	return rc;
}
