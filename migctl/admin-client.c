// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * admin-client.c - migctl's side of mig-manager's admin socket.
 *
 * The client writes a JSON object and a newline; the daemon answers
 * {"ok": true, "result": ...} or {"ok": false, "error": "..."} and a
 * newline (manager/admin.c).
 */
#include "admin-client.h"

#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "migctl.h"

/* The exit status of a refusal with "code" (provisioning, provision.c of
 * the manager): the destination refused, or an agent is unreachable. */
static int exit_of(const char *code)
{
	static const char *const dest[] = { "conflict", "bandwidth", "probe", "system", NULL };

	if (!strcmp(code, "unreachable"))
		return MIGCTL_AGENT_UNREACHABLE;
	return g_strv_contains(dest, code) ? MIGCTL_DEST_REFUSED : MIGCTL_REFUSED;
}

JsonNode *admin_call(const char *sock, JsonNode *request, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(sock);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	g_autofree char *req = json_to_string(request, FALSE);
	g_autofree char *line = NULL;
	GOutputStream *out;
	JsonObject *resp;

	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL,
				       &err);
	if (!conn) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_UNREACHABLE,
			    "cannot reach mig-manager at %s: %s (is the daemon running?)",
			    sock, err->message);
		return NULL;
	}
	out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	if (!g_output_stream_write_all(out, req, strlen(req), NULL, NULL, &err) ||
	    !g_output_stream_write_all(out, "\n", 1, NULL, NULL, &err)) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_UNREACHABLE,
			    "sending to %s: %s", sock, err->message);
		return NULL;
	}
	in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	line = g_data_input_stream_read_line(in, NULL, NULL, &err);
	if (!line) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_UNREACHABLE,
			    "no answer from %s%s%s", sock, err ? ": " : "",
			    err ? err->message : "");
		return NULL;
	}
	if (!json_parser_load_from_data(p, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_UNREACHABLE,
			    "bad answer from the daemon: %s", line);
		return NULL;
	}
	resp = json_node_get_object(json_parser_get_root(p));
	if (!json_object_get_boolean_member_with_default(resp, "ok", FALSE)) {
		g_set_error_literal(error, MIGCTL_ERROR,
				    exit_of(json_object_get_string_member_with_default(resp, "code",
										       "")),
				    json_object_get_string_member_with_default(
					    resp, "error", "request failed"));
		return NULL;
	}
	return json_object_has_member(resp, "result") ?
		json_node_copy(json_object_get_member(resp, "result")) :
		json_node_new(JSON_NODE_NULL);
}

JsonNode *admin_request(const char *cmd, const char *vm)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, cmd);
	if (vm) {
		json_builder_set_member_name(b, "vm");
		json_builder_add_string_value(b, vm);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

JsonNode *admin_simple(const char *sock, const char *cmd, const char *vm,
		       GError **error)
{
	g_autoptr(JsonNode) req = admin_request(cmd, vm);

	return admin_call(sock, req, error);
}
