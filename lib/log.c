// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - the daemons' GLib log writer (see log.h).
 */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static bool log_debug;
static const char *log_program = "mig";

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields,
			       gsize n_fields, gpointer data)
{
	const char *msg = NULL, *tag;
	char ts[32];
	GDateTime *now;

	(void)data;
	if ((level & G_LOG_LEVEL_DEBUG) && !log_debug)
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
	fprintf(stderr, "%s %s[%d]: %s: %s\n", ts, log_program, (int)getpid(), tag,
		msg ? msg : "");
	return G_LOG_WRITER_HANDLED;
}

void mig_log_init(const char *program, bool debug)
{
	log_program = program;
	log_debug = debug;
	g_log_set_writer_func(writer, NULL, NULL);
}
