// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services.c - the services of the VMs follow them (see services.h and
 * docs/services.md).
 *
 * The inventory is read and written on the main loop (one short SQLite
 * statement each).  A DNS update is a job on one worker thread; its result
 * comes back to the main loop, which records it in the service's row,
 * counts it and, if the server did not take it (down, SERVFAIL), queues it
 * again after a backoff.  Updates are kept by DNS name: one per name is
 * in flight at a time, and a newer one for the same name (another address,
 * a removal, the same name given to another service) waits for it and then
 * replaces it.  A result only changes the row of the service that still
 * has that name.
 */
#include "services.h"

#include <string.h>

#include "dnsupdate.h"
#include "internal.h"
#include "inventory.h"

/**
 * struct sv_target - what a name should point at, for which service.
 * @id: the service.
 * @vm: its VM's name (for the counters).
 * @address: the address, "" to delete the name.
 */
struct sv_target {
	char id[65];
	char vm[65];
	char address[64];
};

/**
 * struct sv_update - the DNS update of one name (one per name).
 * @s: the part.
 * @name: the DNS name (the key).
 * @t: what it should point at now.
 * @next: a newer target that came while @t was in flight.
 * @has_next: @next is set.
 * @first_us: monotonic µs of the first try (for dns-give-up-s).
 * @tries: tries so far.
 * @timer: the GSource of the next retry, 0 if none.
 * @in_flight: on the worker now.
 * @status: the last try's result.
 * @error: its message.
 */
struct sv_update {
	struct services *s;
	char name[256];
	struct sv_target t;
	struct sv_target next;
	bool has_next;
	gint64 first_us;
	unsigned int tries;
	guint timer;
	bool in_flight;
	enum dnsupd_status status;
	char error[256];
};

struct services {
	struct mgr *m;
	struct inventory *inv;
	struct dnsupd_key *key;
	char server[64];
	uint16_t port;
	GThreadPool *worker;
	GHashTable *updates; /* DNS name -> struct sv_update */
	GHashTable *scope;   /* VM name -> GPtrArray of service ids */
	unsigned int running;
	bool closing;
};

static bool dns_on(const struct services *s)
{
	return s->m->cfg->dns_server.len > 0;
}

/* --- the worker ------------------------------------------------------------------ */

static gboolean update_done(gpointer data);

static void run_update(gpointer data, gpointer user)
{
	struct sv_update *u = data;
	const struct mgr_config *cfg = u->s->m->cfg;
	struct mig_addr a = { 0 };
	bool del = !*u->t.address;

	(void)user;
	if (!del && !addr_parse_host(u->t.address, &a)) {
		u->status = DNSUPD_INVALID;
		g_snprintf(u->error, sizeof(u->error), "'%s' is not an address", u->t.address);
	} else {
		u->status = dnsupd_replace(u->s->server, u->s->port, u->s->key,
					   cfg->dns_zone ? cfg->dns_zone : "", u->name,
					   del ? NULL : &a, cfg->dns_ttl, cfg->dns_timeout_ms,
					   u->error, sizeof(u->error));
	}
	g_idle_add(update_done, u);
}

/* --- the main loop ------------------------------------------------------------------ */

static void update_free(gpointer data)
{
	struct sv_update *u = data;

	if (u->timer)
		g_source_remove(u->timer);
	g_free(u);
}

static void set_row(struct services *s, const char *id, const char *address,
		    const char *state, const char *dns, const char *error)
{
	g_autoptr(GError) err = NULL;

	if (s->inv && !inventory_set(s->inv, id, address, state, dns, error, &err))
		g_warning("services: %s", err->message);
}

/* The result of @u's try: into the row of the service that still has the name. */
static void set_dns(struct services *s, const struct sv_update *u, const char *dns)
{
	struct inv_service *r = s->inv ? inventory_get(s->inv, u->t.id, NULL) : NULL;

	if (r && !strcmp(r->name, u->name))
		set_row(s, u->t.id, NULL, NULL, dns, u->status == DNSUPD_OK ? "" : u->error);
	inv_service_free(r);
}

static void count(struct services *s, const char *vm, enum mig_counter c)
{
	mgr_count(s->m, *vm ? vmtable_lookup(s->m->vms, vm) : NULL, c, 1);
}

static void push(struct services *s, struct sv_update *u)
{
	u->in_flight = true;
	u->tries++;
	s->running++;
	g_thread_pool_push(s->worker, u, NULL);
}

static gboolean retry(gpointer data)
{
	struct sv_update *u = data;

	u->timer = 0;
	push(u->s, u);
	return G_SOURCE_REMOVE;
}

/* Queue an update of service @id's name to @address ("" deletes it). */
static void queue_update(struct services *s, const char *id, const char *vm,
			 const char *name, const char *address)
{
	struct sv_update *u = g_hash_table_lookup(s->updates, name);
	struct sv_target t = { 0 };

	g_strlcpy(t.id, id, sizeof(t.id));
	g_strlcpy(t.vm, vm, sizeof(t.vm));
	g_strlcpy(t.address, address, sizeof(t.address));
	if (u && u->in_flight) {
		u->next = t;
		u->has_next = true;
		return;
	}
	if (!u) {
		u = g_new0(struct sv_update, 1);
		u->s = s;
		g_strlcpy(u->name, name, sizeof(u->name));
		g_hash_table_insert(s->updates, g_strdup(name), u);
	}
	if (u->timer) {
		g_source_remove(u->timer);
		u->timer = 0;
	}
	u->t = t;
	u->first_us = g_get_monotonic_time();
	u->tries = 0;
	*u->error = '\0';
	g_info("service %s: DNS %s -> %s queued", id, name, *address ? address : "(removed)");
	push(s, u);
}

static gboolean update_done(gpointer data)
{
	struct sv_update *u = data;
	struct services *s = u->s;
	const struct mgr_config *cfg = s->m->cfg;
	bool retryable = u->status == DNSUPD_UNREACHABLE || u->status == DNSUPD_SERVFAIL;
	gint64 age_ms = (g_get_monotonic_time() - u->first_us) / 1000;
	unsigned int delay;

	s->running--;
	u->in_flight = false;
	if (s->closing)
		return G_SOURCE_REMOVE;
	if (u->has_next) {
		/* a newer target came meanwhile: it replaces this one */
		u->t = u->next;
		u->has_next = false;
		u->first_us = g_get_monotonic_time();
		u->tries = 0;
		*u->error = '\0';
		push(s, u);
		return G_SOURCE_REMOVE;
	}
	if (u->status == DNSUPD_OK) {
		count(s, u->t.vm, CTR_DNS_UPDATED);
		set_dns(s, u, "current");
		g_info("service %s: DNS %s -> %s done after %u tries", u->t.id, u->name,
		       *u->t.address ? u->t.address : "(removed)", u->tries);
		g_hash_table_remove(s->updates, u->name);
		return G_SOURCE_REMOVE;
	}
	if (retryable && age_ms < (gint64)cfg->dns_give_up_s * 1000) {
		/* 0.5 s, doubling, up to dns-retry-max-ms */
		delay = 500;
		for (unsigned int i = 1; i < u->tries && delay < cfg->dns_retry_max_ms; i++)
			delay *= 2;
		delay = MIN(delay, cfg->dns_retry_max_ms);
		count(s, u->t.vm, CTR_DNS_RETRIED);
		set_dns(s, u, "retrying");
		g_warning("service %s: DNS update (%s) not taken, try %u: %s; again in %u ms",
			  u->t.id, dnsupd_status_str(u->status), u->tries, u->error, delay);
		u->timer = g_timeout_add(delay, retry, u);
		return G_SOURCE_REMOVE;
	}
	count(s, u->t.vm, retryable ? CTR_DNS_GAVE_UP :
		 u->status == DNSUPD_AUTH ? CTR_DNS_AUTH_FAILED : CTR_DNS_REFUSED);
	set_dns(s, u, "failed");
	g_warning("service %s: DNS update of %s failed (%s%s): %s", u->t.id, u->name,
		  dnsupd_status_str(u->status), retryable ? ", gave up" : ", not retried",
		  u->error);
	g_hash_table_remove(s->updates, u->name);
	return G_SOURCE_REMOVE;
}

/* --- commands ---------------------------------------------------------------------- */

static char *reply(bool ok, JsonNode *result, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static char *reply(bool ok, JsonNode *result, const char *fmt, ...)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();

	json_object_set_boolean_member(o, "ok", ok);
	if (fmt) {
		g_autofree char *msg = NULL;
		va_list ap;

		va_start(ap, fmt);
		msg = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		json_object_set_string_member(o, "error", msg);
	}
	if (result)
		json_object_set_member(o, "result", result);
	json_node_take_object(root, o);
	return json_to_string(root, FALSE);
}

static const char *str_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ?
		json_node_get_string(n) : NULL;
}

static JsonNode *row_json(struct services *s, const struct inv_service *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct sv_update *u = g_hash_table_lookup(s->updates, r->name);
	const char *strs[][2] = {
		{ "id", r->id }, { "name", r->name }, { "vm", r->vm },
		{ "address", r->address }, { "state", r->state }, { "dns", r->dns },
		{ "error", r->error },
	};

	json_builder_begin_object(b);
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++) {
		json_builder_set_member_name(b, strs[i][0]);
		json_builder_add_string_value(b, strs[i][1]);
	}
	json_builder_set_member_name(b, "updated");
	json_builder_add_int_value(b, r->updated);
	json_builder_set_member_name(b, "dns-tries");
	json_builder_add_int_value(b, u ? u->tries : 0);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *rows_json(struct services *s, const char *vm, GError **err)
{
	g_autoptr(GPtrArray) rows = inventory_list(s->inv, vm, err);
	JsonArray *a;
	JsonNode *n;

	if (!rows)
		return NULL;
	a = json_array_new();
	for (unsigned int i = 0; i < rows->len; i++)
		json_array_add_element(a, row_json(s, g_ptr_array_index(rows, i)));
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

static char *do_add(struct services *s, JsonObject *req)
{
	const char *id = str_member(req, "id"), *name = str_member(req, "name");
	const char *vmname = str_member(req, "vm"), *address = str_member(req, "address");
	struct mig_vm *vm = vmname ? vmtable_lookup(s->m->vms, vmname) : NULL;
	char ip[64] = "";
	g_autoptr(GError) err = NULL;
	struct inv_service *r;
	JsonNode *n;

	if (!address || !*address) {
		if (!vm || !vm->ip.len)
			return reply(false, NULL, "service-add: no address given and VM '%s' is %s",
				     vmname ? vmname : "",
				     vm ? "registered without --ip" : "not registered");
		addr_format_host(&vm->ip, ip, sizeof(ip));
		address = ip;
	}
	if (vm)
		vmname = vm->name;
	if (!inventory_add(s->inv, id, name, vmname, address, &err))
		return reply(false, NULL, "service-add: %s", err->message);
	if (dns_on(s))
		queue_update(s, id, vmname, name, address);
	else
		set_row(s, id, NULL, NULL, "off", NULL);
	r = inventory_get(s->inv, id, NULL);
	n = r ? row_json(s, r) : NULL;
	inv_service_free(r);
	return reply(true, n, NULL);
}

static char *do_remove(struct services *s, JsonObject *req)
{
	const char *id = str_member(req, "id");
	g_autoptr(GError) err = NULL;
	struct inv_service *r = id ? inventory_get(s->inv, id, &err) : NULL;

	if (!r)
		return reply(false, NULL, "service-remove: %s",
			     err ? err->message : "no service id given");
	if (!inventory_remove(s->inv, id, &err)) {
		inv_service_free(r);
		return reply(false, NULL, "service-remove: %s", err->message);
	}
	if (dns_on(s))
		queue_update(s, r->id, r->vm, r->name, "");
	inv_service_free(r);
	return reply(true, NULL, NULL);
}

static char *do_scope(struct services *s, JsonObject *req)
{
	const char *vm = str_member(req, "vm");
	JsonNode *n = json_object_get_member(req, "services");
	JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	GPtrArray *ids;

	if (!vm || !*vm)
		return reply(false, NULL, "service-scope: no VM given");
	if (n && !a)
		return reply(false, NULL, "service-scope: services is not a list");
	if (!a || !json_array_get_length(a)) {
		g_hash_table_remove(s->scope, vm);
		return reply(true, NULL, NULL);
	}
	ids = g_ptr_array_new_with_free_func(g_free);
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		const char *id = json_array_get_string_element(a, i);
		g_autoptr(GError) err = NULL;
		struct inv_service *r = id ? inventory_get(s->inv, id, &err) : NULL;
		bool mine = r && !strcmp(r->vm, vm);

		inv_service_free(r);
		if (!mine) {
			g_ptr_array_unref(ids);
			return reply(false, NULL, "service-scope: %s",
				     err ? err->message : "a service is not one of the VM's");
		}
		g_ptr_array_add(ids, g_strdup(id));
	}
	g_hash_table_replace(s->scope, g_strdup(vm), ids);
	return reply(true, NULL, NULL);
}

static bool on_command(void *data, struct mgr *m, const char *cmd, JsonObject *req,
		       mgr_answer_fn answer, void *ctx)
{
	struct services *s = data;
	g_autoptr(GError) err = NULL;
	char *now;

	(void)m;
	if (strcmp(cmd, "service-add") && strcmp(cmd, "service-remove") &&
	    strcmp(cmd, "services") && strcmp(cmd, "service-scope"))
		return false;
	if (!s->inv)
		now = reply(false, NULL, "%s: the manager keeps no inventory (inventory= is empty)",
			    cmd);
	else if (!strcmp(cmd, "service-add"))
		now = do_add(s, req);
	else if (!strcmp(cmd, "service-remove"))
		now = do_remove(s, req);
	else if (!strcmp(cmd, "service-scope"))
		now = do_scope(s, req);
	else {
		JsonNode *n = rows_json(s, str_member(req, "vm"), &err);

		now = n ? reply(true, n, NULL) : reply(false, NULL, "services: %s", err->message);
	}
	answer(ctx, now);
	return true;
}

/* --- events ------------------------------------------------------------------------ */

static bool in_scope(GPtrArray *ids, const char *id)
{
	if (!ids)
		return true;
	for (unsigned int i = 0; i < ids->len; i++)
		if (!strcmp(g_ptr_array_index(ids, i), id))
			return true;
	return false;
}

/* The VM runs at the destination: its services follow it to its new address. */
static void moved(struct services *s, struct mig_vm *vm)
{
	GPtrArray *ids = g_hash_table_lookup(s->scope, vm->name);
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GError) err = NULL;
	char addr[64];

	if (!vm->new_ip.len)
		return; /* same address: the names are right */
	addr_format_host(&vm->new_ip, addr, sizeof(addr));
	rows = inventory_list(s->inv, vm->name, &err);
	if (!rows) {
		g_warning("vm %s: services: %s", vm->name, err->message);
		return;
	}
	for (unsigned int i = 0; i < rows->len; i++) {
		struct inv_service *r = g_ptr_array_index(rows, i);

		if (!in_scope(ids, r->id) || !strcmp(r->address, addr))
			continue;
		set_row(s, r->id, addr, "live", dns_on(s) ? "pending" : "off", "");
		mgr_count(s->m, vm, CTR_SERVICE_MOVED, 1);
		g_info("vm %s: service %s moved %s -> %s", vm->name, r->id, r->address, addr);
		if (dns_on(s))
			queue_update(s, r->id, vm->name, r->name, addr);
	}
	g_hash_table_remove(s->scope, vm->name);
}

static void on_event(void *data, struct mgr *m, struct mig_vm *vm, enum mgr_event ev)
{
	struct services *s = data;

	(void)m;
	if (!s->inv)
		return;
	if (ev == MGR_EV_ADDRESS)
		moved(s, vm);
	else if (ev == MGR_EV_ABORTED)
		g_hash_table_remove(s->scope, vm->name);
}

static JsonNode *describe(void *data, const struct mig_vm *vm)
{
	struct services *s = data;
	JsonNode *n = s->inv ? rows_json(s, vm->name, NULL) : NULL;

	return n ? n : json_node_new(JSON_NODE_NULL);
}

struct services *services_new(struct mgr *m, GError **error)
{
	const struct mgr_config *cfg = m->cfg;
	struct services *s = g_new0(struct services, 1);

	s->m = m;
	s->updates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, update_free);
	s->scope = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
	s->worker = g_thread_pool_new(run_update, s, 1, FALSE, NULL);
	if (cfg->inventory && !(s->inv = inventory_open(cfg->inventory, error)))
		goto fail;
	if (cfg->dns_server.len) {
		addr_format_host(&cfg->dns_server, s->server, sizeof(s->server));
		s->port = addr_port(&cfg->dns_server);
		if (!cfg->dns_zone || !*cfg->dns_zone) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "dns-server is set but dns-zone is empty");
			goto fail;
		}
		if (cfg->dns_key_file && !(s->key = dnsupd_key_load(cfg->dns_key_file, error)))
			goto fail;
	}
	if (!mgr_add_hooks(m, &(struct mgr_hooks){
		    .name = "services", .event = on_event, .describe = describe,
		    .command = on_command, .data = s,
	    }))
		g_warning("services: no hook slot left in the core");
	return s;
fail:
	services_free(s);
	return NULL;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	mgr_remove_hooks(s->m, s);
	s->closing = true;
	g_thread_pool_free(s->worker, FALSE, TRUE);
	while (s->running && g_main_context_iteration(NULL, FALSE))
		;
	g_hash_table_destroy(s->updates);
	g_hash_table_destroy(s->scope);
	dnsupd_key_free(s->key);
	inventory_close(s->inv);
	g_free(s);
}
