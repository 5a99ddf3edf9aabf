// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core.c - the manager core's frame: creation, clocks, sequences, drop
 * accounting, memory, the outbox, the poll over the VMs that are due and
 * shutdown accounting.  A window's timers and release are in window.c,
 * operator requests in operator.c, control messages in qemu-control.c,
 * data frames in datapath.c, the heap in timers.c, the state file in
 * state.c.
 */
#include "internal.h"

#include <string.h>

#include "keys.h"

G_DEFINE_QUARK(mig-manager-error-quark, mgr_error)

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 1000

static HandoffReplayCache *new_replay(const struct mgr_config *cfg,
				      int64_t start)
{
	HandoffReplayCache *r = handoff_replay_new(
		(uint64_t)cfg->window_s * G_USEC_PER_SEC,
		(uint64_t)cfg->tolerance_s * G_USEC_PER_SEC, (uint64_t)start);

	g_assert(r); /* config_load() checked window >= 2 tolerance */
	return r;
}

bool mgr_add_hooks(struct mgr *m, const struct mgr_hooks *h)
{
	for (int i = 0; i < MGR_N_HOOKS; i++) {
		if (!m->hooks[i].data) {
			m->hooks[i] = *h;
			return true;
		}
	}
	return false;
}

void mgr_remove_hooks(struct mgr *m, const void *data)
{
	for (int i = 0; i < MGR_N_HOOKS; i++)
		if (m->hooks[i].data == data)
			m->hooks[i] = (struct mgr_hooks){ 0 };
}

struct mgr *mgr_new(const struct mgr_config *cfg, GError **error)
{
	struct mgr *m = g_new0(struct mgr, 1);

	m->cfg = cfg;
	m->vms = vmtable_new();
	m->heap = mgr_heap_new();
	m->started_real = g_get_real_time();
	m->replay = new_replay(cfg, m->started_real);
	m->rcvbuf = cfg->rcvbuf;
	if (!mgr_load_state(m, error)) {
		mgr_free(m);
		return NULL;
	}
	return m;
}

void mgr_free(struct mgr *m)
{
	if (!m)
		return;
	mgr_heap_free(m->heap);
	vmtable_free(m->vms);
	handoff_replay_free(m->replay);
	for (unsigned int i = 0; i < MGR_OUTBOX; i++)
		g_free(m->out[i].buf);
	g_free(m);
}

void mgr_set_time(struct mgr *m, int64_t mono_us, int64_t real_us)
{
	if (!m->fixed_time) {
		/* The core "starts" at the first fixed time. */
		m->started_real = real_us;
		handoff_replay_free(m->replay);
		m->replay = new_replay(m->cfg, real_us);
	}
	m->fixed_time = true;
	m->mono_us = mono_us;
	m->real_us = real_us;
}

int64_t mgr_now(const struct mgr *m)
{
	return m->fixed_time ? m->mono_us : g_get_monotonic_time();
}

int64_t mgr_now_real(const struct mgr *m)
{
	return m->fixed_time ? m->real_us : g_get_real_time();
}

uint64_t mgr_next_sequence(struct mgr *m)
{
	uint64_t now = (uint64_t)mgr_now_real(m);

	m->last_seq = now > m->last_seq ? now : m->last_seq + 1;
	return m->last_seq;
}

uint64_t mgr_mem_total(const struct mgr *m)
{
	return m->mem + (uint64_t)vmtable_count(m->vms) * VM_ENTRY_SIZE +
	       (uint64_t)vmtable_nic_count(m->vms) * NIC_ENTRY_SIZE +
	       (uint64_t)handoff_replay_size(m->replay) *
	       handoff_replay_entry_size();
}

void mgr_drop(struct mgr *m, struct mig_vm *vm, enum drop_reason reason,
	      uint64_t n)
{
	m->st.drops[reason] += n;
	if (vm)
		vm->c.drops[reason] += n;
}

void mgr_queue_pop(struct mgr *m, struct mig_nic *nic)
{
	uint64_t before = queue_mem(nic->queue);

	queue_pop(nic->queue);
	m->mem -= before - queue_mem(nic->queue);
}

unsigned int mgr_drop_queues(struct mgr *m, struct mig_vm *vm,
			     enum drop_reason reason)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];

		n += queue_len(nic->queue);
		m->mem -= queue_mem(nic->queue);
		queue_clear(nic->queue);
	}
	mgr_drop(m, vm, reason, n);
	return n;
}

struct mig_vm *mgr_vm_new(struct mgr *m, const uint8_t uuid[16],
			  const char *name)
{
	uint8_t key[HANDOFF_KEY_LEN];
	struct mig_vm *vm;

	if (vmtable_count(m->vms) >= m->cfg->max_vms ||
	    mgr_mem_total(m) + VM_ENTRY_SIZE > m->cfg->memory_cap ||
	    !mgr_vm_key(m, uuid, key)) {
		mgr_count(m, NULL, CTR_VMS_REFUSED, 1);
		return NULL;
	}
	vm = vmtable_add(m->vms, uuid, name, key, m->cfg->policy,
			 mgr_now_real(m));
	if (!vm) /* the name belongs to another VM: keep it nameless */
		vm = vmtable_add(m->vms, uuid, "", key, m->cfg->policy,
				 mgr_now_real(m));
	memset(key, 0, sizeof(key));
	return vm;
}

bool mgr_vm_in_outbox(const struct mgr *m, const struct mig_vm *vm)
{
	for (unsigned int i = 0; i < m->n_out; i++)
		if (m->out[i].vm == vm)
			return true;
	return false;
}

void mgr_vm_remove(struct mgr *m, struct mig_vm *vm)
{
	g_assert(!vm_queued(vm) && !mgr_vm_in_outbox(m, vm));
	mgr_heap_set(m->heap, vm, G_MAXINT64);
	if (vm->registered)
		m->state_dirty = true;
	mgr_hook(m, vm, MGR_EV_FORGOTTEN);
	vmtable_remove(m->vms, vm);
	mgr_count(m, NULL, CTR_VMS_FORGOTTEN, 1);
}

bool mgr_vm_key(const struct mgr *m, const uint8_t uuid[HANDOFF_UUID_LEN],
		uint8_t key[HANDOFF_KEY_LEN])
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, uuid);

	if (vm) {
		memcpy(key, vm->key, HANDOFF_KEY_LEN);
		return true;
	}
	return mig_vm_key(m->cfg->key, m->cfg->key_len, uuid, key);
}

void mgr_netstate_hold(struct mgr *m, struct mig_vm *vm)
{
	vm->netstate_hold = true;
	vm->m_netstate_deadline = mgr_now(m) + (int64_t)m->cfg->netstate_wait_ms * 1000;
	mgr_schedule(m, vm, vm->m_netstate_deadline);
}

void mgr_address_hold(struct mgr *m, struct mig_vm *vm)
{
	vm->address_hold = true;
	vm->m_address_deadline = mgr_now(m) + (int64_t)m->cfg->address_wait_ms * 1000;
	mgr_schedule(m, vm, vm->m_address_deadline);
}

void mgr_address_ready(struct mgr *m, struct mig_vm *vm)
{
	if (!vm->address_hold)
		return;
	vm->address_hold = false;
	mgr_schedule(m, vm, mgr_now(m));
	mgr_hook(m, vm, MGR_EV_ADDRESS);
}

void mgr_activated(struct mgr *m, struct mig_vm *vm)
{
	vm->address_hold = false;
	mgr_hook(m, vm, MGR_EV_ACTIVATED);
	if (vm->address_hold)
		return;
	if (vm->learn_ip && !vm->new_ip.len) {
		mgr_count(m, vm, CTR_ADDRESS_FAILED, 1);
		g_warning("vm %s: its new address cannot be learned (no address check ran: no agent of its destination in topology-file, address-wait-ms 0 or no MAC known; 'migctl show' says which): its services' names stay",
			  vm->name);
	}
	mgr_hook(m, vm, MGR_EV_ADDRESS);
}

void mgr_netstate_release(struct mgr *m, struct mig_vm *vm)
{
	if (!vm->netstate_hold)
		return;
	vm->netstate_hold = false;
	mgr_schedule(m, vm, mgr_now(m));
}

void mgr_set_rx_local(struct mgr *m, const struct mig_addr *local)
{
	if (local)
		m->rx_local = *local;
	else
		m->rx_local.len = 0;
}

struct mgr_out *mgr_outbox_slot(struct mgr *m, size_t len)
{
	struct mgr_out *o;

	if (m->n_out == MGR_OUTBOX)
		return NULL;
	o = &m->out[m->n_out];
	if (o->cap < len) {
		o->cap = len < 2048 ? 2048 : len;
		o->buf = g_realloc(o->buf, o->cap);
	}
	o->vm = NULL;
	o->is_frame = false;
	o->len = 0;
	o->local.len = 0;
	m->n_out++;
	return o;
}

void mgr_outbox_done(struct mgr *m, unsigned int n)
{
	struct mgr_out tmp[MGR_OUTBOX];

	g_assert(n <= m->n_out);
	if (!n)
		return;
	/* Rotate so that the sent entries' buffers are reused. */
	memcpy(tmp, m->out, n * sizeof(tmp[0]));
	memmove(m->out, m->out + n, (m->n_out - n) * sizeof(tmp[0]));
	memcpy(m->out + (m->n_out - n), tmp, n * sizeof(tmp[0]));
	m->n_out -= n;
}

void mgr_send_failed(struct mgr *m, unsigned int i, int err)
{
	struct mgr_out *o = &m->out[i];
	char to[ADDR_STRLEN];

	mgr_count(m, NULL, CTR_SEND_ERRORS, 1);
	if (o->is_frame) {
		mgr_drop(m, o->vm, DROP_SEND_ERROR, 1);
		if (o->vm) {
			struct mig_vm *vm = o->vm;

			vm->retry_ms = vm->retry_ms ? MIN(vm->retry_ms * 2,
							  RETRY_MAX_MS)
						    : RETRY_MIN_MS;
			vm->retry_at = mgr_now(m) + vm->retry_ms * 1000;
			mgr_schedule(m, vm, vm->retry_at);
		}
	}
	g_debug("send to %s failed: %s", addr_format(&o->to, to, sizeof(to)),
		g_strerror(err));
}

bool mgr_send_control(struct mgr *m, const HandoffMsg *msg,
		      const uint8_t *key, const struct mig_addr *to,
		      const struct mig_addr *local, struct mig_vm *vm)
{
	struct mgr_out *o = mgr_outbox_slot(m, HANDOFF_MAX_LEN);
	int n;

	if (!o) {
		mgr_drop(m, vm, DROP_OUTBOX_FULL, 1);
		g_warning("outbox full: %s not sent", handoff_msg_type_name(msg->type));
		return false;
	}
	n = handoff_msg_encode(msg, key, HANDOFF_KEY_LEN, o->buf, o->cap);
	if (n <= 0) {
		m->n_out--;
		g_warning("cannot encode %s: %s", handoff_msg_type_name(msg->type),
			  handoff_strerror(n));
		return false;
	}
	o->len = (size_t)n;
	o->sock = MGR_SOCK_CONTROL;
	o->to = *to;
	if (local)
		o->local = *local;
	o->vm = vm;
	return true;
}

int64_t mgr_poll(struct mgr *m)
{
	int64_t now = mgr_now(m);
	struct mig_vm *vm;
	uint64_t total;
	int64_t next;

	while ((vm = mgr_heap_first(m->heap)) && vm->deadline <= now) {
		int64_t wake = G_MAXINT64;

		/* Out of the heap while it runs; back with its next deadline. */
		mgr_heap_set(m->heap, vm, G_MAXINT64);
		if (!mgr_poll_vm(m, vm, now, &wake)) {
			mgr_heap_set(m->heap, vm, now);
			return 0;
		}
		/* wake < 0: the VM was forgotten, it is gone */
		if (wake >= 0 && wake != G_MAXINT64)
			mgr_heap_set(m->heap, vm, MAX(wake, now));
		if (m->n_out == MGR_OUTBOX)
			return 0;
	}
	total = mgr_mem_total(m);
	if (total > m->mem_peak)
		m->mem_peak = total;
	next = G_MAXINT64;
	if (m->state_dirty && m->cfg->state_file) {
		/* At most one write per MGR_STATE_SAVE_US: a burst of
		 * registrations costs one write of the table, not one each. */
		if (now >= m->state_next_save) {
			mgr_save_state(m);
			m->state_next_save = now + MGR_STATE_SAVE_US;
		} else {
			next = m->state_next_save;
		}
	}
	vm = mgr_heap_first(m->heap);
	if (vm)
		next = MIN(next, vm->deadline);
	if (next == G_MAXINT64)
		return -1;
	return next > now ? next - now : 0;
}

static void shutdown_vm(struct mig_vm *vm, void *data)
{
	struct mgr *m = data;
	uint64_t bytes = vm_queued_bytes(vm);
	unsigned int n;
	char id[37];

	if (!vm_queued(vm))
		return;
	n = mgr_drop_queues(m, vm, DROP_SHUTDOWN);
	g_warning("shutdown: vm %s (%s, %s) still buffered %u frames, %" G_GUINT64_FORMAT " bytes: dropped",
		  vm->name, uuid_format(vm->uuid, id), vm_state_name(vm->state),
		  n, bytes);
}

uint64_t mgr_shutdown(struct mgr *m)
{
	uint64_t before = m->st.drops[DROP_SHUTDOWN];

	vmtable_foreach(m->vms, shutdown_vm, m);
	mgr_save_state(m);
	g_info("shutdown: %" G_GUINT64_FORMAT " buffered frames dropped in all",
	       m->st.drops[DROP_SHUTDOWN] - before);
	return m->st.drops[DROP_SHUTDOWN] - before;
}
