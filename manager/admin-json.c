// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * admin-json.c - the core as JSON for the admin socket (migctl show, vms,
 * status): a VM with its NICs, endpoints, times, queue, DRAINED and
 * counters; the daemon's summary.  Counter names come from
 * lib/counters.h.
 */
#include "admin.h"

#include <string.h>

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

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
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

static void add_nic(JsonBuilder *b, const struct mig_nic *nic)
{
	char s[MAC_STRLEN];

	json_builder_begin_object(b);
	add_str(b, "mac", mac_format(nic->mac, s));
	add_u64(b, "vni", nic->vni);
	add_addr(b, "data-endpoint", &nic->data_ep, false);
	add_addr(b, "inject-endpoint", &nic->inject_ep, false);
	add_str(b, "peer", nic->peer ? nic->peer->name : NULL);
	add_u64(b, "queued", queue_len(nic->queue));
	add_u64(b, "received", nic->received);
	add_u64(b, "sent", nic->sent);
	json_builder_set_member_name(b, "end-frames");
	if (nic->have_end)
		json_builder_add_int_value(b, (gint64)nic->end_frames);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

static void add_identity(JsonBuilder *b, const struct mig_vm *vm)
{
	char s[40];

	add_str(b, "name", vm->name);
	add_str(b, "uuid", uuid_format(vm->uuid, s));
	add_str(b, "state", vm_state_name(vm->state));
	add_str(b, "policy", policy_name(vm->policy));
	json_builder_set_member_name(b, "registered");
	json_builder_add_boolean_value(b, vm->registered);
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->reg_n_macs; i++)
		json_builder_add_string_value(b, mac_format(vm->reg_macs[i], s));
	json_builder_end_array(b);
	add_addr(b, "ip", &vm->ip, true);
	if (vm->learn_ip && !vm->new_ip.len)
		add_str(b, "new-ip", vm->ip.ss.ss_family == AF_INET6 ? "slaac" : "dhcp");
	else
		add_addr(b, "new-ip", &vm->new_ip, true);
	json_builder_set_member_name(b, "new-ip-learned");
	json_builder_add_boolean_value(b, vm->learn_ip);
	add_str(b, "new-mac", vm->has_new_mac ? mac_format(vm->new_mac, s) : NULL);
	add_str(b, "src-host", *vm->src_host ? vm->src_host : NULL);
	add_str(b, "dest-host", *vm->dest_host ? vm->dest_host : NULL);
}

static void add_window(JsonBuilder *b, const struct mgr *m,
		       const struct mig_vm *vm)
{
	static const uint8_t zero[HANDOFF_ID_LEN];
	g_autofree char *id = NULL;
	uint64_t oldest = 0;

	if (memcmp(vm->migration_id, zero, HANDOFF_ID_LEN))
		id = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
						 vm->migration_id, HANDOFF_ID_LEN);
	add_str(b, "migration", id ? id + 48 : NULL); /* a short fingerprint */
	add_addr(b, "control-source", &vm->control_src, false);
	add_addr(b, "control-destination", &vm->control_dst, false);
	json_builder_set_member_name(b, "nics");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		int64_t arrival;
		size_t len;

		add_nic(b, &vm->nics[i]);
		if (queue_peek(vm->nics[i].queue, &len, &arrival))
			oldest = MAX(oldest, (uint64_t)MAX(0, (mgr_now(m) - arrival) / 1000));
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "times");
	json_builder_begin_object(b);
	add_time(b, "registered", vm->t_registered);
	add_time(b, "suspended", vm->t_suspended);
	add_time(b, "activated", vm->t_activated);
	add_time(b, "ended", vm->t_ended);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "queue");
	json_builder_begin_object(b);
	add_u64(b, "frames", vm_queued(vm));
	add_u64(b, "bytes", vm_queued_bytes(vm));
	add_u64(b, "memory", vm_queue_mem(vm));
	add_u64(b, "oldest-ms", oldest);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "drained");
	json_builder_begin_object(b);
	add_str(b, "state", vm->drained.acked ? "acked" :
			    vm->drained.gave_up ? "gave-up" :
			    vm->drained.pending ? "pending" : "not-sent");
	add_u64(b, "transmissions", vm->drained.attempts);
	json_builder_end_object(b);
}

JsonNode *admin_vm_json(const struct mgr *m, const struct mig_vm *vm)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	uint64_t dropped = 0;

	json_builder_begin_object(b);
	add_identity(b, vm);
	add_window(b, m, vm);
	for (int r = 0; r < DROP_N_REASONS; r++)
		dropped += vm->c.drops[r];
	add_counters(b, vm->c.c, CTR_VM, (int64_t)dropped);
	add_drops(b, vm->c.drops);
	for (int i = 0; i < MGR_N_HOOKS; i++) {
		const struct mgr_hooks *h = &m->hooks[i];

		if (!h->data || !h->describe)
			continue;
		json_builder_set_member_name(b, h->name);
		json_builder_add_value(b, h->describe(h->data, vm));
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

struct tally {
	unsigned int states[VM_N_STATES];
	uint64_t frames, bytes;
};

static void tally_vm(struct mig_vm *vm, void *data)
{
	struct tally *t = data;

	t->states[vm->state]++;
	t->frames += vm_queued(vm);
	t->bytes += vm_queued_bytes(vm);
}

JsonNode *admin_status_json(const struct mgr *m)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct tally t;
	char s[ADDR_STRLEN];

	memset(&t, 0, sizeof(t));
	vmtable_foreach(m->vms, tally_vm, &t);
	json_builder_begin_object(b);
	add_str(b, "version", MIG_VERSION);
	add_u64(b, "uptime-s", (uint64_t)MAX(0, (mgr_now_real(m) -
						 m->started_real) / G_USEC_PER_SEC));
	add_str(b, "control", addr_format(&m->cfg->control, s, sizeof(s)));
	add_str(b, "data", addr_format(&m->cfg->data, s, sizeof(s)));
	add_str(b, "release-policy", policy_name(m->cfg->policy));
	add_u64(b, "vms", vmtable_count(m->vms));
	json_builder_set_member_name(b, "states");
	json_builder_begin_object(b);
	for (int i = 0; i < VM_N_STATES; i++)
		add_u64(b, vm_state_name(i), t.states[i]);
	json_builder_end_object(b);
	add_u64(b, "queued-frames", t.frames);
	add_u64(b, "queued-bytes", t.bytes);
	add_u64(b, "memory", mgr_mem_total(m));
	add_u64(b, "memory-peak", m->mem_peak);
	add_u64(b, "memory-cap", m->cfg->memory_cap);
	add_u64(b, "rcvbuf", m->rcvbuf);
	add_u64(b, "rcvbuf-wanted", m->cfg->rcvbuf);
	add_counters(b, m->st.c, CTR_GLOBAL, -1);
	add_drops(b, m->st.drops);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
