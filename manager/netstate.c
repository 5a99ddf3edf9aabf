// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netstate.c - the network-state transfer of mig-manager (see netstate.h
 * and docs/netstate.md).
 *
 * The core's hooks queue a job per phase on one worker thread (so the
 * phases of a VM run in order and the data path never waits for an
 * agent); the worker talks to the agents over TLS-PSK and hands the
 * result back to the main loop, which records it, counts it and lets the
 * VM's DRAINED go.
 */
#include "netstate.h"

#include <string.h>

#include "agentcall.h"
#include "internal.h"
#include "keys.h"
#include "tlspsk.h"

enum ns_phase { NS_PRECOPY, NS_SUSPEND, NS_ACTIVATE, NS_ABORT, NS_N_PHASES };

static const char *const phase_names[NS_N_PHASES] = {
	"precopy", "suspend", "activate", "abort",
};

/**
 * struct ns_result - what one phase did.
 * @done: the phase ran (else the rest is unset).
 * @ok: it moved (or deleted) what it should have.
 * @mode: the transfer mode.
 * @src: source host.
 * @dst: destination host.
 * @entries: conntrack entries exported.
 * @created: conntrack entries created at the destination.
 * @updated: conntrack entries that were already there, updated.
 * @failed: conntrack entries the destination refused (full table...).
 * @skipped: entries not exported (over max-entries).
 * @bindings: bindings moved.
 * @counters: counter pairs moved.
 * @deleted: entries deleted (activate: at the source; abort: at the
 *           destination).
 * @bytes: bytes of state between the hosts.
 * @ms: how long the phase took.
 * @t_done: wall-clock µs it ended.
 * @error: why it failed or what was skipped ("" if nothing).
 */
struct ns_result {
	bool done, ok;
	enum topo_mode mode;
	char src[65], dst[65];
	int64_t entries, created, updated, failed, skipped, bindings, counters,
		deleted, bytes, ms, t_done;
	char error[256];
};

/* A VM's record: what each phase did. */
struct ns_vm {
	struct ns_result r[NS_N_PHASES];
	bool copied; /* something was imported at the destination */
	bool precopied; /* a precopy is in place for the next window */
	bool queued;    /* a copy is queued or running (an abort must follow it) */
};

/**
 * struct ns_job - one phase of one VM, on the worker.
 * @n: the transfers.
 * @uuid: the VM.
 * @name: its name.
 * @phase: the phase.
 * @src: source host's device.
 * @dst: destination host's device.
 * @macs: the VM's MACs (text).
 * @in_place: activate: the state is at the destination already (a
 *            precopy or the suspend phase): announce first, then refresh.
 * @announce_only: only tell the destination's agent that the VM runs
 *                 there (on the fast worker, beside the queued phases).
 * @r: the result (filled by the worker).
 */
struct ns_job {
	struct netstate *n;
	uint8_t uuid[HANDOFF_UUID_LEN];
	char name[65];
	enum ns_phase phase;
	const struct topo_device *src, *dst;
	GPtrArray *macs;
	bool in_place;
	bool announce_only;
	struct ns_result r;
};

struct netstate {
	struct mgr *m;
	struct topo *t;
	GThreadPool *worker;
	GThreadPool *fast; /* announcements: they do not wait for the phases */
	GHashTable *vms; /* 16-byte UUID -> struct ns_vm */
	unsigned int running;
	void (*kick)(void *);
	void *kick_data;
};

/* --- the worker: talking to agents ----------------------------------------------- */

/* One request to a device's agent and its answer; NULL and @error on failure. */
static JsonObject *ns_call(struct netstate *n, const struct topo_device *d,
			   JsonObject *req, JsonParser *p, uint64_t *rx, GError **error)
{
	return agent_call(n->m, d, n->m->cfg->netstate_timeout_ms, req, p, rx, NULL, 0,
			  error);
}

static JsonObject *request(const struct ns_job *j, const char *op)
{
	JsonObject *o = json_object_new();
	JsonArray *a = json_array_new();

	json_object_set_string_member(o, "op", op);
	json_object_set_string_member(o, "vm", j->name);
	for (unsigned int i = 0; i < j->macs->len; i++)
		json_array_add_string_element(a, g_ptr_array_index(j->macs, i));
	json_object_set_array_member(o, "macs", a);
	return o;
}

static int64_t stat_of(JsonObject *o, const char *obj, const char *name)
{
	JsonObject *s = o && json_object_has_member(o, obj) ?
		json_object_get_object_member(o, obj) : NULL;

	return s ? json_object_get_int_member_with_default(s, name, 0) : 0;
}

/* The export's and the import's numbers into the result. */
static void take_stats(struct ns_result *r, JsonObject *exp, const char *exp_obj,
		       JsonObject *imp, const char *imp_obj)
{
	r->entries = stat_of(exp, exp_obj, "conntrack");
	r->skipped = stat_of(exp, exp_obj, "conntrack-skipped");
	r->bindings = stat_of(exp, exp_obj, "bindings");
	r->counters = stat_of(exp, exp_obj, "counters");
	r->created = stat_of(imp, imp_obj, "conntrack-created");
	r->updated = stat_of(imp, imp_obj, "conntrack-updated");
	r->failed = stat_of(imp, imp_obj, "conntrack-failed") + stat_of(imp, imp_obj, "nft-failed");
}

/* Mode (a): the manager fetches the state and sends it on. */
static bool move_fetch(struct ns_job *j, bool announce, GError **error)
{
	g_autoptr(JsonParser) p1 = json_parser_new(), p2 = json_parser_new();
	g_autoptr(JsonObject) exp = request(j, "export"), imp = request(j, "import");
	JsonObject *a, *b;
	uint64_t rx = 0;

	a = ns_call(j->n, j->src, exp, p1, &rx, error);
	if (!a || !json_object_has_member(a, "state"))
		return false;
	json_object_set_member(imp, "state", json_node_copy(json_object_get_member(a, "state")));
	json_object_set_boolean_member(imp, "announce", announce);
	b = ns_call(j->n, j->dst, imp, p2, NULL, error);
	if (!b)
		return false;
	take_stats(&j->r, a, "stats", b, "stats");
	j->r.bytes = (int64_t)rx;
	return true;
}

/* Modes (b) and (c): a one-time ticket at one agent, the transfer asked
 * of the other. */
static bool move_ticket(struct ns_job *j, bool pull, bool announce, GError **error)
{
	g_autoptr(JsonParser) p1 = json_parser_new(), p2 = json_parser_new();
	g_autoptr(JsonObject) tk = request(j, "ticket"), op = request(j, pull ? "pull" : "push");
	const struct topo_device *issuer = pull ? j->src : j->dst, *doer = pull ? j->dst : j->src;
	g_autofree char *id = g_uuid_string_random(), *b64 = NULL;
	uint8_t key[HANDOFF_KEY_LEN];
	char where[ADDR_STRLEN];
	JsonObject *a;

	if (!mig_ticket_key(j->n->m->cfg->key, j->n->m->cfg->key_len, id, key)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no ticket key");
		return false;
	}
	b64 = g_base64_encode(key, sizeof(key));
	memset(key, 0, sizeof(key));
	json_object_set_string_member(tk, "ticket", id);
	json_object_set_string_member(tk, "key", b64);
	json_object_set_string_member(tk, "allow", pull ? "export" : "import");
	if (!ns_call(j->n, issuer, tk, p1, NULL, error))
		return false;
	json_object_set_string_member(op, pull ? "from" : "to",
				      addr_format(&issuer->agent, where, sizeof(where)));
	json_object_set_string_member(op, "ticket", id);
	json_object_set_string_member(op, "key", b64);
	json_object_set_boolean_member(op, "announce", announce);
	a = ns_call(j->n, doer, op, p2, NULL, error);
	memset(b64, 0, strlen(b64));
	if (!a)
		return false;
	if (pull)
		take_stats(&j->r, a, "peer-stats", a, "stats");
	else
		take_stats(&j->r, a, "stats", a, "peer-stats");
	j->r.bytes = stat_of(a, "stats", "bytes");
	return true;
}

/* delete at @d (the source after ACTIVATED, the destination after ABORTED). */
static bool delete_at(struct ns_job *j, const struct topo_device *d, bool withdraw,
		      GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonObject) del = request(j, "delete");
	JsonObject *a;

	json_object_set_boolean_member(del, "withdraw", withdraw);
	a = ns_call(j->n, d, del, p, NULL, error);
	if (!a)
		return false;
	j->r.deleted = stat_of(a, "stats", "conntrack");
	return true;
}

static bool move(struct ns_job *j, bool announce, GError **error)
{
	switch (j->r.mode) {
	case TOPO_PULL:
		return move_ticket(j, true, announce, error);
	case TOPO_PUSH:
		return move_ticket(j, false, announce, error);
	default:
		return move_fetch(j, announce, error);
	}
}

static gboolean job_done(gpointer data);

static void run_job(gpointer data, gpointer user)
{
	struct ns_job *j = data;
	g_autoptr(GError) err = NULL;
	gint64 t0 = g_get_monotonic_time();
	bool ok;

	(void)user;
	if (j->phase == NS_ABORT) {
		ok = delete_at(j, j->dst, false, &err);
	} else if (j->announce_only) {
		g_autoptr(JsonParser) p = json_parser_new();
		g_autoptr(JsonObject) an = request(j, "announce");

		ok = ns_call(j->n, j->dst, an, p, NULL, &err) != NULL;
	} else if (j->phase == NS_ACTIVATE && j->in_place) {
		/* announced already (the fast worker): refresh, then the source
		 * forgets */
		ok = move(j, false, &err) && delete_at(j, j->src, true, &err);
	} else {
		ok = move(j, j->phase == NS_ACTIVATE, &err);
		/* the VM runs at the destination: its state leaves the source */
		if (ok && j->phase == NS_ACTIVATE)
			ok = delete_at(j, j->src, true, &err);
	}
	j->r.ok = ok && !j->r.failed;
	if (err)
		g_strlcpy(j->r.error, err->message, sizeof(j->r.error));
	else if (j->r.failed)
		g_snprintf(j->r.error, sizeof(j->r.error),
			   "the destination refused %" G_GINT64_FORMAT " entries (table full?)",
			   j->r.failed);
	else if (j->r.skipped)
		g_snprintf(j->r.error, sizeof(j->r.error),
			   "%" G_GINT64_FORMAT " entries over max-entries not moved", j->r.skipped);
	j->r.ms = (g_get_monotonic_time() - t0) / 1000;
	j->r.t_done = g_get_real_time();
	j->r.done = true;
	g_idle_add(job_done, j);
}

/* --- the main loop: events and results ---------------------------------------------- */

static struct ns_vm *ns_vm_of(struct netstate *n, const uint8_t uuid[HANDOFF_UUID_LEN])
{
	struct ns_vm *v = g_hash_table_lookup(n->vms, uuid);

	if (!v) {
		v = g_new0(struct ns_vm, 1);
		g_hash_table_insert(n->vms, g_memdup2(uuid, HANDOFF_UUID_LEN), v);
	}
	return v;
}

static void count_result(struct mgr *m, struct mig_vm *vm, const struct ns_result *r)
{
	mgr_count(m, vm, r->ok ? CTR_NETSTATE_TRANSFERS : CTR_NETSTATE_FAILURES, 1);
	mgr_count(m, vm, CTR_NETSTATE_ENTRIES, (uint64_t)MAX(0, r->created + r->updated));
	mgr_count(m, vm, CTR_NETSTATE_BINDINGS, (uint64_t)MAX(0, r->bindings));
	mgr_count(m, vm, CTR_NETSTATE_COUNTERS, (uint64_t)MAX(0, r->counters));
	mgr_count(m, vm, CTR_NETSTATE_BYTES, (uint64_t)MAX(0, r->bytes));
}

static gboolean job_done(gpointer data)
{
	struct ns_job *j = data;
	struct netstate *n = j->n;
	struct mig_vm *vm = vmtable_by_uuid(n->m->vms, j->uuid);
	/* a VM forgotten meanwhile gets no new record */
	struct ns_vm *v = vm ? ns_vm_of(n, j->uuid) : NULL;

	if (j->announce_only) {
		if (j->r.ok)
			g_info("vm %s: announced at %s in %" G_GINT64_FORMAT " ms", j->name,
			       j->r.dst, j->r.ms);
		else
			g_warning("vm %s: announce at %s failed: %s", j->name, j->r.dst,
				  j->r.error);
		goto out;
	}
	if (v) {
		v->r[j->phase] = j->r;
		v->copied = j->phase != NS_ABORT &&
			    (v->copied || j->r.created || j->r.updated || j->r.bindings);
		if (j->phase == NS_PRECOPY)
			v->precopied = j->r.ok;
		if (j->phase == NS_ACTIVATE || j->phase == NS_ABORT)
			v->queued = v->precopied = false;
	}
	if (j->r.ok)
		g_info("vm %s: network state %s (%s, %s -> %s): %" G_GINT64_FORMAT
		       " entries, %" G_GINT64_FORMAT " bindings, %" G_GINT64_FORMAT
		       " counters, %" G_GINT64_FORMAT " bytes in %" G_GINT64_FORMAT " ms",
		       j->name, phase_names[j->phase], topo_mode_name(j->r.mode), j->r.src,
		       j->r.dst, j->r.entries, j->r.bindings, j->r.counters, j->r.bytes, j->r.ms);
	else
		g_warning("vm %s: network state %s (%s, %s -> %s) failed: %s", j->name,
			  phase_names[j->phase], topo_mode_name(j->r.mode), j->r.src, j->r.dst,
			  j->r.error);
	if (vm) {
		count_result(n->m, vm, &j->r);
		if (j->phase == NS_ACTIVATE || (j->phase == NS_SUSPEND && j->r.ok))
			mgr_netstate_release(n->m, vm);
		n->kick(n->kick_data);
	}
out:
	n->running--;
	g_ptr_array_unref(j->macs);
	g_free(j);
	return G_SOURCE_REMOVE;
}

/* A host of the VM's move: where its QEMU talks from when known (the
 * source from SUSPENDING, the destination from ACTIVATED), else the one
 * registered (migctl register --src-host/--dest-host). */
static const struct topo_host *host_of(struct netstate *n, const char *reg,
				       const struct mig_addr *qemu)
{
	const struct topo_host *h = qemu->len ? topo_host_of(n->t, qemu) : NULL;

	return h ? h : *reg ? topo_host(n->t, reg) : NULL;
}

/* A phase that does not run: say why in the VM's record. */
static void skip(struct netstate *n, struct mig_vm *vm, enum ns_phase ph, const char *why)
{
	struct ns_result *r = &ns_vm_of(n, vm->uuid)->r[ph];

	memset(r, 0, sizeof(*r));
	r->done = true;
	r->t_done = g_get_real_time();
	g_strlcpy(r->error, why, sizeof(r->error));
	g_info("vm %s: network state %s skipped: %s", vm->name, phase_names[ph], why);
}

static bool queue_job(struct netstate *n, struct mig_vm *vm, enum ns_phase ph,
		      bool in_place)
{
	static const struct mig_addr unknown;
	/* a precopy has only the registration; the QEMUs' addresses of an
	 * earlier move say nothing of the next */
	const struct topo_host *src = host_of(n, vm->src_host,
					      ph == NS_PRECOPY ? &unknown : &vm->control_src);
	const struct topo_host *dst = host_of(n, vm->dest_host,
					      ph == NS_ACTIVATE || ph == NS_ABORT ?
					      &vm->control_dst : &unknown);
	struct ns_job *j;

	/* a destination registered for an earlier move (the VM comes back) */
	if (ph == NS_SUSPEND && dst == src)
		dst = NULL;
	if (!src || !dst) {
		if (ph != NS_PRECOPY)
			skip(n, vm, ph, !src ? "the source host is not in the topology"
					     : "the destination host is not known yet");
		return false;
	}
	if (!src->device || !dst->device) {
		skip(n, vm, ph, "a host of the move has no gateway device in the topology");
		return false;
	}
	if (src == dst || src->device == dst->device) {
		skip(n, vm, ph, "source and destination share their gateway device: nothing to move");
		return false;
	}
	j = g_new0(struct ns_job, 1);
	j->n = n;
	memcpy(j->uuid, vm->uuid, HANDOFF_UUID_LEN);
	g_strlcpy(j->name, *vm->name ? vm->name : "?", sizeof(j->name));
	j->phase = ph;
	j->in_place = in_place;
	j->src = src->device;
	j->dst = dst->device;
	j->macs = vmtable_macs(vm);
	j->r.mode = topo_mode(n->t, src, dst);
	g_strlcpy(j->r.src, src->name, sizeof(j->r.src));
	g_strlcpy(j->r.dst, dst->name, sizeof(j->r.dst));
	if (!j->macs->len) {
		skip(n, vm, ph, "no MAC known for the VM");
		g_ptr_array_unref(j->macs);
		g_free(j);
		return false;
	}
	if (in_place && ph == NS_ACTIVATE) {
		struct ns_job *an = g_memdup2(j, sizeof(*j));

		an->announce_only = true;
		an->macs = g_ptr_array_ref(j->macs);
		n->running++;
		g_thread_pool_push(n->fast, an, NULL);
	}
	if (ph == NS_PRECOPY || ph == NS_SUSPEND)
		ns_vm_of(n, vm->uuid)->queued = true;
	n->running++;
	g_thread_pool_push(n->worker, j, NULL);
	return true;
}

static void on_event(void *data, struct mgr *m, struct mig_vm *vm, enum mgr_event ev)
{
	struct netstate *n = data;
	struct ns_vm *v;
	bool in_place;

	switch (ev) {
	case MGR_EV_REGISTERED:
		if (*vm->src_host && *vm->dest_host && vm->state != VM_SUSPENDED)
			queue_job(n, vm, NS_PRECOPY, false);
		break;
	case MGR_EV_SUSPENDED:
		v = ns_vm_of(n, vm->uuid);
		for (int i = NS_SUSPEND; i < NS_N_PHASES; i++)
			memset(&v->r[i], 0, sizeof(v->r[i]));
		queue_job(n, vm, NS_SUSPEND, false);
		break;
	case MGR_EV_ACTIVATED:
		/* the last changes, then the source forgets them; DRAINED waits
		 * until the state is in place (a precopy or the suspend phase),
		 * not for this */
		v = ns_vm_of(n, vm->uuid);
		in_place = v->precopied || (v->r[NS_SUSPEND].done && v->r[NS_SUSPEND].ok);
		if (queue_job(n, vm, NS_ACTIVATE, in_place) && !in_place)
			mgr_netstate_hold(m, vm);
		break;
	case MGR_EV_ABORTED:
		/* after the copies queued before it (one worker, in order) */
		v = ns_vm_of(n, vm->uuid);
		if (v->copied || v->queued)
			queue_job(n, vm, NS_ABORT, false);
		v->precopied = false;
		break;
	case MGR_EV_FORGOTTEN:
		g_hash_table_remove(n->vms, vm->uuid);
		break;
	case MGR_EV_ADDRESS:
		break;
	}
}

static void add_result(JsonBuilder *b, enum ns_phase ph, const struct ns_result *r)
{
	static const char *const names[] = {
		"entries", "created", "updated", "failed", "skipped", "bindings",
		"counters", "deleted", "bytes", "ms",
	};
	const int64_t vals[] = {
		r->entries, r->created, r->updated, r->failed, r->skipped, r->bindings,
		r->counters, r->deleted, r->bytes, r->ms,
	};
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(r->t_done / G_USEC_PER_SEC);
	g_autofree char *ts = t ? g_date_time_format_iso8601(t) : NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "phase");
	json_builder_add_string_value(b, phase_names[ph]);
	json_builder_set_member_name(b, "result");
	json_builder_add_string_value(b, r->ok ? "ok" : *r->src ? "failed" : "skipped");
	if (*r->src) {
		json_builder_set_member_name(b, "mode");
		json_builder_add_string_value(b, topo_mode_name(r->mode));
		json_builder_set_member_name(b, "from");
		json_builder_add_string_value(b, r->src);
		json_builder_set_member_name(b, "to");
		json_builder_add_string_value(b, r->dst);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		json_builder_set_member_name(b, names[i]);
		json_builder_add_int_value(b, vals[i]);
	}
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, r->error);
	json_builder_set_member_name(b, "at");
	json_builder_add_string_value(b, ts ? ts : "");
	json_builder_end_object(b);
}

static JsonNode *describe(void *data, const struct mig_vm *vm)
{
	struct netstate *n = data;
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct ns_vm *v = g_hash_table_lookup(n->vms, vm->uuid);

	json_builder_begin_array(b);
	for (int i = 0; v && i < NS_N_PHASES; i++)
		if (v->r[i].done)
			add_result(b, i, &v->r[i]);
	json_builder_end_array(b);
	return json_builder_get_root(b);
}

struct netstate *netstate_new(struct mgr *m, struct topo *t,
			      void (*kick)(void *), void *kick_data)
{
	struct netstate *n = g_new0(struct netstate, 1);

	n->m = m;
	n->kick = kick;
	n->kick_data = kick_data;
	n->t = t;
	n->vms = g_hash_table_new_full(vmtable_uuid_hash, vmtable_uuid_equal, g_free, g_free);
	/* one worker: the phases of a VM run in the order they came */
	n->worker = g_thread_pool_new(run_job, n, 1, FALSE, NULL);
	n->fast = g_thread_pool_new(run_job, n, 1, FALSE, NULL);
	mgr_add_hooks(m, &(struct mgr_hooks){
		.name = "netstate", .event = on_event, .describe = describe, .data = n,
	});
	return n;
}

void netstate_free(struct netstate *n)
{
	if (!n)
		return;
	mgr_remove_hooks(n->m, n);
	g_thread_pool_free(n->worker, FALSE, TRUE);
	g_thread_pool_free(n->fast, FALSE, TRUE);
	/* the finished jobs' results are still queued on the main loop */
	while (n->running && g_main_context_iteration(NULL, FALSE))
		;
	g_hash_table_destroy(n->vms);
	topo_free(n->t);
	g_free(n);
}
