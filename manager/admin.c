// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * admin.c - the admin socket: JSON requests from migctl, answered from
 * the core (the JSON views are in admin-json.c).  Sessions read lines
 * asynchronously (GDataInputStream) and answer each one before reading
 * the next; at most max-connections at once, more are closed at once
 * (counted).
 */
#include "admin.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "config.h"
#include "internal.h"
#include "keys.h"
#include "wire.h"

#define MAX_LINE 65536

struct admin_server {
	struct mgr *m;
	char *path;
	unsigned int sessions;
	GSocketService *service;
	void (*changed)(void *data);
	void *data;
};

struct session {
	struct admin_server *s;
	GSocketConnection *conn;
	GDataInputStream *in;
	char *reply;
};

static char *reply_ok(JsonNode *result)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, TRUE);
	json_builder_set_member_name(b, "result");
	json_builder_add_value(b, result);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

static char *reply_err(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static char *reply_err(const char *fmt, ...)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, FALSE);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, msg);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

static const char *get_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

/* The members of a register request as a registration. */
static char *parse_register(JsonObject *o, struct mgr_reg *r)
{
	JsonNode *mn = json_object_get_member(o, "macs");
	JsonArray *macs = mn && JSON_NODE_HOLDS_ARRAY(mn) ? json_node_get_array(mn) : NULL;
	const char *s;

	memset(r, 0, sizeof(*r));
	r->name = get_str(o, "vm");
	if (!r->name)
		return reply_err("register: VM name missing");
	s = get_str(o, "uuid");
	if (!s || !uuid_parse(s, r->uuid))
		return reply_err("register: --uuid missing or not a UUID");
	for (unsigned int i = 0; macs && i < json_array_get_length(macs); i++) {
		s = json_array_get_string_element(macs, i);
		if (r->n_macs == HANDOFF_MAX_NICS)
			return reply_err("register: at most %d MACs", HANDOFF_MAX_NICS);
		if (!s || !mac_parse(s, r->macs[r->n_macs]))
			return reply_err("register: '%s' is not a MAC address", s ? s : "?");
		r->n_macs++;
	}
	if ((s = get_str(o, "ip")) && !addr_parse_host(s, &r->ip))
		return reply_err("register: --ip '%s' is not an IP address", s);
	if ((s = get_str(o, "new-ip")) && (!strcmp(s, "dhcp") || !strcmp(s, "slaac"))) {
		r->learn_ip = true;
		r->learn_family = !strcmp(s, "dhcp") ? AF_INET : AF_INET6;
	} else if (s && !addr_parse_host(s, &r->new_ip)) {
		return reply_err("register: --new-ip '%s' is neither an IP address nor dhcp or slaac", s);
	}
	if ((s = get_str(o, "new-mac"))) {
		if (!mac_parse(s, r->new_mac))
			return reply_err("register: --new-mac '%s' is not a MAC address", s);
		r->has_new_mac = true;
	}
	if ((s = get_str(o, "policy"))) {
		if (!policy_parse(s, &r->policy))
			return reply_err("register: --policy '%s': expected activated, hold or immediate", s);
		r->has_policy = true;
	}
	if (json_object_has_member(o, "vni")) {
		gint64 v = json_object_get_int_member(o, "vni");

		if (v <= 0 || v > HANDOFF_VNI_MAX)
			return reply_err("register: --vni must be 1..%u", HANDOFF_VNI_MAX);
		r->vni = (uint32_t)v;
	}
	r->src_host = get_str(o, "src-host");
	r->dest_host = get_str(o, "dest-host");
	if ((r->src_host && strlen(r->src_host) > 64) ||
	    (r->dest_host && strlen(r->dest_host) > 64))
		return reply_err("register: a host name is at most 64 characters");
	return NULL;
}

static char *do_register(struct mgr *m, JsonObject *o)
{
	g_autoptr(GError) err = NULL;
	struct mgr_reg r;
	struct mig_vm *vm;
	char *bad = parse_register(o, &r);

	if (bad)
		return bad;
	vm = mgr_register(m, &r, &err);
	if (vm)
		mgr_hook(m, vm, MGR_EV_REGISTERED);
	if (!vm)
		return reply_err("register: %s", err->message);
	return reply_ok(admin_vm_json(m, vm));
}

static JsonNode *count_json(const char *name, int64_t n)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, n);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char *do_vms(struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) arr = NULL;

	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vms->len; i++)
		json_builder_add_value(b, admin_vm_json(m, vms->pdata[i]));
	json_builder_end_array(b);
	arr = json_builder_get_root(b);
	return reply_ok(json_node_copy(arr));
}

/* The VM key (or a redirect peer's key) in base64, for QEMU's
 * -object secret,format=base64 (migctl key, migctl migrate), or the
 * key of a device's mig-agent (migctl key --device). */
static char *do_key(struct mgr *m, JsonObject *o)
{
	const char *vm = get_str(o, "vm"), *peer = get_str(o, "peer");
	const char *device = get_str(o, "device");
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *b64 = NULL;
	uint8_t key[HANDOFF_KEY_LEN], uuid[16];
	struct mig_vm *known = vm ? vmtable_lookup(m->vms, vm) : NULL;

	if (device) {
		if (!*device || strlen(device) > 64 ||
		    !mig_agent_key(m->cfg->key, m->cfg->key_len, device, key))
			return reply_err("key: '%s' is not a device name", device);
	} else if (peer) {
		unsigned int i;

		for (i = 0; i < m->cfg->n_peers && strcmp(m->cfg->peers[i].name, peer); i++)
			;
		if (i == m->cfg->n_peers)
			return reply_err("key: no redirect peer '%s' in [peers]", peer);
		memcpy(key, m->cfg->peers[i].key, sizeof(key));
	} else if (known) {
		memcpy(key, known->key, sizeof(key));
	} else if (vm && uuid_parse(vm, uuid)) {
		if (!mgr_vm_key(m, uuid, key))
			return reply_err("key: cannot derive the key of %s", vm);
	} else {
		return reply_err("key: unknown VM '%s' (give its UUID)", vm ? vm : "");
	}
	b64 = g_base64_encode(key, sizeof(key));
	memset(key, 0, sizeof(key));
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "key");
	json_builder_add_string_value(b, b64);
	json_builder_end_object(b);
	return reply_ok(json_builder_get_root(b));
}

/* Commands about one VM of the table. */
static char *do_vm_cmd(struct mgr *m, const char *cmd, JsonObject *o)
{
	g_autoptr(GError) err = NULL;
	const char *key = get_str(o, "vm");
	struct mig_vm *vm;
	int n;

	if (!key)
		return reply_err("%s: VM missing", cmd);
	vm = vmtable_lookup(m->vms, key);
	if (!vm)
		return reply_err("unknown VM '%s'", key);
	if (!strcmp(cmd, "show"))
		return reply_ok(admin_vm_json(m, vm));
	if (!strcmp(cmd, "flush"))
		return reply_ok(count_json("flushed", mgr_flush(m, vm)));
	if (!strcmp(cmd, "forget")) {
		if (!mgr_forget(m, vm, &err))
			return reply_err("forget: %s", err->message);
		return reply_ok(count_json("forgotten", 1));
	}
	n = mgr_release(m, vm, &err);
	if (n < 0)
		return reply_err("release: %s", err->message);
	return reply_ok(count_json("released", n));
}

char *admin_handle(struct mgr *m, const char *line)
{
	static const char *const vm_cmds[] = {
		"show", "flush", "release", "forget", NULL,
	};
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o;
	const char *cmd;

	if (!json_parser_load_from_data(p, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		return reply_err("request is not a JSON object");
	o = json_node_get_object(json_parser_get_root(p));
	cmd = get_str(o, "cmd");
	if (!cmd)
		return reply_err("request without \"cmd\"");
	if (!strcmp(cmd, "status"))
		return reply_ok(admin_status_json(m));
	if (!strcmp(cmd, "vms"))
		return do_vms(m);
	if (!strcmp(cmd, "register"))
		return do_register(m, o);
	if (!strcmp(cmd, "key"))
		return do_key(m, o);
	if (g_strv_contains(vm_cmds, cmd))
		return do_vm_cmd(m, cmd, o);
	return reply_err("unknown command '%s'", cmd);
}

/* --- server ------------------------------------------------------------------ */

static void session_free(struct session *x)
{
	x->s->sessions--;
	g_object_unref(x->in);
	g_io_stream_close(G_IO_STREAM(x->conn), NULL, NULL);
	g_object_unref(x->conn);
	g_free(x->reply);
	g_free(x);
}

static void read_next(struct session *x);

static void on_written(GObject *src, GAsyncResult *res, gpointer data)
{
	struct session *x = data;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL,
					      NULL)) {
		session_free(x);
		return;
	}
	g_clear_pointer(&x->reply, g_free);
	read_next(x);
}

static void send_reply(struct session *x)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(x->conn));

	x->reply = g_realloc(x->reply, strlen(x->reply) + 2);
	strcat(x->reply, "\n");
	g_output_stream_write_all_async(out, x->reply, strlen(x->reply),
					G_PRIORITY_DEFAULT, NULL, on_written, x);
}

/* A hook's answer, later (the session reads nothing until then). */
static void on_answer(void *ctx, char *reply)
{
	struct session *x = ctx;

	x->reply = reply;
	if (x->s->changed)
		x->s->changed(x->s->data);
	send_reply(x);
}

/* A command one of the daemon's parts answers itself (provisioning). */
static bool hooked(struct session *x, const char *line)
{
	struct mgr *m = x->s->m;
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o;
	const char *cmd;

	if (!json_parser_load_from_data(p, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		return false;
	o = json_node_get_object(json_parser_get_root(p));
	cmd = get_str(o, "cmd");
	for (int i = 0; cmd && i < MGR_N_HOOKS; i++)
		if (m->hooks[i].data && m->hooks[i].command &&
		    m->hooks[i].command(m->hooks[i].data, m, cmd, o, on_answer, x))
			return true;
	return false;
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
	struct session *x = data;
	gsize len;
	g_autofree char *line = g_data_input_stream_read_line_finish(
		G_DATA_INPUT_STREAM(src), res, &len, NULL);

	if (!line) {
		session_free(x);
		return;
	}
	if (len > MAX_LINE) {
		x->reply = reply_err("request too long");
	} else {
		if (hooked(x, line))
			return;
		x->reply = admin_handle(x->s->m, line);
		if (x->s->changed)
			x->s->changed(x->s->data);
	}
	send_reply(x);
}

static void read_next(struct session *x)
{
	g_data_input_stream_read_line_async(x->in, G_PRIORITY_DEFAULT, NULL,
					    on_line, x);
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *conn,
			    GObject *src, gpointer data)
{
	struct admin_server *s = data;
	struct session *x;

	(void)svc;
	(void)src;
	if (s->sessions >= s->m->cfg->max_connections) {
		/* Closed at once: idle clients cannot exhaust the daemon. */
		s->m->st.c[CTR_ADMIN_REFUSED]++;
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		return TRUE;
	}
	/* Idle connections time out (async reads fail with TIMED_OUT). */
	g_socket_set_timeout(g_socket_connection_get_socket(conn), CONFIG_IDLE_TIMEOUT_S);
	x = g_new0(struct session, 1);
	s->sessions++;
	x->s = s;
	x->conn = g_object_ref(conn);
	x->in = g_data_input_stream_new(
		g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	read_next(x);
	return TRUE;
}

struct admin_server *admin_server_new(struct mgr *m, const char *path,
				  void (*changed)(void *data), void *data,
				  GError **error)
{
	struct admin_server *s;
	g_autoptr(GSocketAddress) a = NULL;
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
				    "%s exists and is not a socket", path);
			return NULL;
		}
		unlink(path); /* stale socket of an earlier run */
	}
	s = g_new0(struct admin_server, 1);
	s->m = m;
	s->path = g_strdup(path);
	s->changed = changed;
	s->data = data;
	s->service = g_socket_service_new();
	a = g_unix_socket_address_new(path);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), a,
					   G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT, NULL,
					   NULL, error)) {
		g_prefix_error(error, "admin socket %s: ", path);
		g_object_unref(s->service);
		g_free(s->path);
		g_free(s);
		return NULL;
	}
	chmod(path, 0600);
	g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
	g_socket_service_start(s->service);
	return s;
}

void admin_server_free(struct admin_server *s)
{
	if (!s)
		return;
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	g_object_unref(s->service);
	unlink(s->path);
	g_free(s->path);
	g_free(s);
}
