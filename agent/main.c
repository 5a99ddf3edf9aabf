// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-agent - the per-host agent (docs/netstate.md): moves a migrating
 * VM's dynamic network state of this host (conntrack entries,
 * DHCP-snooping bindings, counters) to the host it migrates to, on the
 * manager's request, and snoops DHCP into the bindings.
 *
 *   mig-agent [-c FILE] [-d|--debug] [--print-config] [--version]
 */
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib.h>

#include "config.h"
#include "log.h"
#include "ops.h"
#include "server.h"
#include "snoop.h"

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	gboolean debug = FALSE, print = FALSE, version = FALSE;
	char *path = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
		  "configuration file (default " AGENT_CONFIG_DEFAULT_PATH ")", "FILE" },
		{ "debug", 'd', 0, G_OPTION_ARG_NONE, &debug, "log debug messages", NULL },
		{ "print-config", 0, 0, G_OPTION_ARG_NONE, &print,
		  "print the example configuration (every key, its default) and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("");
	g_autoptr(GError) err = NULL;
	struct agent_config cfg;
	struct agent *a;
	struct server *srv;
	struct snoop *sn = NULL;
	GMainLoop *loop;
	char where[ADDR_STRLEN];

	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_set_summary(oc, "Moves a migrating VM's network state of this host (docs/netstate.md).");
	if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 1) {
		fprintf(stderr, "mig-agent: %s\n", err ? err->message : "no arguments expected");
		return 2;
	}
	if (version) {
		printf("mig-agent %s\n", MIG_VERSION);
		return 0;
	}
	if (print) {
		g_autofree char *text = agent_config_example();

		fputs(text, stdout);
		return 0;
	}
	mig_log_init("mig-agent", debug);
	if (!agent_config_load(&cfg, path ? path : AGENT_CONFIG_DEFAULT_PATH, &err)) {
		g_critical("%s", err->message);
		return 1;
	}
	a = agent_new(&cfg);
	srv = server_start(&cfg, a, &err);
	if (!srv) {
		g_critical("%s", err->message);
		return 1;
	}
	if (cfg.snoop && !(sn = snoop_start(&cfg, &err))) {
		g_critical("%s", err->message);
		server_stop(srv);
		return 1;
	}
	g_info("mig-agent %s: host %s, listening on %s, table inet %s, snooping %s",
	       MIG_VERSION, cfg.name, addr_format(&cfg.listen, where, sizeof(where)),
	       cfg.table, cfg.snoop ? cfg.snoop : "off");
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_main_loop_run(loop);
	g_info("shutting down");
	snoop_stop(sn);
	server_stop(srv);
	agent_free(a);
	agent_config_clear(&cfg);
	g_main_loop_unref(loop);
	g_free(path);
	return 0;
}
