// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * addrcheck.c - the check of a VM's new address at the destination (see
 * addrcheck.h and docs/services.md).
 *
 * The ACTIVATED hook holds the VM's address (mgr_address_hold()) and
 * queues a job on one worker thread, which asks the destination's agent
 * (op "address", docs/netstate.md §3) every ADDRCHECK_POLL_MS until the VM
 * answers at its new address or the hold's deadline passes; the result
 * goes back to the main loop, which records it, counts it and lets the
 * services' names go (mgr_address_ready()).  A deadline that passes first
 * is the core's (window.c, address-timeouts).
 */
#include "addrcheck.h"

#include <string.h>
#include <sys/socket.h>

#include "agentcall.h"
#include "internal.h"

/* Between two questions to the agent (a probe that is not answered takes
 * 900 ms of its own). */
#define ADDRCHECK_POLL_MS 100

/**
 * struct ac_result - what the last check of a VM found (migctl show).
 * @state: "checking", "learned", "confirmed", "failed", "timeout" or
 *         "skipped".
 * @ip: the address checked or learned ("" if none).
 * @at: the destination's device.
 * @tries: questions asked.
 * @ms: how long it took.
 * @rtt_ms: the answered probe's round trip.
 * @error: the last refusal or error ("" if none).
 */
struct ac_result {
	char state[16];
	char ip[64];
	char at[65];
	unsigned int tries;
	int64_t ms;
	double rtt_ms;
	char error[256];
};

/**
 * struct ac_job - one check, on the worker.
 * @a: the checks.
 * @uuid: the VM.
 * @migration_id: its window (a result for an older one is dropped).
 * @name: its name.
 * @dst: the destination's device.
 * @macs: the VM's MACs (text).
 * @old_ip: its address before the move.
 * @want: the registered new address ("" = learn it).
 * @deadline: monotonic µs of the end of the hold.
 * @ok: the VM answered at @r.ip.
 * @r: the result.
 */
struct ac_job {
	struct addrcheck *a;
	uint8_t uuid[HANDOFF_UUID_LEN];
	uint8_t migration_id[HANDOFF_ID_LEN];
	char name[65];
	const struct topo_device *dst;
	GPtrArray *macs;
	char old_ip[64];
	char want[64];
	int64_t deadline;
	bool ok;
	struct ac_result r;
};

struct addrcheck {
	struct mgr *m;
	const struct topo *t;
	GThreadPool *worker;
	GHashTable *vms; /* 16-byte UUID -> struct ac_result */
	unsigned int running;
	gint stopping; /* addrcheck_free(): the worker gives up at once */
	void (*kick)(void *);
	void *kick_data;
};

/* --- the worker ---------------------------------------------------------------------- */

static JsonObject *request(const struct ac_job *j)
{
	JsonObject *o = json_object_new();
	JsonArray *macs = json_array_new(), *old = json_array_new();

	json_object_set_string_member(o, "op", "address");
	json_object_set_string_member(o, "vm", j->name);
	for (unsigned int i = 0; i < j->macs->len; i++)
		json_array_add_string_element(macs, g_ptr_array_index(j->macs, i));
	json_object_set_array_member(o, "macs", macs);
	json_array_add_string_element(old, j->old_ip);
	json_object_set_array_member(o, "old", old);
	json_object_set_string_member(o, "want", j->want);
	return o;
}

/* Whether a refusal may change with time (the lease, the guest's
 * configuration are on their way). */
static bool transient(const GError *err, const char *code)
{
	return g_error_matches(err, AGENT_CALL_ERROR, AGENT_CALL_UNREACHABLE) ||
	       !strcmp(code, "no-binding") || !strcmp(code, "no-answer");
}

static gboolean job_done(gpointer data);

static void run_job(gpointer data, gpointer user)
{
	struct ac_job *j = data;
	const struct mgr_config *cfg = j->a->m->cfg;
	gint64 t0 = g_get_monotonic_time();

	(void)user;
	for (;;) {
		g_autoptr(JsonParser) p = json_parser_new();
		g_autoptr(JsonObject) req = request(j);
		g_autoptr(GError) err = NULL;
		gint64 left = j->deadline - g_get_monotonic_time();
		char code[32] = "";
		JsonObject *ans;

		if (left <= 0 || g_atomic_int_get(&j->a->stopping)) {
			g_strlcpy(j->r.state, "timeout", sizeof(j->r.state));
			break;
		}
		j->r.tries++;
		ans = agent_call(j->a->m, j->dst,
				 (unsigned int)MIN((gint64)cfg->netstate_timeout_ms, left / 1000 + 1),
				 req, p, NULL, code, sizeof(code), &err);
		if (ans) {
			g_strlcpy(j->r.ip, json_object_get_string_member_with_default(ans, "ip", ""),
				  sizeof(j->r.ip));
			j->r.rtt_ms = json_object_get_double_member_with_default(ans, "rtt-ms", 0);
			j->ok = *j->r.ip != '\0';
			j->r.error[0] = '\0';
			g_strlcpy(j->r.state, !j->ok ? "failed" : *j->want ? "confirmed" : "learned",
				  sizeof(j->r.state));
			break;
		}
		g_strlcpy(j->r.error, err->message, sizeof(j->r.error));
		if (!transient(err, code)) {
			g_strlcpy(j->r.state, "failed", sizeof(j->r.state));
			break;
		}
		g_usleep(ADDRCHECK_POLL_MS * 1000);
	}
	j->r.ms = (g_get_monotonic_time() - t0) / 1000;
	g_idle_add(job_done, j);
}

/* --- the main loop ---------------------------------------------------------------------- */

static struct ac_result *record(struct addrcheck *a, const uint8_t uuid[HANDOFF_UUID_LEN])
{
	struct ac_result *r = g_hash_table_lookup(a->vms, uuid);

	if (!r) {
		r = g_new0(struct ac_result, 1);
		g_hash_table_insert(a->vms, g_memdup2(uuid, HANDOFF_UUID_LEN), r);
	}
	return r;
}

static gboolean job_done(gpointer data)
{
	struct ac_job *j = data;
	struct addrcheck *a = j->a;
	struct mig_vm *vm = vmtable_by_uuid(a->m->vms, j->uuid);
	struct mig_addr ip;

	a->running--;
	if (!vm || (vm->state != VM_ACTIVATED && vm->state != VM_DONE) || !vm->address_hold ||
	    memcmp(vm->migration_id, j->migration_id, HANDOFF_ID_LEN)) {
		/* the hold ended first (address-wait-ms, an abort, a new window) */
		g_info("vm %s: address check ended after its hold (%s): result dropped",
		       j->name, j->r.state);
		goto out;
	}
	if (j->ok && (!addr_parse_host(j->r.ip, &ip) || ip.ss.ss_family != vm->ip.ss.ss_family)) {
		/* an answer the VM's services cannot use: a failure, and said so */
		j->ok = false;
		g_strlcpy(j->r.state, "failed", sizeof(j->r.state));
		g_snprintf(j->r.error, sizeof(j->r.error), "the agent answered '%s', not an %s address",
			   j->r.ip, vm->ip.ss.ss_family == AF_INET6 ? "IPv6" : "IPv4");
	}
	*record(a, vm->uuid) = j->r;
	if (j->ok) {
		if (vm->learn_ip)
			vm->new_ip = ip;
		mgr_count(a->m, vm, vm->learn_ip ? CTR_ADDRESS_LEARNED : CTR_ADDRESS_CONFIRMED, 1);
		g_info("vm %s: answers at %s on %s (%s, %u tries, %" G_GINT64_FORMAT
		       " ms): its services follow", vm->name, j->r.ip, j->r.at, j->r.state,
		       j->r.tries, j->r.ms);
	} else {
		mgr_count(a->m, vm, strcmp(j->r.state, "timeout") ? CTR_ADDRESS_FAILED
								 : CTR_ADDRESS_TIMEOUTS, 1);
		g_warning("vm %s: address check at %s %s after %u tries: %s; %s", vm->name,
			  j->r.at, j->r.state, j->r.tries, j->r.error,
			  vm->new_ip.len ? "its services follow the registered --new-ip"
					 : "its services' names stay");
	}
	mgr_address_ready(a->m, vm);
	a->kick(a->kick_data);
out:
	g_ptr_array_unref(j->macs);
	g_free(j);
	return G_SOURCE_REMOVE;
}

/* A check that cannot run: say why (the core counts an address that
 * was to be learned, mgr_activated()). */
static void skip(struct addrcheck *a, struct mig_vm *vm, const char *why)
{
	struct ac_result *r = record(a, vm->uuid);

	memset(r, 0, sizeof(*r));
	g_strlcpy(r->state, "skipped", sizeof(r->state));
	g_strlcpy(r->error, why, sizeof(r->error));
	g_info("vm %s: its new address is not checked: %s", vm->name, why);
}

static void start(struct addrcheck *a, struct mig_vm *vm)
{
	const struct topo_host *h = vm->control_dst.len ? topo_host_of(a->t, &vm->control_dst)
							: NULL;
	struct ac_job *j;

	if (!h && *vm->dest_host)
		h = topo_host(a->t, vm->dest_host);
	if (!a->m->cfg->address_wait_ms) {
		skip(a, vm, "address-wait-ms is 0");
		return;
	}
	if (!h || !h->device) {
		skip(a, vm, "the destination host has no device with an agent in the topology");
		return;
	}
	j = g_new0(struct ac_job, 1);
	j->a = a;
	memcpy(j->uuid, vm->uuid, HANDOFF_UUID_LEN);
	memcpy(j->migration_id, vm->migration_id, HANDOFF_ID_LEN);
	g_strlcpy(j->name, *vm->name ? vm->name : "?", sizeof(j->name));
	j->dst = h->device;
	j->macs = vmtable_macs(vm);
	addr_format_host(&vm->ip, j->old_ip, sizeof(j->old_ip));
	if (vm->new_ip.len)
		addr_format_host(&vm->new_ip, j->want, sizeof(j->want));
	g_strlcpy(j->r.at, h->device->name, sizeof(j->r.at));
	g_strlcpy(j->r.state, "checking", sizeof(j->r.state));
	if (!j->macs->len) {
		g_ptr_array_unref(j->macs);
		g_free(j);
		skip(a, vm, "no MAC known for the VM");
		return;
	}
	mgr_address_hold(a->m, vm);
	j->deadline = vm->m_address_deadline;
	*record(a, vm->uuid) = j->r;
	a->running++;
	g_thread_pool_push(a->worker, j, NULL);
}

static void on_event(void *data, struct mgr *m, struct mig_vm *vm, enum mgr_event ev)
{
	struct addrcheck *a = data;

	(void)m;
	if (ev == MGR_EV_ACTIVATED && (vm->learn_ip || vm->new_ip.len))
		start(a, vm);
	else if (ev == MGR_EV_FORGOTTEN)
		g_hash_table_remove(a->vms, vm->uuid);
}

static JsonNode *describe(void *data, const struct mig_vm *vm)
{
	struct addrcheck *a = data;
	const struct ac_result *r = g_hash_table_lookup(a->vms, vm->uuid);
	JsonNode *n;
	JsonObject *o;

	if (!r)
		return json_node_new(JSON_NODE_NULL);
	o = json_object_new();
	json_object_set_string_member(o, "state", r->state);
	json_object_set_string_member(o, "ip", r->ip);
	json_object_set_string_member(o, "at", r->at);
	json_object_set_int_member(o, "tries", r->tries);
	json_object_set_int_member(o, "ms", r->ms);
	json_object_set_double_member(o, "rtt-ms", r->rtt_ms);
	json_object_set_string_member(o, "error", r->error);
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

struct addrcheck *addrcheck_new(struct mgr *m, const struct topo *t,
				void (*kick)(void *), void *kick_data)
{
	struct addrcheck *a = g_new0(struct addrcheck, 1);

	a->m = m;
	a->t = t;
	a->kick = kick;
	a->kick_data = kick_data;
	a->vms = g_hash_table_new_full(vmtable_uuid_hash, vmtable_uuid_equal, g_free, g_free);
	a->worker = g_thread_pool_new(run_job, a, 1, FALSE, NULL);
	mgr_add_hooks(m, &(struct mgr_hooks){
		.name = "address", .event = on_event, .describe = describe, .data = a,
	});
	return a;
}

void addrcheck_free(struct addrcheck *a)
{
	if (!a)
		return;
	mgr_remove_hooks(a->m, a);
	g_atomic_int_set(&a->stopping, 1);
	g_thread_pool_free(a->worker, FALSE, TRUE);
	/* the finished jobs' results are still queued on the main loop */
	while (a->running && g_main_context_iteration(NULL, FALSE))
		;
	g_hash_table_destroy(a->vms);
	g_free(a);
}
