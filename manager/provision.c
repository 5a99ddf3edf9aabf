// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * provision.c - provisioning of a VM's network at the destination before
 * it migrates (see provision.h and docs/provisioning.md).
 *
 * Each command or event becomes a job on one worker thread (the jobs of a
 * VM run in order; the main loop never waits for an agent).  A job's
 * result comes back to the main loop, which records it in the VM's
 * record, counts it and answers every admin session that waits for it.
 */
#include "provision.h"

#include <string.h>

#include "agentcall.h"
#include "internal.h"

enum pv_state {
	PV_NONE,
	PV_PREPARING,
	PV_PREPARED,
	PV_REFUSED,
	PV_COMMITTING,
	PV_COMMITTED,
	PV_ABORTING,
	PV_ABORTED,
	PV_FAILED,
};

static const char *const state_names[] = {
	[PV_NONE] = "none",           [PV_PREPARING] = "preparing",
	[PV_PREPARED] = "prepared",   [PV_REFUSED] = "refused",
	[PV_COMMITTING] = "committing", [PV_COMMITTED] = "committed",
	[PV_ABORTING] = "aborting",   [PV_ABORTED] = "aborted",
	[PV_FAILED] = "failed",
};

enum pv_op { PV_OP_PREPARE, PV_OP_COMMIT, PV_OP_ABORT };

static const char *const op_names[] = { "prepare", "commit", "abort" };

/* An admin session waiting for a job of the VM. */
struct waiter {
	mgr_answer_fn answer;
	void *ctx;
};

/**
 * struct pv_vm - what provisioning did for a VM.
 * @state: where it stands.
 * @src: source host.
 * @dst: destination host.
 * @port: the VM's port at the destination (its tap), if named.
 * @src_port: its port at the source, if named.
 * @policy: the policy read at the source (for the commit), or NULL.
 * @rules: ACL rules applied at the destination.
 * @channel: what the destination did with the tenant channel.
 * @capacity: bytes/s of the migration channel, -1 if unknown.
 * @probe_ms: the channel probe's round trip, -1 if none.
 * @ms: how long the last job took.
 * @error: why the last job failed ("" if it did not).
 * @code: the agent's code of a refusal, "unreachable", or "".
 * @t_done: wall-clock µs the last job ended.
 * @waiters: struct waiter: sessions to answer when the job ends.
 */
struct pv_vm {
	enum pv_state state;
	char src[65], dst[65], port[32], src_port[32];
	JsonNode *policy;
	int64_t rules, capacity, probe_ms, ms, t_done;
	char channel[16];
	char error[256];
	char code[16];
	GArray *waiters;
};

/**
 * struct pv_job - one step for one VM, on the worker.
 * @p: the provisioning.
 * @uuid: the VM.
 * @name: its name.
 * @op: prepare, commit or abort.
 * @src: source host's device (its agent).
 * @dst: destination host's device.
 * @peer: the source host's address, for the channel check ("" if none).
 * @min_bw: bytes/s the operator asked of the migration channel (0: no check).
 * @port: the VM's port at the destination ("" if unknown).
 * @src_port: its port at the source ("" if unknown).
 * @macs: its MACs.
 * @policy: prepare: the policy read (out); commit: the one applied (in).
 * @ok: the job did what it should.
 * @rules: prepare: rules applied.
 * @capacity: prepare: the channel's capacity (bytes/s, -1 unknown).
 * @probe_ms: prepare: the probe's round trip (-1 none).
 * @channel: prepare: "created", "joined" or "none".
 * @error: why it failed.
 * @code: the refusal's code.
 * @ms: how long it took.
 */
struct pv_job {
	struct provision *p;
	uint8_t uuid[HANDOFF_UUID_LEN];
	char name[65];
	enum pv_op op;
	const struct topo_device *src, *dst;
	char peer[64];
	int64_t min_bw;
	char port[32], src_port[32];
	GPtrArray *macs;
	JsonNode *policy;
	bool ok;
	int64_t rules, capacity, probe_ms, ms;
	char channel[16];
	char error[256];
	char code[16];
};

struct provision {
	struct mgr *m;
	const struct topo *t;
	GThreadPool *worker;
	GHashTable *vms; /* 16-byte UUID -> struct pv_vm */
	unsigned int running;
};

/* --- the worker ----------------------------------------------------------------- */

static JsonObject *request(const struct pv_job *j, const char *op, const char *port)
{
	JsonObject *o = json_object_new();
	JsonArray *a = json_array_new();

	json_object_set_string_member(o, "op", op);
	json_object_set_string_member(o, "vm", j->name);
	for (unsigned int i = 0; i < j->macs->len; i++)
		json_array_add_string_element(a, g_ptr_array_index(j->macs, i));
	json_object_set_array_member(o, "macs", a);
	if (port && *port)
		json_object_set_string_member(o, "port", port);
	return o;
}

/* One request; on failure the job's error and code say what and where. */
static JsonObject *call(struct pv_job *j, const struct topo_device *d, JsonObject *req,
			JsonParser *p, const char *what)
{
	g_autoptr(GError) err = NULL;
	JsonObject *a = agent_call(j->p->m, d, j->p->m->cfg->provision_timeout_ms, req, p,
				   NULL, j->code, sizeof(j->code), &err);

	if (!a) {
		if (g_error_matches(err, AGENT_CALL_ERROR, AGENT_CALL_UNREACHABLE))
			g_strlcpy(j->code, "unreachable", sizeof(j->code));
		else if (!*j->code)
			g_strlcpy(j->code, "system", sizeof(j->code));
		g_snprintf(j->error, sizeof(j->error), "%s: %s", what, err->message);
	}
	return a;
}

static int64_t int_of(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ?
		json_node_get_int(n) : def;
}

/* Read the policy at the source, apply it at the destination. */
static bool prepare(struct pv_job *j)
{
	g_autoptr(JsonParser) p1 = json_parser_new();
	g_autoptr(JsonParser) p2 = json_parser_new();
	g_autoptr(JsonObject) exp = request(j, "policy-export", j->src_port);
	g_autoptr(JsonObject) app = NULL;
	JsonObject *a, *b, *applied;

	a = call(j, j->src, exp, p1, "reading the policy at the source");
	if (!a)
		return false;
	if (!json_object_has_member(a, "policy") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(a, "policy"))) {
		g_strlcpy(j->code, "system", sizeof(j->code));
		g_snprintf(j->error, sizeof(j->error), "the source's agent (%s) sent no policy",
			   j->src->name);
		return false;
	}
	j->policy = json_node_copy(json_object_get_member(a, "policy"));
	app = request(j, "policy-apply", j->port);
	json_object_set_member(app, "policy", json_node_copy(j->policy));
	if (*j->peer && j->min_bw > 0) {
		JsonObject *chk = json_object_new();

		json_object_set_string_member(chk, "peer", j->peer);
		json_object_set_int_member(chk, "min-bandwidth", j->min_bw);
		json_object_set_object_member(app, "check", chk);
	}
	b = call(j, j->dst, app, p2, "provisioning at the destination");
	if (!b)
		return false;
	applied = json_object_has_member(b, "applied") &&
		  JSON_NODE_HOLDS_OBJECT(json_object_get_member(b, "applied")) ?
		json_object_get_object_member(b, "applied") : NULL;
	j->rules = int_of(applied, "rules", 0);
	j->capacity = int_of(applied, "capacity", -1);
	j->probe_ms = int_of(applied, "probe-ms", -1);
	g_strlcpy(j->channel, applied ? json_object_get_string_member_with_default(
					applied, "channel", "none") : "none",
		  sizeof(j->channel));
	return true;
}

/* The VM runs at the destination: complete it there, remove it at the source. */
static bool commit(struct pv_job *j)
{
	g_autoptr(JsonParser) p1 = json_parser_new();
	g_autoptr(JsonParser) p2 = json_parser_new();
	g_autoptr(JsonObject) com = request(j, "policy-commit", j->port);
	g_autoptr(JsonObject) rem = request(j, "policy-remove", j->src_port);
	bool ok;

	if (j->policy)
		json_object_set_member(com, "policy", json_node_copy(j->policy));
	ok = call(j, j->dst, com, p1, "completing at the destination") != NULL;
	/* whatever the destination said, the VM left the source */
	if (ok)
		return call(j, j->src, rem, p2, "removing at the source") != NULL;
	if (!call(j, j->src, rem, p2, "removing at the source"))
		g_warning("vm %s: the source's policy stays too", j->name);
	return false;
}

static gboolean job_done(gpointer data);

static void run_job(gpointer data, gpointer user)
{
	struct pv_job *j = data;
	gint64 t0 = g_get_monotonic_time();

	(void)user;
	switch (j->op) {
	case PV_OP_PREPARE:
		j->ok = prepare(j);
		break;
	case PV_OP_COMMIT:
		j->ok = commit(j);
		break;
	case PV_OP_ABORT: {
		g_autoptr(JsonParser) p = json_parser_new();
		g_autoptr(JsonObject) rem = request(j, "policy-remove", j->port);

		j->ok = call(j, j->dst, rem, p, "removing at the destination") != NULL;
		break;
	}
	}
	j->ms = (g_get_monotonic_time() - t0) / 1000;
	g_idle_add(job_done, j);
}

/* --- the main loop ------------------------------------------------------------------ */

static void pv_vm_free(gpointer data)
{
	struct pv_vm *v = data;

	if (v->policy)
		json_node_unref(v->policy);
	g_array_unref(v->waiters);
	g_free(v);
}

static struct pv_vm *pv_vm_of(struct provision *p, const uint8_t uuid[HANDOFF_UUID_LEN])
{
	struct pv_vm *v = g_hash_table_lookup(p->vms, uuid);

	if (!v) {
		v = g_new0(struct pv_vm, 1);
		v->waiters = g_array_new(FALSE, FALSE, sizeof(struct waiter));
		v->capacity = v->probe_ms = -1;
		g_hash_table_insert(p->vms, g_memdup2(uuid, HANDOFF_UUID_LEN), v);
	}
	return v;
}

static char *reply_error(const char *code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static char *reply_error(const char *code, const char *fmt, ...)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object_set_boolean_member(o, "ok", FALSE);
	json_object_set_string_member(o, "error", msg);
	json_object_set_string_member(o, "code", code);
	json_node_take_object(root, o);
	return json_to_string(root, FALSE);
}

static JsonNode *record_json(const struct pv_vm *v)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(v->t_done / G_USEC_PER_SEC);
	g_autofree char *ts = v->t_done && t ? g_date_time_format_iso8601(t) : NULL;
	const struct { const char *name; int64_t v; } ints[] = {
		{ "rules", v->rules }, { "capacity", v->capacity },
		{ "probe-ms", v->probe_ms }, { "ms", v->ms },
	};
	const struct { const char *name; const char *v; } strs[] = {
		{ "state", state_names[v->state] }, { "from", v->src }, { "to", v->dst },
		{ "port", v->port }, { "channel", v->channel }, { "error", v->error },
		{ "code", v->code }, { "at", ts ? ts : "" },
	};

	json_builder_begin_object(b);
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++) {
		json_builder_set_member_name(b, strs[i].name);
		json_builder_add_string_value(b, strs[i].v);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(ints); i++) {
		json_builder_set_member_name(b, ints[i].name);
		json_builder_add_int_value(b, ints[i].v);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char *reply_record(const struct pv_vm *v)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();

	json_object_set_boolean_member(o, "ok", TRUE);
	json_object_set_member(o, "result", record_json(v));
	json_node_take_object(root, o);
	return json_to_string(root, FALSE);
}

static void answer_waiters(struct pv_vm *v, bool ok, const char *op)
{
	for (unsigned int i = 0; i < v->waiters->len; i++) {
		struct waiter *w = &g_array_index(v->waiters, struct waiter, i);

		w->answer(w->ctx, ok ? reply_record(v) :
			  reply_error(v->code, "%s refused (%s): %s", op, v->code, v->error));
	}
	g_array_set_size(v->waiters, 0);
}

static void count(struct provision *p, struct mig_vm *vm, enum mig_counter c)
{
	if (vm)
		mgr_count(p->m, vm, c, 1);
}

static gboolean job_done(gpointer data)
{
	struct pv_job *j = data;
	struct provision *p = j->p;
	struct mig_vm *vm = vmtable_by_uuid(p->m->vms, j->uuid);
	struct pv_vm *v = g_hash_table_lookup(p->vms, j->uuid);

	if (v) {
		v->ms = j->ms;
		v->t_done = g_get_real_time();
		g_strlcpy(v->error, j->ok ? "" : j->error, sizeof(v->error));
		g_strlcpy(v->code, j->ok ? "" : j->code, sizeof(v->code));
		switch (j->op) {
		case PV_OP_PREPARE:
			v->state = j->ok ? PV_PREPARED : PV_REFUSED;
			if (v->policy)
				json_node_unref(v->policy);
			v->policy = j->ok ? g_steal_pointer(&j->policy) : NULL;
			v->rules = j->rules;
			v->capacity = j->capacity;
			v->probe_ms = j->probe_ms;
			g_strlcpy(v->channel, j->channel, sizeof(v->channel));
			count(p, vm, j->ok ? CTR_PROVISION_PREPARED :
				     !strcmp(j->code, "unreachable") ? CTR_PROVISION_UNREACHABLE :
				     CTR_PROVISION_REFUSED);
			break;
		case PV_OP_COMMIT:
			v->state = j->ok ? PV_COMMITTED : PV_FAILED;
			count(p, vm, j->ok ? CTR_PROVISION_COMMITTED : CTR_PROVISION_FAILED);
			break;
		case PV_OP_ABORT:
			v->state = j->ok ? PV_ABORTED : PV_FAILED;
			count(p, vm, j->ok ? CTR_PROVISION_ABORTED : CTR_PROVISION_FAILED);
			break;
		}
		answer_waiters(v, j->ok, op_names[j->op]);
	}
	if (j->ok)
		g_info("vm %s: provisioning %s (%s -> %s) done in %" G_GINT64_FORMAT
		       " ms%s%s", j->name, op_names[j->op], j->src->name, j->dst->name, j->ms,
		       j->op == PV_OP_PREPARE ? ", channel " : "",
		       j->op == PV_OP_PREPARE ? j->channel : "");
	else
		g_warning("vm %s: provisioning %s (%s -> %s) failed [%s]: %s", j->name,
			  op_names[j->op], j->src->name, j->dst->name, j->code, j->error);
	p->running--;
	g_ptr_array_unref(j->macs);
	if (j->policy)
		json_node_unref(j->policy);
	g_free(j);
	return G_SOURCE_REMOVE;
}

static const struct topo_device *device_of(struct provision *p, const char *host)
{
	const struct topo_host *h = *host ? topo_host(p->t, host) : NULL;

	return h ? h->device : NULL;
}

/* Queue @op for @vm; @v holds the hosts and ports. */
static void queue_job(struct provision *p, struct mig_vm *vm, struct pv_vm *v,
		      enum pv_op op, int64_t min_bw)
{
	struct pv_job *j = g_new0(struct pv_job, 1);
	const struct topo_host *src = topo_host(p->t, v->src);

	j->p = p;
	memcpy(j->uuid, vm->uuid, HANDOFF_UUID_LEN);
	g_strlcpy(j->name, *vm->name ? vm->name : "?", sizeof(j->name));
	j->op = op;
	j->src = device_of(p, v->src);
	j->dst = device_of(p, v->dst);
	g_strlcpy(j->port, v->port, sizeof(j->port));
	g_strlcpy(j->src_port, v->src_port, sizeof(j->src_port));
	j->macs = vmtable_macs(vm);
	j->min_bw = min_bw;
	if (src && src->addresses->len)
		addr_format_host(&g_array_index(src->addresses, struct mig_addr, 0), j->peer,
				 sizeof(j->peer));
	if (op == PV_OP_COMMIT && v->policy)
		j->policy = json_node_copy(v->policy);
	v->state = op == PV_OP_PREPARE ? PV_PREPARING :
		   op == PV_OP_COMMIT ? PV_COMMITTING : PV_ABORTING;
	g_info("vm %s: provisioning %s queued (%s -> %s)", j->name, op_names[op], v->src,
	       v->dst);
	p->running++;
	g_thread_pool_push(p->worker, j, NULL);
}

static const char *str_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ?
		json_node_get_string(n) : NULL;
}

static bool valid_port(const char *s)
{
	return !s || (strlen(s) < 16 && g_regex_match_simple("^[A-Za-z0-9_.-]+$", s, 0, 0));
}

/* prepare: check what can be checked here, then queue the job. */
static char *do_prepare(struct provision *p, struct mig_vm *vm, JsonObject *req,
			struct waiter *w)
{
	const char *to = str_member(req, "to"), *from = str_member(req, "from");
	const char *port = str_member(req, "port"), *src_port = str_member(req, "src-port");
	int64_t min_bw = int_of(req, "min-bandwidth", 0);
	const struct topo_host *s, *d;
	struct pv_vm *v = g_hash_table_lookup(p->vms, vm->uuid);

	if (!from || !*from)
		from = vm->src_host;
	if (!to || !*to)
		return reply_error("invalid", "prepare: the destination host is missing (--to)");
	if (!*from)
		return reply_error("invalid", "prepare: the source host of %s is not known: give "
				   "--from HOST or register it with --src-host", vm->name);
	s = topo_host(p->t, from);
	d = topo_host(p->t, to);
	if (!s || !d)
		return reply_error("invalid", "prepare: host '%s' is not in the topology",
				   !s ? from : to);
	if (s == d)
		return reply_error("invalid", "prepare: %s is both source and destination", to);
	if (!s->device || !d->device)
		return reply_error("invalid", "prepare: host '%s' has no agent in the topology",
				   !s->device ? from : to);
	if (!valid_port(port) || !valid_port(src_port))
		return reply_error("invalid", "prepare: a port is not an interface name");
	if (min_bw < 0)
		return reply_error("invalid", "prepare: min-bandwidth is negative");
	if (v && (v->state == PV_PREPARING || v->state == PV_COMMITTING ||
		  v->state == PV_ABORTING))
		return reply_error("busy", "prepare: %s is %s", vm->name, state_names[v->state]);
	if (v && v->state == PV_PREPARED)
		return reply_error("busy", "prepare: %s is prepared for %s already: commit or "
				   "abort first", vm->name, v->dst);
	v = pv_vm_of(p, vm->uuid);
	g_strlcpy(v->src, s->name, sizeof(v->src));
	g_strlcpy(v->dst, d->name, sizeof(v->dst));
	g_strlcpy(v->port, port ? port : "", sizeof(v->port));
	g_strlcpy(v->src_port, src_port ? src_port : "", sizeof(v->src_port));
	v->rules = 0;
	v->capacity = v->probe_ms = -1;
	*v->channel = '\0';
	g_array_append_val(v->waiters, *w);
	queue_job(p, vm, v, PV_OP_PREPARE, min_bw);
	return NULL;
}

/* commit, abort: of a prepared VM; a second one waits for the first. */
static char *do_finish(struct provision *p, struct mig_vm *vm, enum pv_op op,
		       struct waiter *w)
{
	struct pv_vm *v = g_hash_table_lookup(p->vms, vm->uuid);
	enum pv_state running = op == PV_OP_COMMIT ? PV_COMMITTING : PV_ABORTING;
	enum pv_state done = op == PV_OP_COMMIT ? PV_COMMITTED : PV_ABORTED;

	if (!v || v->state == PV_NONE || v->state == PV_REFUSED)
		return reply_error("invalid", "%s: %s is not prepared", op_names[op], vm->name);
	if (v->state == done)
		return reply_record(v);
	if (v->state == running) {
		g_array_append_val(v->waiters, *w);
		return NULL;
	}
	if (v->state != PV_PREPARED)
		return reply_error("busy", "%s: %s is %s", op_names[op], vm->name,
				   state_names[v->state]);
	g_array_append_val(v->waiters, *w);
	queue_job(p, vm, v, op, 0);
	return NULL;
}

static bool on_command(void *data, struct mgr *m, const char *cmd, JsonObject *req,
		       mgr_answer_fn answer, void *ctx)
{
	struct provision *p = data;
	struct waiter w = { answer, ctx };
	const char *key;
	struct mig_vm *vm;
	char *now;

	if (strcmp(cmd, "prepare") && strcmp(cmd, "commit") && strcmp(cmd, "abort"))
		return false;
	key = str_member(req, "vm");
	vm = key ? vmtable_lookup(m->vms, key) : NULL;
	if (!vm)
		now = reply_error("invalid", "%s: unknown VM '%s' (register it first)", cmd,
				  key ? key : "");
	else if (!strcmp(cmd, "prepare"))
		now = do_prepare(p, vm, req, &w);
	else
		now = do_finish(p, vm, !strcmp(cmd, "commit") ? PV_OP_COMMIT : PV_OP_ABORT, &w);
	if (now)
		answer(ctx, now);
	return true;
}

static void on_event(void *data, struct mgr *m, struct mig_vm *vm, enum mgr_event ev)
{
	struct provision *p = data;
	struct pv_vm *v = g_hash_table_lookup(p->vms, vm->uuid);

	(void)m;
	if (!v)
		return;
	if (ev == MGR_EV_FORGOTTEN) {
		answer_waiters(v, false, "provisioning");
		g_hash_table_remove(p->vms, vm->uuid);
		return;
	}
	if (v->state != PV_PREPARED)
		return;
	/* the manager's ACTIVATED and ABORTED finish a prepared move */
	if (ev == MGR_EV_ACTIVATED)
		queue_job(p, vm, v, PV_OP_COMMIT, 0);
	else if (ev == MGR_EV_ABORTED)
		queue_job(p, vm, v, PV_OP_ABORT, 0);
}

static JsonNode *describe(void *data, const struct mig_vm *vm)
{
	struct provision *p = data;
	struct pv_vm *v = g_hash_table_lookup(p->vms, vm->uuid);

	return v ? record_json(v) : json_node_new(JSON_NODE_NULL);
}

struct provision *provision_new(struct mgr *m, const struct topo *t)
{
	struct provision *p = g_new0(struct provision, 1);

	p->m = m;
	p->t = t;
	p->vms = g_hash_table_new_full(vmtable_uuid_hash, vmtable_uuid_equal, g_free, pv_vm_free);
	p->worker = g_thread_pool_new(run_job, p, 1, FALSE, NULL);
	if (!mgr_add_hooks(m, &(struct mgr_hooks){
		    .name = "provision", .event = on_event, .describe = describe,
		    .command = on_command, .data = p,
	    }))
		g_warning("provisioning: no hook slot left in the core");
	return p;
}

void provision_free(struct provision *p)
{
	if (!p)
		return;
	mgr_remove_hooks(p->m, p);
	g_thread_pool_free(p->worker, FALSE, TRUE);
	while (p->running && g_main_context_iteration(NULL, FALSE))
		;
	g_hash_table_destroy(p->vms);
	g_free(p);
}
