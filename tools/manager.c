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
#include "ctl.h"
#include "mgr.h"
#include "net.h"
#include "stats.h"

static gboolean opt_debug;

/* Log to stderr (the journal when stderr is connected to it): info and
 * up by default, debug with -d. */
static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields,
			       gsize n_fields, gpointer data)
{
	const char *msg = NULL, *tag;
	char ts[32];
	GDateTime *now;

	(void)data;
	if ((level & G_LOG_LEVEL_DEBUG) && !opt_debug)
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)))
		return g_log_writer_journald(level, fields, n_fields, NULL);
	for (gsize i = 0; i < n_fields; i++)
		if (!strcmp(fields[i].key, "MESSAGE"))
			msg = fields[i].value;
	if (level & G_LOG_LEVEL_ERROR)
		tag = "error";
	else if (level & G_LOG_LEVEL_CRITICAL)
		tag = "critical";
	else if (level & G_LOG_LEVEL_WARNING)
		tag = "warning";
	else if (level & G_LOG_LEVEL_MESSAGE)
		tag = "notice";
	else if (level & G_LOG_LEVEL_INFO)
		tag = "info";
	else
		tag = "debug";
	now = g_date_time_new_now_local();
	g_snprintf(ts, sizeof(ts), "%02d:%02d:%02d.%03d",
		   g_date_time_get_hour(now), g_date_time_get_minute(now),
		   g_date_time_get_second(now),
		   g_date_time_get_microsecond(now) / 1000);
	g_date_time_unref(now);
	fprintf(stderr, "%s mig-manager[%d]: %s: %s\n", ts, (int)getpid(), tag,
		msg ? msg : "");
	return G_LOG_WRITER_HANDLED;
}

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
	net_kick(data);
}

int main(int argc, char **argv)
{
	g_autofree char *conf = g_strdup(CONFIG_DEFAULT_PATH);
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &conf,
		  "configuration file (default " CONFIG_DEFAULT_PATH ")",
		  "FILE" },
		{ "debug", 'd', 0, G_OPTION_ARG_NONE, &opt_debug,
		  "log debug messages too", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version,
		  "print the version and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc =
		g_option_context_new("- migration manager daemon");
	g_autoptr(GError) err = NULL;
	struct mgr_config cfg;
	struct ctl_server *ctl = NULL;
	struct stats_server *stats = NULL;
	struct daemon d = { 0 };
	struct net *net;
	struct mgr *m;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN];

	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_set_summary(oc,
		"Buffers a migrating VM's guest-bound frames while it is suspended\n"
		"and releases them to the destination (see mig-manager(8)).");
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		fprintf(stderr, "mig-manager: %s (try --help)\n", err->message);
		return 2;
	}
	if (version) {
		printf("mig-manager %s (protocol version %d)\n", MIG_VERSION,
		       PROTO_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "mig-manager: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	g_log_set_writer_func(writer, NULL, NULL);

	config_defaults(&cfg);
	if (!config_load(&cfg, conf, &err)) {
		g_critical("configuration: %s", err->message);
		return 1;
	}
	m = mgr_new(&cfg);
	net = net_new(m, &err);
	if (!net) {
		g_critical("%s", err->message);
		return 1;
	}
	ctl = ctl_server_new(m, cfg.socket_path, kick, net, &err);
	if (!ctl) {
		g_critical("%s", err->message);
		return 1;
	}
	if (cfg.stats.len) {
		stats = stats_server_new(m, &cfg.stats, &err);
		if (!stats) {
			g_critical("%s", err->message);
			return 1;
		}
	}
	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_signal, &d);
	g_unix_signal_add(SIGINT, on_signal, &d);
	g_info("mig-manager %s: control %s, data %s, stats %s, socket %s, policy %s, %u redirect peers",
	       MIG_VERSION, addr_format(&cfg.control, a, sizeof(a)),
	       addr_format(&cfg.data, b, sizeof(b)),
	       cfg.stats.len ? addr_format(&cfg.stats, c, sizeof(c)) : "off",
	       cfg.socket_path, policy_name(cfg.policy), cfg.n_peers);
	g_main_loop_run(d.loop);

	g_info("signal received: shutting down");
	mgr_shutdown(m);
	stats_server_free(stats);
	ctl_server_free(ctl);
	net_free(net);
	mgr_free(m);
	config_clear(&cfg);
	g_main_loop_unref(d.loop);
	return 0;
}
