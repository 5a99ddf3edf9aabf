// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * window.c - one VM's migration window: opening (nothing of the previous
 * window survives) and activation, where each NIC's queue goes (release
 * policies), paced in-order release sealed under the flow key, END
 * accounting and DRAINED, and the timers of a window (expiry, age cap,
 * END wait, linger, forgetting), run by mgr_poll() when they are due.
 */
#include "internal.h"

#include <string.h>

#include "rewrite.h"

/* DRAINED retransmission delays, ms (docs/protocol.md §3). */
static const unsigned int drained_delay_ms[MGR_DRAINED_TRIES] = {
	50, 100, 200, 400, 800,
};

/* Reset everything a window keeps, except the NICs the caller set. */
static void reset_window(struct mgr *m, struct mig_vm *vm)
{
	/* a learned address is where the VM is now: the next move starts
	 * from it and learns its own */
	if (vm->learn_ip && vm->new_ip.len) {
		vm->ip = vm->new_ip;
		vm->new_ip.len = 0;
	}
	vm->t_suspended = mgr_now_real(m);
	vm->m_suspended = mgr_now(m);
	vm->t_activated = 0;
	vm->m_activated = 0;
	vm->t_ended = 0;
	vm->m_end = 0;
	vm->m_last_frame = 0;
	vm->drained_sent = false;
	memset(&vm->drained, 0, sizeof(vm->drained));
	memset(&vm->control_src, 0, sizeof(vm->control_src));
	memset(&vm->control_dst, 0, sizeof(vm->control_dst));
	memset(&vm->local_src, 0, sizeof(vm->local_src));
	memset(&vm->local_dst, 0, sizeof(vm->local_dst));
	vm->retry_at = 0;
	vm->retry_ms = 0;
	vm->force_release = false;
	vm->netstate_hold = false;
	vm->address_hold = false;
	mgr_count(m, vm, CTR_MIGRATIONS, 1);
	vmtable_set_state(vm, VM_SUSPENDED, vm->t_suspended, vm->m_suspended);
	mgr_schedule(m, vm, vm->m_suspended);
}

void mgr_open_window(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	reset_window(m, vm);
	memcpy(vm->migration_id, msg->migration_id, HANDOFF_ID_LEN);
	addr_from_endpoint(&msg->control, &vm->control_src);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];

		addr_from_endpoint(&msg->nics[i].endpoint, &nic->data_ep);
		nic->has_rx_key = handoff_flow_key(vm->key, HANDOFF_FLOW_CAPTURE,
						   msg->migration_id, msg->nonce,
						   nic->vni, nic->rx_key);
	}
}

void mgr_open_peer_window(struct mgr *m, struct mig_vm *vm,
			  const struct mgr_peer *peer)
{
	reset_window(m, vm);
	memset(vm->migration_id, 0, HANDOFF_ID_LEN);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];

		memset(&nic->data_ep, 0, sizeof(nic->data_ep));
		memset(&nic->inject_ep, 0, sizeof(nic->inject_ep));
		nic->peer = peer;
		nic->has_tx_key = false;
		nic->tx_seq = 0;
		nic->received = nic->sent = nic->end_frames = 0;
		nic->have_end = false;
		handoff_seq_init(&nic->rx);
		nic->has_rx_key = handoff_flow_key(peer->key, HANDOFF_FLOW_REDIRECT,
						   NULL, NULL, nic->vni, nic->rx_key);
	}
}

void mgr_activate(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	vm->t_activated = mgr_now_real(m);
	vm->m_activated = mgr_now(m);
	g_clear_pointer(&vm->early, g_free);
	if (msg) {
		addr_from_endpoint(&msg->control, &vm->control_dst);
		for (unsigned int i = 0; i < msg->n_nics; i++) {
			struct mig_nic *nic = vmtable_nic_by_vni(vm, msg->nics[i].vni);

			if (!nic) {
				g_message("vm %s: ACTIVATED names VNI %u, which its window does not have",
					  vm->name, msg->nics[i].vni);
				continue;
			}
			addr_from_endpoint(&msg->nics[i].endpoint, &nic->inject_ep);
			nic->has_tx_key = handoff_flow_key(vm->key,
							   HANDOFF_FLOW_RELEASE,
							   msg->migration_id,
							   msg->nonce, nic->vni,
							   nic->tx_key);
			nic->tx_seq = 0;
		}
	}
	vmtable_set_state(vm, VM_ACTIVATED, vm->t_activated, vm->m_activated);
	mgr_schedule(m, vm, vm->m_activated);
}

/*
 * Whether @nic's queue may go now, and where (NULL: keep it); *wake is
 * set to when that may change (µs, monotonic), or left alone.
 */
static const struct mig_addr *release_target(struct mgr *m, struct mig_vm *vm,
					     struct mig_nic *nic, int64_t now,
					     int64_t *wake, bool *to_source)
{
	int64_t hold_until = vm->m_suspended +
			     (int64_t)m->cfg->hold_ms * 1000;

	*to_source = false;
	switch (vm->state) {
	case VM_ABORTED:
		*to_source = true;
		return &nic->data_ep;
	case VM_ACTIVATED:
		if (vm->policy == POLICY_HOLD && !vm->force_release &&
		    now < hold_until) {
			*wake = MIN(*wake, hold_until);
			return NULL;
		}
		return &nic->inject_ep;
	case VM_SUSPENDED:
		/* Only an ACTIVATED gives a destination and its key. */
		return NULL;
	default:
		return NULL;
	}
}

static void build_rule(const struct mig_vm *vm, struct rewrite_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (vm->has_new_mac) {
		r->macs = (const uint8_t (*)[6])vm->reg_macs;
		r->n_macs = vm->reg_n_macs;
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

/* Refill @vm's pacing bucket; false if none is configured. */
static bool pace_refill(struct mgr *m, struct mig_vm *vm, int64_t now)
{
	unsigned int pps = m->cfg->pace_pps;
	double burst = MAX(32.0, pps / 500.0);

	if (pps) {
		vm->tokens += (double)(now - vm->m_tokens) * pps / 1e6;
		if (vm->tokens > burst)
			vm->tokens = burst;
	}
	vm->m_tokens = now;
	return pps != 0;
}

/* Seal the head frame of @nic into an outbox entry to @to. */
static bool send_head(struct mgr *m, struct mig_nic *nic,
		      const struct mig_addr *to, bool to_source,
		      const struct rewrite_rule *rule)
{
	struct mig_vm *vm = nic->vm;
	struct mgr_out *o;
	const uint8_t *f;
	size_t len;
	int n;

	f = queue_peek(nic->queue, &len, NULL);
	o = mgr_outbox_slot(m, HANDOFF_FRAME_HDR_LEN + len);
	if (!o)
		return false;
	memcpy(o->buf + HANDOFF_FRAME_HDR_LEN, f, len);
	if (rule && rewrite_frame(o->buf + HANDOFF_FRAME_HDR_LEN, len, rule))
		mgr_count(m, vm, CTR_FRAMES_REWRITTEN, 1);
	n = handoff_frame_seal(nic->tx_key, nic->vni, nic->tx_seq + 1,
			       o->buf + HANDOFF_FRAME_HDR_LEN, len, o->buf,
			       o->cap);
	if (n < 0) {
		m->n_out--;
		mgr_drop(m, vm, DROP_OVERSIZE, 1);
		mgr_queue_pop(m, nic);
		return true;
	}
	nic->tx_seq++;
	o->len = (size_t)n;
	o->sock = MGR_SOCK_DATA;
	o->to = *to;
	o->local = to_source ? vm->local_src : vm->local_dst;
	o->vm = vm;
	o->is_frame = true;
	nic->sent++;
	if (to_source) {
		mgr_count(m, vm, CTR_FRAMES_RETURNED, 1);
	} else {
		mgr_count(m, vm, CTR_FRAMES_RELEASED, 1);
		mgr_count(m, vm, CTR_BYTES_RELEASED, len);
	}
	mgr_queue_pop(m, nic);
	return true;
}

/* Move frames from the head of @nic's queue to the outbox, paced. */
static bool release_frames(struct mgr *m, struct mig_nic *nic,
			   const struct mig_addr *to, bool to_source,
			   int64_t now, int64_t *wake)
{
	struct mig_vm *vm = nic->vm;
	unsigned int pps = m->cfg->pace_pps;
	struct rewrite_rule rule;
	bool rewrite = !to_source && (vm->has_new_mac || vm->new_ip.len);

	if (rewrite)
		build_rule(vm, &rule);
	while (queue_len(nic->queue)) {
		if (pps && vm->tokens < 1.0) {
			*wake = MIN(*wake, now + (int64_t)((1.0 - vm->tokens) *
						      1e6 / pps) + 1);
			return true;
		}
		if (!send_head(m, nic, to, to_source, rewrite ? &rule : NULL))
			return false;
		if (pps)
			vm->tokens -= 1.0;
	}
	return true;
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
	n = mgr_drop_queues(m, vm, DROP_EXPIRED);
	vmtable_set_state(vm, VM_EXPIRED, mgr_now_real(m), now);
	mgr_count(m, NULL, CTR_EXPIRED_WINDOWS, 1);
	g_warning("vm %s (%s): no ACTIVATED within %u ms: window expired, %u frames dropped",
		  vm->name, uuid_format(vm->uuid, id), m->cfg->expire_ms, n);
	return true;
}

/* Age cap: the oldest frames go first. */
static void timer_age_cap(struct mgr *m, struct mig_nic *nic, int64_t now,
			  int64_t *wake)
{
	int64_t arrival;
	size_t len;

	if (!m->cfg->max_age_ms)
		return;
	while (queue_peek(nic->queue, &len, &arrival)) {
		int64_t dl = arrival + (int64_t)m->cfg->max_age_ms * 1000;

		if (now < dl) {
			*wake = MIN(*wake, dl);
			break;
		}
		mgr_queue_pop(m, nic);
		mgr_drop(m, nic->vm, DROP_EXPIRED, 1);
	}
}

/* Release what the policy lets go now; false if the outbox filled up. */
static bool timer_release(struct mgr *m, struct mig_vm *vm, int64_t now,
			  int64_t *wake)
{
	if (!vm_queued(vm))
		return true;
	if (vm->retry_at > now) {
		*wake = MIN(*wake, vm->retry_at);
		return true;
	}
	pace_refill(m, vm, now);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];
		const struct mig_addr *to;
		bool to_source;

		if (!queue_len(nic->queue))
			continue;
		to = release_target(m, vm, nic, now, wake, &to_source);
		if (to && (!to->len || !nic->has_tx_key)) {
			unsigned int n = queue_len(nic->queue);

			m->mem -= queue_mem(nic->queue);
			queue_clear(nic->queue);
			mgr_drop(m, vm, DROP_NO_DESTINATION, n);
			g_warning("vm %s: %u frames of VNI %u to release but no %s endpoint known: dropped",
				  vm->name, n, nic->vni,
				  to_source ? "source" : "destination");
			continue;
		}
		if (to && !release_frames(m, nic, to, to_source, now, wake))
			return false;
	}
	return true;
}

/*
 * Whether the source has sent everything it will (END, and that many
 * frames arrived), or the END wait is over; *wake set to when to look
 * again.  Counts frames END announced that never came.
 */
static bool source_finished(struct mgr *m, struct mig_vm *vm, int64_t now,
			    int64_t *wake, bool *by_end)
{
	int64_t wait = (int64_t)m->cfg->end_wait_ms * 1000;
	int64_t quiet = vm->m_last_frame + (int64_t)m->cfg->drain_quiet_ms * 1000;
	bool ended = true, complete = true;

	for (unsigned int i = 0; i < vm->n_nics; i++) {
		ended &= vm->nics[i].have_end;
		complete &= vm->nics[i].have_end &&
			    vm->nics[i].received >= vm->nics[i].end_frames;
	}
	*by_end = ended;
	if (ended && complete)
		return true;
	if (ended) {
		/* END came, some of its frames did not (yet) */
		if (now < vm->m_end + wait) {
			*wake = MIN(*wake, vm->m_end + wait);
			return false;
		}
		for (unsigned int i = 0; i < vm->n_nics; i++) {
			struct mig_nic *nic = &vm->nics[i];

			if (nic->received < nic->end_frames)
				mgr_count(m, vm, CTR_FRAMES_LOST_IN_TRANSIT,
					  nic->end_frames - nic->received);
		}
		return true;
	}
	/* No END (an old or dead source): the quiet rule, after the wait */
	if (now < vm->m_activated + wait || now < quiet) {
		*wake = MIN(*wake, MAX(vm->m_activated + wait, quiet));
		return false;
	}
	return true;
}

/* After ABORTED, frames the source sent before it may still come: the
 * return is over once it has been quiet for drain-quiet-ms. */
static bool aborted_finished(struct mgr *m, struct mig_vm *vm, int64_t now,
			     int64_t *wake)
{
	int64_t dl = MAX(vm->m_aborted, vm->m_last_frame) +
		     (int64_t)m->cfg->drain_quiet_ms * 1000;

	if (now < dl) {
		*wake = MIN(*wake, dl);
		return false;
	}
	return true;
}

static void send_drained(struct mgr *m, struct mig_vm *vm, int64_t now)
{
	const struct mig_addr *to = vm->state == VM_ABORTED ? &vm->control_src
							    : &vm->control_dst;
	HandoffMsg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = HANDOFF_MSG_DRAINED;
	msg.sequence = vm->drained.sequence;
	msg.timestamp_us = (uint64_t)mgr_now_real(m);
	memcpy(msg.uuid, vm->uuid, HANDOFF_UUID_LEN);
	memcpy(msg.migration_id, vm->migration_id, HANDOFF_ID_LEN);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		msg.frames[i].vni = vm->nics[i].vni;
		msg.frames[i].frames = vm->nics[i].sent;
	}
	msg.n_frames = vm->n_nics;
	if (!mgr_send_control(m, &msg, vm->key, to,
			      vm->state == VM_ABORTED ? &vm->local_src : &vm->local_dst, vm))
		return; /* outbox full: poll comes back at once */
	vm->drained.next_us = now +
		(int64_t)drained_delay_ms[vm->drained.attempts] * 1000;
	vm->drained.attempts++;
	mgr_count(m, NULL, vm->drained.attempts == 1 ? CTR_DRAINED_SENT
						     : CTR_DRAINED_RETRANSMITS, 1);
}

/*
 * DRAINED: once every queue is empty and the source has finished (END),
 * tell the QEMU that receives the frames how many it was sent; retransmit
 * until ACKed.
 */
static void timer_drained(struct mgr *m, struct mig_vm *vm, int64_t now,
			  int64_t *wake)
{
	const struct mig_addr *to = vm->state == VM_ABORTED ? &vm->control_src
							    : &vm->control_dst;
	bool by_end = false;

	if (!vm->drained_sent && vm->netstate_hold && vm->state == VM_ACTIVATED) {
		/* the network state first (netstate.c), for a bounded time */
		if (now < vm->m_netstate_deadline) {
			*wake = MIN(*wake, vm->m_netstate_deadline);
			return;
		}
		vm->netstate_hold = false;
		mgr_count(m, vm, CTR_NETSTATE_TIMEOUTS, 1);
		g_warning("vm %s: its network state did not arrive in %u ms: DRAINED goes anyway",
			  vm->name, m->cfg->netstate_wait_ms);
	}
	if (!vm->drained_sent && to->len && !vm_queued(vm) &&
	    (vm->state == VM_ABORTED ? aborted_finished(m, vm, now, wake)
				     : source_finished(m, vm, now, wake, &by_end))) {
		vm->drained_sent = true;
		vm->drained.pending = true;
		vm->drained.sequence = mgr_next_sequence(m);
		vm->drained.attempts = 0;
		if (vm->state == VM_ACTIVATED)
			mgr_count(m, NULL, by_end ? CTR_DRAINED_BY_END
						  : CTR_DRAINED_BY_FALLBACK, 1);
		g_info("vm %s: drained (%s): sending DRAINED", vm->name,
		       vm->state == VM_ABORTED ? "returned to the source" :
		       by_end ? "END count reached" : "no END, quiet source");
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

	if (vm_queued(vm) || vm->drained.pending)
		return;
	if (now < dl) {
		*wake = MIN(*wake, dl);
		return;
	}
	vmtable_set_state(vm, VM_DONE, mgr_now_real(m), now);
	g_info("vm %s (%s): done", vm->name, uuid_format(vm->uuid, id));
}

/* Forgetting: an unregistered VM long after its window ended. */
static bool timer_forget(struct mgr *m, struct mig_vm *vm, int64_t now,
			 int64_t *wake)
{
	int64_t dl = vm->m_ended + (int64_t)m->cfg->forget_after_s * G_USEC_PER_SEC;
	char id[37];

	if (vm->registered || vm->state == VM_REGISTERED || vm_window_open(vm) ||
	    vm_queued(vm) || vm->drained.pending)
		return false;
	if (vm->state == VM_ABORTED) /* frames in flight still come back */
		dl = MAX(dl, vm->m_aborted + (int64_t)m->cfg->linger_ms * 1000);
	if (now < dl || mgr_vm_in_outbox(m, vm)) {
		*wake = MIN(*wake, MAX(dl, now + 1000));
		return false;
	}
	g_info("vm %s (%s): forgotten, %s %" G_GINT64_FORMAT " s ago",
	       vm->name, uuid_format(vm->uuid, id), vm_state_name(vm->state),
	       (now - vm->m_ended) / G_USEC_PER_SEC);
	mgr_vm_remove(m, vm);
	*wake = -1;
	return true;
}

/* The check of a new address that did not end within address-wait-ms:
 * the services' names follow the registered --new-ip, or stay. */
static void timer_address(struct mgr *m, struct mig_vm *vm, int64_t now, int64_t *wake)
{
	if (!vm->address_hold)
		return;
	if (vm->state == VM_ABORTED) { /* the VM runs at the source again */
		vm->address_hold = false;
		return;
	}
	if (now < vm->m_address_deadline) {
		*wake = MIN(*wake, vm->m_address_deadline);
		return;
	}
	mgr_count(m, vm, CTR_ADDRESS_TIMEOUTS, 1);
	g_warning("vm %s: its new address was not confirmed within %u ms: %s", vm->name,
		  m->cfg->address_wait_ms,
		  vm->new_ip.len ? "its services follow the registered --new-ip"
				 : "its services' names stay");
	mgr_address_ready(m, vm);
}

bool mgr_poll_vm(struct mgr *m, struct mig_vm *vm, int64_t now,
		 int64_t *wake)
{
	if (timer_expire(m, vm, now, wake)) {
		timer_forget(m, vm, now, wake);
		return true;
	}
	for (unsigned int i = 0; i < vm->n_nics; i++)
		timer_age_cap(m, &vm->nics[i], now, wake);
	timer_address(m, vm, now, wake);
	if (!timer_release(m, vm, now, wake))
		return false;
	if (vm->state == VM_ACTIVATED || vm->state == VM_ABORTED) {
		timer_drained(m, vm, now, wake);
		if (m->n_out == MGR_OUTBOX)
			return false;
	}
	if (vm->state == VM_ACTIVATED)
		timer_linger(m, vm, now, wake);
	if (vm->early) {
		int64_t dl = vm->early->m_time +
			     (int64_t)m->cfg->early_activated_ms * 1000;

		if (now >= dl)
			g_clear_pointer(&vm->early, g_free);
		else
			*wake = MIN(*wake, dl);
	}
	timer_forget(m, vm, now, wake);
	return true;
}
