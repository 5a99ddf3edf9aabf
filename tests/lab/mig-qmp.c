// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-qmp - minimal QMP client for the lab tests and the demo
 *
 *   mig-qmp [-t SECONDS] SOCKET COMMAND [ARGUMENTS-JSON]
 *	Runs one QMP command and prints its "return" value as one line of
 *	JSON. An "error" reply is printed on stderr, exit status 1.
 *   mig-qmp [-t SECONDS] SOCKET --events [EVENT]
 *	Prints every event as one line of JSON until EVENT arrives (or
 *	forever without EVENT); exit status 3 when the time limit ends first.
 *
 * Exit status: 0 success, 1 QMP error reply, 2 usage or connection
 * error, 3 timeout.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

/**
 * struct qmp - one QMP connection
 * @conn:	the socket connection
 * @in:		line reader on the connection
 * @out:	output stream of the connection
 */
struct qmp {
	GSocketConnection *conn;
	GDataInputStream *in;
	GOutputStream *out;
};

static void die(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("mig-qmp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void on_alarm(int sig)
{
	static const char msg[] = "mig-qmp: timed out\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* Read one JSON object; returns NULL at end of stream. */
static JsonObject *qmp_read(struct qmp *q, JsonParser *parser)
{
	GError *err = NULL;
	gsize len;
	char *line;

	for (;;) {
		line = g_data_input_stream_read_line_utf8(q->in, &len, NULL, &err);
		if (!line) {
			if (err)
				die(2, "read: %s", err->message);
			return NULL;
		}
		if (len == 0 || (len == 1 && line[0] == '\r')) {
			g_free(line);
			continue;
		}
		if (!json_parser_load_from_data(parser, line, len, &err))
			die(2, "malformed reply '%s': %s", line, err->message);
		g_free(line);
		if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
			die(2, "reply is not a JSON object");
		return json_node_get_object(json_parser_get_root(parser));
	}
}

static void qmp_write(struct qmp *q, const char *json)
{
	GError *err = NULL;

	if (!g_output_stream_write_all(q->out, json, strlen(json), NULL, NULL, &err) ||
	    !g_output_stream_write_all(q->out, "\n", 1, NULL, NULL, &err))
		die(2, "write: %s", err->message);
}

static char *node_to_string(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	char *s;

	json_generator_set_root(gen, node);
	s = json_generator_to_data(gen, NULL);
	g_object_unref(gen);
	return s;
}

/* Wait for the reply to the last command; events are skipped. */
static int qmp_reply(struct qmp *q, JsonParser *parser, gboolean print)
{
	JsonObject *o;

	while ((o = qmp_read(q, parser))) {
		if (json_object_has_member(o, "return")) {
			if (print) {
				char *s = node_to_string(json_object_get_member(o, "return"));

				puts(s);
				g_free(s);
			}
			return 0;
		}
		if (json_object_has_member(o, "error")) {
			JsonObject *e = json_object_get_object_member(o, "error");

			fprintf(stderr, "mig-qmp: %s: %s\n",
				json_object_get_string_member_with_default(e, "class", "Error"),
				json_object_get_string_member_with_default(e, "desc", "?"));
			return 1;
		}
	}
	die(2, "connection closed before the reply");
	return 2;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: mig-qmp [-t SECONDS] SOCKET COMMAND [ARGUMENTS-JSON]\n"
		"       mig-qmp [-t SECONDS] SOCKET --events [EVENT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	GSocketClient *client;
	GSocketAddress *addr;
	GError *err = NULL;
	JsonParser *parser;
	struct qmp q;
	int timeout = 30, i = 1, ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage();
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout = atoi(argv[2]);
		i = 3;
	}
	if (argc - i < 2 || argc - i > 3)
		usage();

	signal(SIGALRM, on_alarm);
	alarm(timeout > 0 ? timeout : 30);

	client = g_socket_client_new();
	addr = g_unix_socket_address_new(argv[i]);
	q.conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &err);
	if (!q.conn)
		die(2, "connect %s: %s", argv[i], err->message);
	q.in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(q.conn)));
	g_data_input_stream_set_newline_type(q.in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
	q.out = g_io_stream_get_output_stream(G_IO_STREAM(q.conn));
	parser = json_parser_new();

	if (!qmp_read(&q, parser))
		die(2, "no QMP greeting on %s", argv[i]);
	qmp_write(&q, "{\"execute\": \"qmp_capabilities\"}");
	if (qmp_reply(&q, parser, FALSE))
		die(2, "qmp_capabilities refused");

	if (!strcmp(argv[i + 1], "--events")) {
		const char *until = argc - i == 3 ? argv[i + 2] : NULL;
		JsonObject *o;

		while ((o = qmp_read(&q, parser))) {
			if (!json_object_has_member(o, "event"))
				continue;
			char *s = node_to_string(json_parser_get_root(parser));

			puts(s);
			fflush(stdout);
			g_free(s);
			if (until && !strcmp(json_object_get_string_member(o, "event"), until))
				return 0;
		}
		return until ? 2 : 0;
	}

	if (argc - i == 3) {
		JsonParser *ap = json_parser_new();
		JsonNode *cmd;
		JsonObject *co = json_object_new();
		char *s;

		if (!json_parser_load_from_data(ap, argv[i + 2], -1, &err) ||
		    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(ap)))
			die(2, "arguments must be a JSON object: %s", argv[i + 2]);
		json_object_set_string_member(co, "execute", argv[i + 1]);
		json_object_set_member(co, "arguments", json_node_copy(json_parser_get_root(ap)));
		cmd = json_node_init_object(json_node_alloc(), co);
		s = node_to_string(cmd);
		qmp_write(&q, s);
		g_free(s);
	} else {
		char *s = g_strdup_printf("{\"execute\": \"%s\"}", argv[i + 1]);

		qmp_write(&q, s);
		g_free(s);
	}
	ret = qmp_reply(&q, parser, TRUE);
	fflush(stdout);
	return ret;
}
