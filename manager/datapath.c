// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * datapath.c - data frames at the manager (docs/protocol.md §1): VXLAN
 * check, VM by VNI, peer check, window check, caps, then the VM's queue.
 */
#include "internal.h"

#include "wire.h"

static bool is_redirect_peer(const struct mgr *m, const struct mig_addr *from)
{
	for (unsigned int i = 0; i < m->cfg->n_peers; i++)
		if (addr_same_host(&m->cfg->peers[i], from))
			return true;
	return false;
}

/* @from may send @vm's frames: its source, its data endpoint, or a
 * redirect peer (*peer). */
static bool known_sender(const struct mgr *m, const struct mig_vm *vm,
			 const struct mig_addr *from, bool *peer)
{
	*peer = is_redirect_peer(m, from);
	return *peer || addr_same_host(from, &vm->source) ||
	       (vm->data_endpoint.len && !addr_is_any(&vm->data_endpoint) &&
		addr_same_host(from, &vm->data_endpoint));
}

bool mgr_data_wants_control(const struct mgr *m, const uint8_t *buf,
			    size_t len, const struct mig_addr *from)
{
	const struct mig_vm *vm;
	const uint8_t *frame;
	size_t frame_len;
	uint32_t vni;
	bool peer;

	if (handoff_vxlan_decap(buf, len, &vni, &frame, &frame_len))
		return false;
	vm = vmtable_by_vni(m->vms, vni);
	/* No VM yet, a new source host, or a closed window: all of them a
	 * SUSPENDING still waiting on the control socket would change. */
	return !vm || !known_sender(m, vm, from, &peer) ||
	       (!vm_window_open(vm) && vm->state != VM_ABORTED);
}

void mgr_data_input(struct mgr *m, const uint8_t *buf, size_t len,
		    const struct mig_addr *from)
{
	const struct mgr_config *cfg = m->cfg;
	const uint8_t *frame;
	size_t frame_len;
	struct mig_vm *vm;
	uint64_t cost;
	uint32_t vni;
	bool peer;
	int err;

	mgr_count(m, NULL, CTR_DATA_DATAGRAMS, 1);
	err = handoff_vxlan_decap(buf, len, &vni, &frame, &frame_len);
	if (err) {
		mgr_drop(m, NULL, err == HANDOFF_ERR_NO_VNI ? DROP_NO_VNI
							  : DROP_SHORT, 1);
		return;
	}
	vm = vmtable_by_vni(m->vms, vni);
	if (!vm) {
		mgr_drop(m, NULL, DROP_UNKNOWN_VNI, 1);
		return;
	}
	if (!known_sender(m, vm, from, &peer)) {
		mgr_drop(m, vm, DROP_UNKNOWN_PEER, 1);
		return;
	}
	if (vm->state == VM_REGISTERED && peer && vm->registered) {
		char who[ADDR_STRLEN];

		/* A router or bridge redirecting the VM's traffic opens
		 * its window, as SUSPENDING would. */
		mgr_open_window(m, vm, from);
		g_info("vm %s: window opened by redirect peer %s", vm->name,
		       addr_format_host(from, who, sizeof(who)));
	}
	/* After ABORTED, frames the source sent before it (still in flight)
	 * follow the queue back to the source for linger-ms. */
	if (!vm_window_open(vm) &&
	    !(vm->state == VM_ABORTED && !peer &&
	      mgr_now(m) < vm->m_aborted + (int64_t)cfg->linger_ms * 1000)) {
		mgr_drop(m, vm, DROP_WINDOW_CLOSED, 1);
		return;
	}
	if (queue_len(vm->queue) >= cfg->max_packets ||
	    queue_bytes(vm->queue) + frame_len > cfg->max_bytes) {
		mgr_drop(m, vm, DROP_BUFFER_FULL, 1);
		return;
	}
	cost = queue_push_cost(vm->queue, frame_len);
	if (m->mem + cost > cfg->memory_cap) {
		mgr_drop(m, vm, DROP_MEMORY_CAP, 1);
		return;
	}
	queue_push(vm->queue, frame, frame_len, mgr_now(m));
	vm->m_last_frame = mgr_now(m);
	m->mem += cost;
	mgr_count(m, vm, CTR_FRAMES_BUFFERED, 1);
	mgr_count(m, vm, CTR_BYTES_BUFFERED, frame_len);
}
