// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctlclient.c - client side of mig-manager's local control socket
 *
 * The protocol is the one of tools/ctl.c: the client writes a JSON object
 * and a newline, the daemon answers {"ok": true, "result": ...} or
 * {"ok": false, "error": "..."} and a newline.
 */
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "ctlclient.h"

int ctlclient_call(const char *sock, const char *request, JsonNode **result,
		   char **message)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(sock);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	g_autofree char *line = NULL;
	GOutputStream *out;
	JsonObject *resp;

	*result = NULL;
	*message = NULL;
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL,
				       &err);
	if (!conn) {
		*message = g_strdup_printf("cannot reach mig-manager at %s: %s (is the daemon running?)",
					   sock, err->message);
		return CTL_UNREACHABLE;
	}
	out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	if (!g_output_stream_write_all(out, request, strlen(request), NULL, NULL, &err) ||
	    !g_output_stream_write_all(out, "\n", 1, NULL, NULL, &err)) {
		*message = g_strdup_printf("sending to %s: %s", sock, err->message);
		return CTL_UNREACHABLE;
	}
	in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	line = g_data_input_stream_read_line(in, NULL, NULL, &err);
	if (!line) {
		*message = g_strdup_printf("no answer from %s%s%s", sock,
					   err ? ": " : "", err ? err->message : "");
		return CTL_UNREACHABLE;
	}
	if (!json_parser_load_from_data(p, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		*message = g_strdup_printf("bad answer from the daemon: %s", line);
		return CTL_UNREACHABLE;
	}
	resp = json_node_get_object(json_parser_get_root(p));
	if (!json_object_get_boolean_member_with_default(resp, "ok", FALSE)) {
		*message = g_strdup(json_object_get_string_member_with_default(resp, "error",
									       "request failed"));
		return CTL_REFUSED;
	}
	*result = json_object_has_member(resp, "result") ?
		json_node_copy(json_object_get_member(resp, "result")) :
		json_node_new(JSON_NODE_NULL);
	return CTL_OK;
}

int ctlclient_simple(const char *sock, const char *cmd, const char *vm,
		     JsonNode **result, char **message)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *req = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, cmd);
	if (vm) {
		json_builder_set_member_name(b, "vm");
		json_builder_add_string_value(b, vm);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	req = json_to_string(root, FALSE);
	return ctlclient_call(sock, req, result, message);
}
