// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * window.c - one VM's migration window: opening and activation, where
 * its queue goes (release policies), paced in-order release, DRAINED, and
 * the timers of a window (expiry, age cap, linger), run by mgr_poll().
 */
#include "internal.h"

#include <string.h>

#include "rewrite.h"
#include "wire.h"

/* DRAINED retransmission delays, ms (docs/protocol.md §2). */
static const unsigned int drained_delay_ms[MGR_DRAINED_TRIES] = {
	50, 100, 200, 400, 800,
};

void mgr_open_window(struct mgr *m, struct mig_vm *vm,
		     const struct mig_addr *source)
{
	vm->source = *source;
	vm->t_suspended = mgr_now_real(m);
	vm->m_suspended = mgr_now(m);
	vm->t_activated = 0;
	vm->t_ended = 0;
	vm->drained_sent = false;
	memset(&vm->drained, 0, sizeof(vm->drained));
	vm->released_window = 0;
	vm->retry_at = 0;
	vm->retry_ms = 0;
	vm->force_release = false;
	mgr_count(m, vm, CTR_MIGRATIONS, 1);
	vmtable_set_state(vm, VM_SUSPENDED, vm->t_suspended);
}

void mgr_activate(struct mgr *m, struct mig_vm *vm)
{
	vm->t_activated = mgr_now_real(m);
	vm->m_activated = mgr_now(m);
	vm->early_activated = false;
	vmtable_set_state(vm, VM_ACTIVATED, vm->t_activated);
}

/* Where the queue goes now, or NULL to keep it; *wake set to when that
 * may change (µs, monotonic), or left alone. */
static const struct mig_addr *release_target(struct mgr *m, struct mig_vm *vm,
					     int64_t now, int64_t *wake,
					     bool *to_source)
{
	int64_t hold_until = vm->m_suspended +
			     (int64_t)m->cfg->hold_ms * 1000;

	*to_source = false;
	switch (vm->state) {
	case VM_ABORTED:
		*to_source = true;
		return &vm->data_endpoint;
	case VM_ACTIVATED:
		if (vm->policy == POLICY_HOLD && !vm->force_release &&
		    now < hold_until) {
			*wake = MIN(*wake, hold_until);
			return NULL;
		}
		return &vm->inject;
	case VM_SUSPENDED:
		if (!vm->inject.len)
			return NULL;
		if (vm->policy == POLICY_IMMEDIATE)
			return &vm->inject;
		if (vm->policy == POLICY_HOLD) {
			if (now >= hold_until)
				return &vm->inject;
			*wake = MIN(*wake, hold_until);
		}
		return NULL;
	default:
		return NULL;
	}
}

static void build_rule(const struct mig_vm *vm, struct rewrite_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (vm->has_new_mac) {
		r->macs = (const uint8_t (*)[6])vm->macs;
		r->n_macs = vm->n_macs;
		memcpy(r->new_mac, vm->new_mac, 6);
	}
	if (vm->new_ip.len && vm->ip.len &&
	    vm->ip.ss.ss_family == vm->new_ip.ss.ss_family) {
		HandoffEndpoint a, b;

		addr_to_endpoint(&vm->ip, &a);
		addr_to_endpoint(&vm->new_ip, &b);
		r->family = a.family;
		memcpy(r->old_ip, a.addr, 16);
		memcpy(r->new_ip, b.addr, 16);
	}
}

/* Move frames from the head of @vm's queue to the outbox, paced. */
static bool release_frames(struct mgr *m, struct mig_vm *vm,
			   const struct mig_addr *to, bool to_source,
			   int64_t now, int64_t *wake)
{
	unsigned int pps = m->cfg->pace_pps;
	double burst = pps ? MAX(32.0, pps / 500.0) : 0;
	struct rewrite_rule rule;
	bool rewrite = !to_source && (vm->has_new_mac || vm->new_ip.len);

	if (pps) {
		vm->tokens += (double)(now - vm->m_tokens) * pps / 1e6;
		if (vm->tokens > burst)
			vm->tokens = burst;
	}
	vm->m_tokens = now;
	if (rewrite)
		build_rule(vm, &rule);
	while (queue_len(vm->queue)) {
		const uint8_t *f;
		struct mgr_out *o;
		size_t len;
		int n;

		if (pps && vm->tokens < 1.0) {
			*wake = MIN(*wake, now + (int64_t)((1.0 - vm->tokens) *
						      1e6 / pps) + 1);
			return true;
		}
		f = queue_peek(vm->queue, &len, NULL);
		o = mgr_outbox_slot(m, HANDOFF_VXLAN_HDR_LEN + len);
		if (!o)
			return false;
		n = handoff_vxlan_encap(vm->vni, f, len, o->buf, o->cap);
		if (n < 0) {
			m->n_out--;
			mgr_drop(m, vm, DROP_OVERSIZE, 1);
			mgr_queue_pop(m, vm);
			continue;
		}
		if (rewrite && rewrite_frame(o->buf + HANDOFF_VXLAN_HDR_LEN, len, &rule)) {
			mgr_count(m, vm, CTR_FRAMES_REWRITTEN, 1);
		}
		o->len = (size_t)n;
		o->sock = MGR_SOCK_DATA;
		o->to = *to;
		o->vm = vm;
		o->is_frame = true;
		if (to_source) {
			mgr_count(m, vm, CTR_FRAMES_RETURNED, 1);
		} else {
			mgr_count(m, vm, CTR_FRAMES_RELEASED, 1);
			mgr_count(m, vm, CTR_BYTES_RELEASED, len);
			vm->released_window++;
		}
		mgr_queue_pop(m, vm);
		if (pps)
			vm->tokens -= 1.0;
	}
	return true;
}

static void send_drained(struct mgr *m, struct mig_vm *vm, int64_t now)
{
	HandoffMsg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = HANDOFF_MSG_DRAINED;
	msg.sequence = vm->drained.sequence;
	msg.timestamp_us = (uint64_t)mgr_now_real(m);
	memcpy(msg.uuid, vm->uuid, HANDOFF_UUID_LEN);
	msg.frames = vm->drained.frames;
	if (!mgr_send_control(m, &msg, &vm->drained_to, vm))
		return; /* outbox full: poll comes back at once */
	vm->drained.next_us = now +
		(int64_t)drained_delay_ms[vm->drained.attempts] * 1000;
	vm->drained.attempts++;
	if (vm->drained.attempts == 1)
		mgr_count(m, NULL, CTR_DRAINED_SENT, 1);
	else
		mgr_count(m, NULL, CTR_DRAINED_RETRANSMITS, 1);
}

/* Expiry: a suspended VM without ACTIVATED within expire-ms. */
static bool timer_expire(struct mgr *m, struct mig_vm *vm, int64_t now,
			 int64_t *wake)
{
	int64_t dl = vm->m_suspended + (int64_t)m->cfg->expire_ms * 1000;
	unsigned int n;
	char id[37];

	if (vm->state != VM_SUSPENDED)
		return false;
	if (now < dl) {
		*wake = MIN(*wake, dl);
		return false;
	}
	n = mgr_drop_queue(m, vm, DROP_EXPIRED);
	vmtable_set_state(vm, VM_EXPIRED, mgr_now_real(m));
	mgr_count(m, NULL, CTR_EXPIRED_WINDOWS, 1);
	g_warning("vm %s (%s): no ACTIVATED within %u ms: window expired, %u frames dropped",
		  vm->name, uuid_format(vm->uuid, id), m->cfg->expire_ms, n);
	return true;
}

/* Age cap: the oldest frames go first. */
static void timer_age_cap(struct mgr *m, struct mig_vm *vm, int64_t now,
			  int64_t *wake)
{
	int64_t arrival;
	size_t len;

	if (!m->cfg->max_age_ms)
		return;
	while (queue_peek(vm->queue, &len, &arrival)) {
		int64_t dl = arrival + (int64_t)m->cfg->max_age_ms * 1000;

		if (now < dl) {
			*wake = MIN(*wake, dl);
			break;
		}
		mgr_queue_pop(m, vm);
		mgr_drop(m, vm, DROP_EXPIRED, 1);
	}
}

/* Release what the policy lets go now; false if the outbox filled up. */
static bool timer_release(struct mgr *m, struct mig_vm *vm, int64_t now,
			  int64_t *wake)
{
	const struct mig_addr *to;
	bool to_source;

	if (!queue_len(vm->queue))
		return true;
	if (vm->retry_at > now) {
		*wake = MIN(*wake, vm->retry_at);
		return true;
	}
	to = release_target(m, vm, now, wake, &to_source);
	if (to && !to->len) {
		unsigned int n = mgr_drop_queue(m, vm, DROP_NO_DESTINATION);

		g_warning("vm %s: %u frames to release but no %s endpoint known: dropped",
			  vm->name, n, to_source ? "source" : "destination");
		return true;
	}
	return !to || release_frames(m, vm, to, to_source, now, wake);
}

/*
 * DRAINED: once the queue is empty after ACTIVATED and the source has
 * been quiet for drain-quiet-ms (it may still be reading frames its
 * backend queued in the stop window, older than anything the destination
 * holds), tell the destination QEMU; retransmit until ACKed.
 */
static void timer_drained(struct mgr *m, struct mig_vm *vm, int64_t now,
			  int64_t *wake)
{
	int64_t quiet = vm->m_last_frame +
			(int64_t)m->cfg->drain_quiet_ms * 1000;
	bool due = !queue_len(vm->queue) && !vm->drained_sent &&
		   vm->drained_to.len;

	if (due && now < quiet) {
		*wake = MIN(*wake, quiet);
	} else if (due) {
		vm->drained_sent = true;
		vm->drained.pending = true;
		vm->drained.sequence = mgr_next_sequence(m);
		vm->drained.frames = vm->released_window;
		vm->drained.attempts = 0;
		g_info("vm %s: queue drained, %" G_GUINT64_FORMAT " frames released: sending DRAINED",
		       vm->name, vm->drained.frames);
		send_drained(m, vm, now);
	} else if (vm->drained.pending && now >= vm->drained.next_us) {
		if (vm->drained.attempts >= MGR_DRAINED_TRIES) {
			vm->drained.pending = false;
			vm->drained.gave_up = true;
			mgr_count(m, NULL, CTR_DRAINED_GAVE_UP, 1);
			g_warning("vm %s: DRAINED not acknowledged after %u transmissions: giving up",
				  vm->name, vm->drained.attempts);
		} else {
			send_drained(m, vm, now);
		}
	}
	if (vm->drained.pending)
		*wake = MIN(*wake, vm->drained.next_us);
}

/* Linger: late frames are forwarded until then; afterwards done. */
static void timer_linger(struct mgr *m, struct mig_vm *vm, int64_t now,
			 int64_t *wake)
{
	int64_t dl = vm->m_activated + (int64_t)m->cfg->linger_ms * 1000;
	char id[37];

	if (queue_len(vm->queue))
		return;
	if (now < dl) {
		*wake = MIN(*wake, dl);
		return;
	}
	vmtable_set_state(vm, VM_DONE, mgr_now_real(m));
	g_info("vm %s (%s): done, %" G_GUINT64_FORMAT " frames released in this window",
	       vm->name, uuid_format(vm->uuid, id), vm->released_window);
}

bool mgr_poll_vm(struct mgr *m, struct mig_vm *vm, int64_t now,
		 int64_t *wake)
{
	if (timer_expire(m, vm, now, wake))
		return true;
	timer_age_cap(m, vm, now, wake);
	if (!timer_release(m, vm, now, wake))
		return false;
	if (vm->state != VM_ACTIVATED)
		return true;
	timer_drained(m, vm, now, wake);
	if (m->n_out == MGR_OUTBOX)
		return false;
	timer_linger(m, vm, now, wake);
	return true;
}

