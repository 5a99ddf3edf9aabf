// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * metrics.c - /metrics: counters of the core in the Prometheus text format
 * (the rows of lib/counters.h),
 * and a minimal HTTP/1.0 server (GSocketService, asynchronous I/O; one
 * request per connection).
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "config.h"

#define REQ_MAX 4096

struct metrics_server {
	struct mgr *m;
	GSocketService *service;
	unsigned int sessions;
};

struct http {
	struct metrics_server *s;
	GSocketConnection *conn;
	char req[REQ_MAX];
	size_t len;
	char *reply;
};

static void metric(GString *o, const char *name, const char *type,
		   const char *help)
{
	g_string_append_printf(o, "# HELP mig_manager_%s %s\n# TYPE mig_manager_%s %s\n",
			       name, help, name, type);
}

static void value(GString *o, const char *name, const char *labels,
		  uint64_t v)
{
	g_string_append_printf(o, "mig_manager_%s%s %" G_GUINT64_FORMAT "\n",
			       name, labels ? labels : "", v);
}

/* Label value escaping of the exposition format. */
static char *esc(const char *s)
{
	GString *o = g_string_new(NULL);

	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			g_string_append_c(o, '\\');
		if (*s == '\n') {
			g_string_append(o, "\\n");
			continue;
		}
		g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

/*
 * The rows of @scope (lib/counters.h) under "mig_manager_" @prefix metric:
 * one HELP/TYPE per metric, one line per row with its label.  Global rows
 * take their values from @c, per-VM rows one line per VM of @vms with
 * vm and uuid labels.
 */
static void counters(GString *o, const char *prefix, const uint64_t *c,
		     int scope, GPtrArray *vms)
{
	char name[128], l[1024];

	for (int i = 0; i < CTR_N; i++) {
		const struct mig_counter_info *r = mig_counter_info(i);

		if (!(r->scope & scope) || !r->metric)
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, r->metric);
		if (r->help)
			metric(o, name, "counter", r->help);
		if (!vms) {
			snprintf(l, sizeof(l), "{%s}", r->label ? r->label : "");
			value(o, name, r->label ? l : NULL, c[i]);
			continue;
		}
		for (unsigned int v = 0; v < vms->len; v++) {
			const struct mig_vm *vm = vms->pdata[v];
			g_autofree char *vname = esc(vm->name);
			char id[37];

			snprintf(l, sizeof(l), "{vm=\"%s\",uuid=\"%s\"%s%s}", vname,
				 uuid_format(vm->uuid, id), r->label ? "," : "",
				 r->label ? r->label : "");
			value(o, name, l, vm->c.c[i]);
		}
	}
}

char *metrics_render(const struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	const struct mgr_stats *st = &m->st;
	GString *o = g_string_new(NULL);
	unsigned int states[VM_N_STATES] = { 0 };
	uint64_t qf = 0, qb = 0;
	char l[1024];

	for (unsigned int i = 0; i < vms->len; i++) {
		const struct mig_vm *vm = vms->pdata[i];

		states[vm->state]++;
		qf += vm_queued(vm);
		qb += vm_queued_bytes(vm);
	}
	metric(o, "drops_total", "counter", "Frames and datagrams dropped, by reason.");
	for (int r = 0; r < DROP_N_REASONS; r++) {
		snprintf(l, sizeof(l), "{reason=\"%s\"}", drop_reason_name(r));
		value(o, "drops_total", l, st->drops[r]);
	}
	counters(o, "", st->c, CTR_GLOBAL, NULL);
	metric(o, "vms", "gauge", "VMs in the table, by state.");
	for (int s = 0; s < VM_N_STATES; s++) {
		snprintf(l, sizeof(l), "{state=\"%s\"}", vm_state_name(s));
		value(o, "vms", l, states[s]);
	}
	metric(o, "queued_frames", "gauge", "Frames buffered now.");
	value(o, "queued_frames", NULL, qf);
	metric(o, "queued_bytes", "gauge", "Frame bytes buffered now.");
	value(o, "queued_bytes", NULL, qb);
	metric(o, "memory_bytes", "gauge", "Memory held by the queues, VM entries and the replay cache.");
	value(o, "memory_bytes", NULL, mgr_mem_total(m));
	metric(o, "memory_cap_bytes", "gauge", "Configured memory cap.");
	value(o, "memory_cap_bytes", NULL, m->cfg->memory_cap);
	metric(o, "socket_buffer_bytes", "gauge", "Effective receive buffer of the data socket, and what rcvbuf= asked.");
	value(o, "socket_buffer_bytes", "{socket=\"data\",kind=\"effective\"}", m->rcvbuf);
	value(o, "socket_buffer_bytes", "{socket=\"data\",kind=\"wanted\"}", m->cfg->rcvbuf);

	metric(o, "vm_queued_frames", "gauge", "Frames buffered now, per VM.");
	for (unsigned int i = 0; i < vms->len; i++) {
		const struct mig_vm *vm = vms->pdata[i];
		g_autofree char *name = esc(vm->name);
		char id[37];

		snprintf(l, sizeof(l), "{vm=\"%s\",uuid=\"%s\",state=\"%s\"}",
			 name, uuid_format(vm->uuid, id), vm_state_name(vm->state));
		value(o, "vm_queued_frames", l, vm_queued(vm));
	}
	metric(o, "vm_drops_total", "counter", "Frames dropped, per VM and reason (non-zero only).");
	for (unsigned int i = 0; i < vms->len; i++) {
		const struct mig_vm *vm = vms->pdata[i];
		g_autofree char *name = esc(vm->name);
		char id[37];

		uuid_format(vm->uuid, id);
		for (int r = 0; r < DROP_N_REASONS; r++) {
			if (!vm->c.drops[r])
				continue;
			snprintf(l, sizeof(l), "{vm=\"%s\",uuid=\"%s\",reason=\"%s\"}",
				 name, id, drop_reason_name(r));
			value(o, "vm_drops_total", l, vm->c.drops[r]);
		}
	}
	counters(o, "vm_", NULL, CTR_VM, vms);
	return g_string_free(o, FALSE);
}

static void http_free(struct http *h)
{
	h->s->sessions--;
	g_io_stream_close(G_IO_STREAM(h->conn), NULL, NULL);
	g_object_unref(h->conn);
	g_free(h->reply);
	g_free(h);
}

static void on_written(GObject *src, GAsyncResult *res, gpointer data)
{
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, NULL);
	http_free(data);
}

static void respond(struct http *h)
{
	g_autofree char *body = NULL;
	const char *status = "200 OK";
	GOutputStream *out;

	if (!strncmp(h->req, "GET /metrics ", 13) ||
	    !strncmp(h->req, "GET /metrics?", 13)) {
		body = metrics_render(h->s->m);
	} else if (!strncmp(h->req, "GET ", 4)) {
		status = "404 Not Found";
		body = g_strdup("only /metrics here\n");
	} else {
		status = "405 Method Not Allowed";
		body = g_strdup("GET /metrics\n");
	}
	h->reply = g_strdup_printf("HTTP/1.0 %s\r\n"
				   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				   status, strlen(body), body);
	out = g_io_stream_get_output_stream(G_IO_STREAM(h->conn));
	g_output_stream_write_all_async(out, h->reply, strlen(h->reply),
					G_PRIORITY_DEFAULT, NULL, on_written, h);
}

static void on_read(GObject *src, GAsyncResult *res, gpointer data)
{
	struct http *h = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);

	if (n <= 0) {
		http_free(h);
		return;
	}
	h->len += (size_t)n;
	h->req[h->len] = '\0';
	if (strstr(h->req, "\r\n\r\n") || strstr(h->req, "\n\n") ||
	    h->len == REQ_MAX - 1) {
		respond(h);
		return;
	}
	g_input_stream_read_async(G_INPUT_STREAM(src), h->req + h->len,
				  REQ_MAX - 1 - h->len, G_PRIORITY_DEFAULT,
				  NULL, on_read, h);
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *conn,
			    GObject *src, gpointer data)
{
	struct metrics_server *s = data;
	struct http *h;

	(void)svc;
	(void)src;
	if (s->sessions >= s->m->cfg->max_connections) {
		s->m->st.c[CTR_METRICS_REFUSED]++;
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		return TRUE;
	}
	g_socket_set_timeout(g_socket_connection_get_socket(conn), CONFIG_IDLE_TIMEOUT_S);
	h = g_new0(struct http, 1);
	s->sessions++;
	h->s = s;
	h->conn = g_object_ref(conn);
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(conn)),
				  h->req, REQ_MAX - 1, G_PRIORITY_DEFAULT, NULL,
				  on_read, h);
	return TRUE;
}

struct metrics_server *metrics_server_new(struct mgr *m,
				      const struct mig_addr *a, GError **error)
{
	struct metrics_server *s = g_new0(struct metrics_server, 1);
	g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native(
		(gpointer)&a->ss, a->len);

	s->m = m;
	s->service = g_socket_service_new();
	if (!sa || !g_socket_listener_add_address(G_SOCKET_LISTENER(s->service),
						  sa, G_SOCKET_TYPE_STREAM,
						  G_SOCKET_PROTOCOL_TCP, NULL,
						  NULL, error)) {
		g_prefix_error(error, "stats: ");
		g_object_unref(s->service);
		g_free(s);
		return NULL;
	}
	g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
	g_socket_service_start(s->service);
	return s;
}

void metrics_server_free(struct metrics_server *s)
{
	if (!s)
		return;
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	g_object_unref(s->service);
	g_free(s);
}
