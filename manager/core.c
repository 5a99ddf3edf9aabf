// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core.c - the manager core's frame: creation, clocks, sequences, drop
 * accounting, the outbox, the poll over all VMs and shutdown accounting.
 * A window's timers and release are in window.c, operator requests in
 * operator.c, control messages in qemu-control.c, data frames in
 * datapath.c.
 */
#include "internal.h"

#include <string.h>

G_DEFINE_QUARK(mig-manager-error-quark, mgr_error)

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 1000

struct mgr *mgr_new(const struct mgr_config *cfg)
{
	struct mgr *m = g_new0(struct mgr, 1);

	m->cfg = cfg;
	m->vms = vmtable_new();
	m->replay = handoff_replay_new((uint64_t)cfg->window_s * G_USEC_PER_SEC,
			       (uint64_t)cfg->tolerance_s * G_USEC_PER_SEC);
	g_assert(m->replay); /* config_load() checked window >= 2 tolerance */
	m->started_real = g_get_real_time();
	return m;
}

void mgr_free(struct mgr *m)
{
	if (!m)
		return;
	vmtable_free(m->vms);
	handoff_replay_free(m->replay);
	for (unsigned int i = 0; i < MGR_OUTBOX; i++)
		g_free(m->out[i].buf);
	g_free(m);
}

void mgr_set_time(struct mgr *m, int64_t mono_us, int64_t real_us)
{
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

void mgr_drop(struct mgr *m, struct mig_vm *vm, enum drop_reason reason,
	      uint64_t n)
{
	m->st.drops[reason] += n;
	if (vm)
		vm->c.drops[reason] += n;
}

void mgr_queue_pop(struct mgr *m, struct mig_vm *vm)
{
	uint64_t before = queue_mem(vm->queue);

	queue_pop(vm->queue);
	m->mem -= before - queue_mem(vm->queue);
}

unsigned int mgr_drop_queue(struct mgr *m, struct mig_vm *vm,
			    enum drop_reason reason)
{
	unsigned int n = queue_len(vm->queue);

	m->mem -= queue_mem(vm->queue);
	queue_clear(vm->queue);
	mgr_drop(m, vm, reason, n);
	return n;
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
		}
	}
	g_debug("send to %s failed: %s", addr_format(&o->to, to, sizeof(to)),
		g_strerror(err));
}

bool mgr_send_control(struct mgr *m, const HandoffMsg *msg,
		      const struct mig_addr *to, struct mig_vm *vm)
{
	struct mgr_out *o = mgr_outbox_slot(m, HANDOFF_MAX_LEN);
	int n;

	if (!o)
		return false;
	n = handoff_msg_encode(msg, m->cfg->key, m->cfg->key_len, o->buf, o->cap);
	if (n <= 0) {
		m->n_out--;
		g_warning("cannot encode %s: %s", handoff_msg_type_name(msg->type),
			  handoff_strerror(n));
		return false;
	}
	o->len = (size_t)n;
	o->sock = MGR_SOCK_CONTROL;
	o->to = *to;
	o->vm = vm;
	return true;
}

int64_t mgr_poll(struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	int64_t now = mgr_now(m);
	int64_t wake = G_MAXINT64;

	for (unsigned int i = 0; i < vms->len; i++)
		if (!mgr_poll_vm(m, vms->pdata[i], now, &wake))
			return 0;
	if (m->mem > m->mem_peak)
		m->mem_peak = m->mem;
	if (wake == G_MAXINT64)
		return -1;
	return wake > now ? wake - now : 0;
}

uint64_t mgr_shutdown(struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	uint64_t total = 0;
	char id[37];

	for (unsigned int i = 0; i < vms->len; i++) {
		struct mig_vm *vm = vms->pdata[i];
		uint64_t bytes = queue_bytes(vm->queue);
		unsigned int n;

		if (!queue_len(vm->queue))
			continue;
		n = mgr_drop_queue(m, vm, DROP_SHUTDOWN);
		total += n;
		g_warning("shutdown: vm %s (%s, %s) still buffered %u frames, %" G_GUINT64_FORMAT " bytes: dropped",
			  vm->name, uuid_format(vm->uuid, id),
			  vm_state_name(vm->state), n, bytes);
	}
	g_info("shutdown: %" G_GUINT64_FORMAT " buffered frames dropped in all",
	       total);
	return total;
}
