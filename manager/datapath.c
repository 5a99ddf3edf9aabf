// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * datapath.c - data frames at the manager (docs/protocol.md §2): Geneve
 * header and authentication option, NIC by VNI, the flow it belongs to
 * (its exact sender, its key), the MAC, the anti-replay window, caps,
 * then the NIC's queue.  Nothing that fails a check is queued.
 */
#include "internal.h"

static enum drop_reason drop_for(int err)
{
	switch (err) {
	case HANDOFF_ERR_NOT_GENEVE:
		return DROP_NOT_GENEVE;
	case HANDOFF_ERR_NO_AUTH:
		return DROP_NO_AUTH;
	case HANDOFF_ERR_REPLAYED:
		return DROP_REPLAYED;
	case HANDOFF_ERR_TOO_OLD:
		return DROP_TOO_OLD;
	default:
		return DROP_SHORT;
	}
}

/* The redirect peer at exactly @from, or NULL. */
static const struct mgr_peer *peer_at(const struct mgr *m,
				      const struct mig_addr *from)
{
	for (unsigned int i = 0; i < m->cfg->n_peers; i++)
		if (addr_equal(&m->cfg->peers[i].addr, from))
			return &m->cfg->peers[i];
	return NULL;
}

/* Whether frames of @nic from @from belong to its open window's flow. */
static bool window_flow(const struct mig_nic *nic, const struct mig_addr *from)
{
	const struct mig_vm *vm = nic->vm;

	if (!nic->has_rx_key || !(vm_window_open(vm) || vm->state == VM_ABORTED))
		return false;
	return nic->peer ? addr_equal(&nic->peer->addr, from)
			 : addr_equal(&nic->data_ep, from);
}

bool mgr_data_wants_control(const struct mgr *m, const uint8_t *buf,
			    size_t len, const struct mig_addr *from)
{
	const struct mig_nic *nic;
	const uint8_t *frame;
	size_t frame_len;
	uint64_t seq;
	uint32_t vni;

	if (handoff_frame_parse(buf, len, &vni, &seq, &frame, &frame_len))
		return false;
	nic = vmtable_by_vni(m->vms, vni);
	/* No NIC yet, a new sender, or a closed window: all of them a
	 * SUSPENDING still waiting on the control socket would change. */
	return !nic || !window_flow(nic, from);
}

/* The sequence of a redirect peer is its microsecond clock: refuse what
 * predates the manager or lies outside the tolerance (no replay across a
 * restart, whose windows start empty). */
static bool peer_seq_ok(const struct mgr *m, uint64_t seq)
{
	uint64_t now = (uint64_t)mgr_now_real(m);
	uint64_t tol = (uint64_t)m->cfg->tolerance_s * G_USEC_PER_SEC;

	return seq >= (uint64_t)m->started_real &&
	       (seq > now ? seq - now : now - seq) <= tol;
}

/*
 * The NIC whose flow @pkt belongs to, or NULL (dropped, counted).  A
 * redirect peer's first authentic frame opens the window of a
 * registered VM that has none open.
 */
static struct mig_nic *flow_of(struct mgr *m, const uint8_t *pkt, size_t len,
			       uint32_t vni, uint64_t seq,
			       const struct mig_addr *from)
{
	struct mig_nic *nic = vmtable_by_vni(m->vms, vni);
	const struct mgr_peer *peer;
	uint8_t key[HANDOFF_KEY_LEN];
	char who[ADDR_STRLEN];

	if (!nic) {
		mgr_drop(m, NULL, DROP_UNKNOWN_VNI, 1);
		return NULL;
	}
	if (window_flow(nic, from)) {
		if (handoff_frame_verify(nic->rx_key, pkt, len)) {
			mgr_drop(m, nic->vm, DROP_FRAME_AUTH, 1);
			return NULL;
		}
		if (nic->peer && !peer_seq_ok(m, seq)) {
			mgr_drop(m, nic->vm, DROP_TOO_OLD, 1);
			return NULL;
		}
		return nic;
	}
	peer = peer_at(m, from);
	if (!peer) {
		mgr_drop(m, nic->vm, vm_window_open(nic->vm) ? DROP_UNKNOWN_PEER
							     : DROP_WINDOW_CLOSED, 1);
		return NULL;
	}
	if (!nic->vm->registered || vm_window_open(nic->vm)) {
		mgr_drop(m, nic->vm, vm_window_open(nic->vm) ? DROP_UNKNOWN_PEER
							     : DROP_WINDOW_CLOSED, 1);
		return NULL;
	}
	/* Authentic under the peer's key before it may open anything. */
	if (!handoff_flow_key(peer->key, HANDOFF_FLOW_REDIRECT, NULL, NULL, vni,
			      key) || handoff_frame_verify(key, pkt, len)) {
		mgr_drop(m, nic->vm, DROP_FRAME_AUTH, 1);
		return NULL;
	}
	if (!peer_seq_ok(m, seq)) {
		mgr_drop(m, nic->vm, DROP_TOO_OLD, 1);
		return NULL;
	}
	mgr_open_peer_window(m, nic->vm, peer);
	g_info("vm %s: window opened by redirect peer %s (%s)", nic->vm->name,
	       peer->name, addr_format(from, who, sizeof(who)));
	return vmtable_by_vni(m->vms, vni);
}

void mgr_data_input(struct mgr *m, const uint8_t *buf, size_t len,
		    const struct mig_addr *from)
{
	const struct mgr_config *cfg = m->cfg;
	const uint8_t *frame;
	struct mig_nic *nic;
	struct mig_vm *vm;
	size_t frame_len;
	bool reordered;
	uint64_t cost, seq;
	uint32_t vni;
	int err;

	mgr_count(m, NULL, CTR_DATA_DATAGRAMS, 1);
	err = handoff_frame_parse(buf, len, &vni, &seq, &frame, &frame_len);
	if (err) {
		mgr_drop(m, NULL, drop_for(err), 1);
		return;
	}
	nic = flow_of(m, buf, len, vni, seq, from);
	if (!nic)
		return;
	vm = nic->vm;
	err = handoff_seq_accept(&nic->rx, seq, &reordered);
	if (err) {
		mgr_drop(m, vm, drop_for(err), 1);
		return;
	}
	if (reordered)
		mgr_count(m, vm, CTR_FRAMES_REORDERED, 1);
	if (vm->state == VM_ABORTED &&
	    mgr_now(m) >= vm->m_aborted + (int64_t)cfg->linger_ms * 1000) {
		mgr_drop(m, vm, DROP_WINDOW_CLOSED, 1);
		return;
	}
	if (vm_queued(vm) >= cfg->max_packets ||
	    vm_queued_bytes(vm) + frame_len > cfg->max_bytes) {
		mgr_drop(m, vm, DROP_BUFFER_FULL, 1);
		return;
	}
	cost = queue_push_cost(nic->queue, frame_len);
	if (mgr_mem_total(m) + cost > cfg->memory_cap) {
		mgr_drop(m, vm, DROP_MEMORY_CAP, 1);
		return;
	}
	queue_push(nic->queue, frame, frame_len, mgr_now(m));
	vm->m_last_frame = mgr_now(m);
	m->mem += cost;
	nic->received++;
	mgr_count(m, vm, CTR_FRAMES_BUFFERED, 1);
	mgr_count(m, vm, CTR_BYTES_BUFFERED, frame_len);
	/* Due now where frames may leave at once; else the age cap. */
	if (vm->state != VM_SUSPENDED)
		mgr_schedule(m, vm, vm->m_last_frame);
	else if (cfg->max_age_ms && queue_len(nic->queue) == 1)
		mgr_schedule(m, vm, vm->m_last_frame +
			     (int64_t)cfg->max_age_ms * 1000);
}
