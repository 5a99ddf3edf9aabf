// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl.c - local control socket: JSON requests from migctl, answered from
 * the core.  Sessions read lines asynchronously (GDataInputStream) and
 * answer each one before reading the next.
 */
#include "admin.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "wire.h"

#define MAX_LINE 65536

struct admin_server {
	struct mgr *m;
	char *path;
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

/* --- JSON ------------------------------------------------------------------ */

static void add_time(JsonBuilder *b, const char *name, int64_t us)
{
	json_builder_set_member_name(b, name);
	if (!us) {
		json_builder_add_null_value(b);
	} else {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(
			us / G_USEC_PER_SEC);
		g_autoptr(GDateTime) t2 = t ? g_date_time_add(
			t, us % G_USEC_PER_SEC) : NULL;
		g_autofree char *s = t2 ? g_date_time_format_iso8601(t2) : NULL;

		json_builder_add_string_value(b, s ? s : "?");
	}
}

static void add_addr(JsonBuilder *b, const char *name,
		     const struct mig_addr *a, bool host)
{
	char s[ADDR_STRLEN];

	json_builder_set_member_name(b, name);
	if (!a->len)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(
			b, host ? addr_format_host(a, s, sizeof(s))
				: addr_format(a, s, sizeof(s)));
}

static void add_u64(JsonBuilder *b, const char *name, uint64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)v);
}

static void add_drops(JsonBuilder *b, const uint64_t *drops)
{
	json_builder_set_member_name(b, "drops");
	json_builder_begin_object(b);
	for (int r = 0; r < DROP_N_REASONS; r++)
		if (drops[r])
			add_u64(b, drop_reason_name(r), drops[r]);
	json_builder_end_object(b);
}

/* "counters": the rows of @scope (lib/counters.h), and for a VM the sum
 * of its drops (@dropped >= 0). */
static void add_counters(JsonBuilder *b, const uint64_t *c, int scope,
			 int64_t dropped)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	for (int i = 0; i < CTR_N; i++)
		if (mig_counter_info(i)->scope & scope)
			add_u64(b, mig_counter_info(i)->name, c[i]);
	if (dropped >= 0)
		add_u64(b, MIG_VM_FRAMES_DROPPED, (uint64_t)dropped);
	json_builder_end_object(b);
}

JsonNode *admin_vm_json(const struct mgr *m, const struct mig_vm *vm)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct vm_counters *c = &vm->c;
	char s[40];
	uint64_t dropped = 0;
	int64_t arrival;
	size_t len;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, vm->name);
	json_builder_set_member_name(b, "uuid");
	json_builder_add_string_value(b, uuid_format(vm->uuid, s));
	add_u64(b, "vni", vm->vni);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, vm_state_name(vm->state));
	json_builder_set_member_name(b, "policy");
	json_builder_add_string_value(b, policy_name(vm->policy));
	json_builder_set_member_name(b, "registered");
	json_builder_add_boolean_value(b, vm->registered);
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->n_macs; i++)
		json_builder_add_string_value(b, mac_format(vm->macs[i], s));
	json_builder_end_array(b);
	add_addr(b, "ip", &vm->ip, true);
	add_addr(b, "new-ip", &vm->new_ip, true);
	json_builder_set_member_name(b, "new-mac");
	if (vm->has_new_mac)
		json_builder_add_string_value(b, mac_format(vm->new_mac, s));
	else
		json_builder_add_null_value(b);
	add_addr(b, "source", &vm->source, false);
	add_addr(b, "data-endpoint", &vm->data_endpoint, false);
	add_addr(b, "inject-endpoint", &vm->inject, false);
	add_addr(b, "drained-to", &vm->drained_to, false);

	json_builder_set_member_name(b, "times");
	json_builder_begin_object(b);
	add_time(b, "registered", vm->t_registered);
	add_time(b, "suspended", vm->t_suspended);
	add_time(b, "activated", vm->t_activated);
	add_time(b, "ended", vm->t_ended);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "queue");
	json_builder_begin_object(b);
	add_u64(b, "frames", queue_len(vm->queue));
	add_u64(b, "bytes", queue_bytes(vm->queue));
	add_u64(b, "memory", queue_mem(vm->queue));
	add_u64(b, "oldest-ms", queue_peek(vm->queue, &len, &arrival)
		? (uint64_t)MAX(0, (mgr_now(m) - arrival) / 1000) : 0);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "drained");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, vm->drained.acked ? "acked" :
					 vm->drained.gave_up ? "gave-up" :
					 vm->drained.pending ? "pending" :
					 "not-sent");
	add_u64(b, "frames", vm->drained.frames);
	add_u64(b, "transmissions", vm->drained.attempts);
	json_builder_end_object(b);

	for (int r = 0; r < DROP_N_REASONS; r++)
		dropped += c->drops[r];
	add_counters(b, c->c, CTR_VM, dropped);
	add_drops(b, c->drops);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *status_json(const struct mgr *m)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	const struct mgr_stats *st = &m->st;
	unsigned int states[VM_N_STATES] = { 0 };
	uint64_t frames = 0, bytes = 0;
	char s[ADDR_STRLEN];

	for (unsigned int i = 0; i < vms->len; i++) {
		const struct mig_vm *vm = vms->pdata[i];

		states[vm->state]++;
		frames += queue_len(vm->queue);
		bytes += queue_bytes(vm->queue);
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, MIG_VERSION);
	add_u64(b, "uptime-s", (uint64_t)MAX(0, (mgr_now_real(m) -
						 m->started_real) / G_USEC_PER_SEC));
	json_builder_set_member_name(b, "control");
	json_builder_add_string_value(b, addr_format(&m->cfg->control, s, sizeof(s)));
	json_builder_set_member_name(b, "data");
	json_builder_add_string_value(b, addr_format(&m->cfg->data, s, sizeof(s)));
	json_builder_set_member_name(b, "release-policy");
	json_builder_add_string_value(b, policy_name(m->cfg->policy));
	add_u64(b, "vms", vms->len);
	json_builder_set_member_name(b, "states");
	json_builder_begin_object(b);
	for (int i = 0; i < VM_N_STATES; i++)
		add_u64(b, vm_state_name(i), states[i]);
	json_builder_end_object(b);
	add_u64(b, "queued-frames", frames);
	add_u64(b, "queued-bytes", bytes);
	add_u64(b, "memory", m->mem);
	add_u64(b, "memory-peak", m->mem_peak);
	add_u64(b, "memory-cap", m->cfg->memory_cap);
	add_counters(b, st->c, CTR_GLOBAL, -1);
	add_drops(b, st->drops);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

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

static char *do_register(struct mgr *m, JsonObject *o)
{
	struct mgr_reg r;
	const char *s;
	JsonArray *macs;
	g_autoptr(GError) err = NULL;
	struct mig_vm *vm;

	memset(&r, 0, sizeof(r));
	r.name = get_str(o, "vm");
	if (!r.name)
		return reply_err("register: VM name missing");
	s = get_str(o, "uuid");
	if (!s || !uuid_parse(s, r.uuid))
		return reply_err("register: --uuid missing or not a UUID");
	macs = json_object_has_member(o, "macs") ?
		json_object_get_array_member(o, "macs") : NULL;
	for (unsigned int i = 0; macs && i < json_array_get_length(macs); i++) {
		s = json_array_get_string_element(macs, i);
		if (r.n_macs == HANDOFF_MAX_MACS)
			return reply_err("register: at most %d MACs", HANDOFF_MAX_MACS);
		if (!s || !mac_parse(s, r.macs[r.n_macs]))
			return reply_err("register: '%s' is not a MAC address",
					 s ? s : "?");
		r.n_macs++;
	}
	if ((s = get_str(o, "ip")) && !addr_parse_host(s, &r.ip))
		return reply_err("register: --ip '%s' is not an IP address", s);
	if ((s = get_str(o, "new-ip")) && !addr_parse_host(s, &r.new_ip))
		return reply_err("register: --new-ip '%s' is not an IP address", s);
	if ((s = get_str(o, "new-mac"))) {
		if (!mac_parse(s, r.new_mac))
			return reply_err("register: --new-mac '%s' is not a MAC address", s);
		r.has_new_mac = true;
	}
	if ((s = get_str(o, "policy"))) {
		if (!policy_parse(s, &r.policy))
			return reply_err("register: --policy '%s': expected activated, hold or immediate", s);
		r.has_policy = true;
	}
	if ((s = get_str(o, "dest")) && !addr_parse(s, &r.dest))
		return reply_err("register: --dest '%s' is not HOST:PORT", s);
	if (json_object_has_member(o, "vni")) {
		gint64 v = json_object_get_int_member(o, "vni");

		if (v <= 0 || v > HANDOFF_VXLAN_VNI_MAX)
			return reply_err("register: --vni must be 1..%u", HANDOFF_VXLAN_VNI_MAX);
		r.vni = (uint32_t)v;
	}
	vm = mgr_register(m, &r, &err);
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

char *admin_handle(struct mgr *m, const char *line)
{
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o;
	const char *cmd, *key;
	struct mig_vm *vm = NULL;

	if (!json_parser_load_from_data(p, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		return reply_err("request is not a JSON object");
	o = json_node_get_object(json_parser_get_root(p));
	cmd = get_str(o, "cmd");
	if (!cmd)
		return reply_err("request without \"cmd\"");
	if (!strcmp(cmd, "status"))
		return reply_ok(status_json(m));
	if (!strcmp(cmd, "vms")) {
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
	if (!strcmp(cmd, "register"))
		return do_register(m, o);
	if (strcmp(cmd, "show") && strcmp(cmd, "flush") && strcmp(cmd, "release"))
		return reply_err("unknown command '%s'", cmd);
	key = get_str(o, "vm");
	if (!key)
		return reply_err("%s: VM missing", cmd);
	vm = vmtable_lookup(m->vms, key);
	if (!vm)
		return reply_err("unknown VM '%s'", key);
	if (!strcmp(cmd, "show"))
		return reply_ok(admin_vm_json(m, vm));
	if (!strcmp(cmd, "flush"))
		return reply_ok(count_json("flushed", mgr_flush(m, vm)));
	{
		g_autoptr(GError) err = NULL;
		int n = mgr_release(m, vm, &err);

		if (n < 0)
			return reply_err("release: %s", err->message);
		return reply_ok(count_json("released", n));
	}
}

/* --- server ------------------------------------------------------------------ */

static void session_free(struct session *x)
{
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

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
	struct session *x = data;
	gsize len;
	g_autofree char *line = g_data_input_stream_read_line_finish(
		G_DATA_INPUT_STREAM(src), res, &len, NULL);
	GOutputStream *out;

	if (!line) {
		session_free(x);
		return;
	}
	if (len > MAX_LINE) {
		x->reply = reply_err("request too long");
	} else {
		x->reply = admin_handle(x->s->m, line);
		if (x->s->changed)
			x->s->changed(x->s->data);
	}
	x->reply = g_realloc(x->reply, strlen(x->reply) + 2);
	strcat(x->reply, "\n");
	out = g_io_stream_get_output_stream(G_IO_STREAM(x->conn));
	g_output_stream_write_all_async(out, x->reply, strlen(x->reply),
					G_PRIORITY_DEFAULT, NULL, on_written, x);
}

static void read_next(struct session *x)
{
	g_data_input_stream_read_line_async(x->in, G_PRIORITY_DEFAULT, NULL,
					    on_line, x);
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *conn,
			    GObject *src, gpointer data)
{
	struct session *x = g_new0(struct session, 1);

	(void)svc;
	(void)src;
	x->s = data;
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
		g_prefix_error(error, "control socket %s: ", path);
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
