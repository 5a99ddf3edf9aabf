// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - control messages at the manager (docs/protocol.md §2, §3):
 * verify, replay cache, state machine, ACK.
 */
#include "internal.h"

#include <string.h>

#include "wire.h"

/* The per-type and per-status rows of lib/counters.h are in wire order. */
G_STATIC_ASSERT(CTR_DRAINED_RECEIVED - CTR_SUSPENDING ==
		HANDOFF_MSG_DRAINED - HANDOFF_MSG_SUSPENDING);
G_STATIC_ASSERT(CTR_ACKS_BUSY - CTR_ACKS_OK ==
		HANDOFF_STATUS_BUSY - HANDOFF_STATUS_OK);

static enum drop_reason drop_for(int err)
{
	switch (err) {
	case HANDOFF_ERR_TOO_LONG:
		return DROP_TOO_LONG;
	case HANDOFF_ERR_BAD_MAGIC:
		return DROP_BAD_MAGIC;
	case HANDOFF_ERR_BAD_VERSION:
		return DROP_BAD_VERSION;
	case HANDOFF_ERR_AUTH:
		return DROP_AUTH_FAILURE;
	case HANDOFF_ERR_BAD_TYPE:
		return DROP_BAD_TYPE;
	case HANDOFF_ERR_MISSING_FIELD:
		return DROP_MISSING_FIELD;
	default:
		return DROP_MALFORMED;
	}
}

static void send_ack(struct mgr *m, const HandoffMsg *msg,
		     uint16_t status, const struct mig_addr *to,
		     struct mig_vm *vm)
{
	HandoffMsg ack;

	memset(&ack, 0, sizeof(ack));
	ack.type = HANDOFF_MSG_ACK;
	ack.sequence = mgr_next_sequence(m);
	ack.timestamp_us = (uint64_t)mgr_now_real(m);
	memcpy(ack.uuid, msg->uuid, HANDOFF_UUID_LEN);
	ack.acked_sequence = msg->sequence;
	ack.status = status;
	if (mgr_send_control(m, &ack, to, vm) &&
	    status <= HANDOFF_STATUS_BUSY)
		mgr_count(m, NULL, CTR_ACKS_OK + status, 1);
}

/* Find or create the VM of a SUSPENDING/ACTIVATED. */
static struct mig_vm *vm_for(struct mgr *m, const HandoffMsg *msg)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, msg->uuid);
	char id[37];

	if (vm)
		return vm;
	vm = vmtable_add(m->vms, msg->uuid, msg->name, m->cfg->policy,
			 mgr_now_real(m));
	if (!vm) /* the name belongs to another VM: keep it nameless */
		vm = vmtable_add(m->vms, msg->uuid, "", m->cfg->policy,
				 mgr_now_real(m));
	g_info("vm %s (%s) added by %s", msg->name, uuid_format(msg->uuid, id),
	       handoff_msg_type_name(msg->type));
	return vm;
}

static void set_identity(struct mgr *m, struct mig_vm *vm,
			 const HandoffMsg *msg)
{
	/* The operator's name (migctl register) wins over QEMU's. */
	if (msg->name[0] && !vm->registered && strcmp(vm->name, msg->name) &&
	    !vmtable_set_name(m->vms, vm, msg->name))
		g_message("vm %s: name '%s' belongs to another VM, not renamed",
			  vm->name, msg->name);
	if (msg->n_macs) {
		memcpy(vm->macs, msg->macs, sizeof(vm->macs));
		vm->n_macs = msg->n_macs;
	}
}

static uint16_t on_suspending(struct mgr *m, const HandoffMsg *msg,
			      const struct mig_addr *from, struct mig_vm **out)
{
	struct mig_vm *vm = vm_for(m, msg);
	struct mig_vm *other = vmtable_by_vni(m->vms, msg->vni);
	char ep[ADDR_STRLEN], id[37];

	*out = vm;
	if (vm->state == VM_SUSPENDED) {
		/* A new SUSPENDING within the window: same window. */
		addr_from_endpoint(&msg->endpoint, from, &vm->data_endpoint);
		vm->source = *from;
		return HANDOFF_STATUS_OK;
	}
	if (vm->state == VM_ACTIVATED) {
		if (queue_len(vm->queue))
			return HANDOFF_STATUS_BAD_STATE;
		vmtable_set_state(vm, VM_DONE, mgr_now_real(m));
	}
	if (other && other != vm) {
		if (vm_window_open(other)) {
			g_warning("vm %s: SUSPENDING with VNI %u, which VM %s uses in its open window",
				  msg->name, msg->vni, other->name);
			return HANDOFF_STATUS_CONFLICT;
		}
		vmtable_clear_vni(m->vms, other);
	}
	vmtable_set_vni(m->vms, vm, msg->vni);
	set_identity(m, vm, msg);
	addr_from_endpoint(&msg->endpoint, from, &vm->data_endpoint);
	if (vm->queue && queue_len(vm->queue))
		mgr_drop_queue(m, vm, DROP_WINDOW_CLOSED);
	mgr_open_window(m, vm, from);
	g_info("vm %s (%s): suspended, buffering VNI %u from %s", vm->name,
	       uuid_format(vm->uuid, id), vm->vni,
	       addr_format(&vm->data_endpoint, ep, sizeof(ep)));
	if (vm->early_activated) {
		mgr_activate(m, vm);
		g_info("vm %s: ACTIVATED had come first: activated", vm->name);
	}
	return HANDOFF_STATUS_OK;
}

static uint16_t on_activated(struct mgr *m, const HandoffMsg *msg,
			     const struct mig_addr *from, struct mig_vm **out)
{
	struct mig_vm *vm = vm_for(m, msg);
	char ep[ADDR_STRLEN];

	*out = vm;
	addr_from_endpoint(&msg->endpoint, from, &vm->inject);
	vm->drained_to = *from;
	switch (vm->state) {
	case VM_SUSPENDED:
		if (msg->vni != vm->vni)
			g_message("vm %s: ACTIVATED with VNI %u, window uses %u",
				  vm->name, msg->vni, vm->vni);
		mgr_activate(m, vm);
		g_info("vm %s: activated, releasing %u frames to %s", vm->name,
		       queue_len(vm->queue),
		       addr_format(&vm->inject, ep, sizeof(ep)));
		return HANDOFF_STATUS_OK;
	case VM_ACTIVATED:
		return HANDOFF_STATUS_OK;
	default:
		/* A fast migration can deliver ACTIVATED first: keep the
		 * destination and activate when SUSPENDING comes. */
		vm->early_activated = true;
		g_message("vm %s: ACTIVATED in state %s: destination %s recorded",
			  vm->name, vm_state_name(vm->state),
			  addr_format(&vm->inject, ep, sizeof(ep)));
		return HANDOFF_STATUS_BAD_STATE;
	}
}

static uint16_t on_aborted(struct mgr *m, const HandoffMsg *msg,
			   struct mig_vm **out)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, msg->uuid);
	char ep[ADDR_STRLEN];

	*out = vm;
	if (!vm)
		return HANDOFF_STATUS_UNKNOWN_VM;
	if (vm->state == VM_ABORTED)
		return HANDOFF_STATUS_OK;
	if (vm->state != VM_SUSPENDED)
		return HANDOFF_STATUS_BAD_STATE;
	vmtable_set_state(vm, VM_ABORTED, mgr_now_real(m));
	vm->m_aborted = mgr_now(m);
	vm->early_activated = false;
	g_info("vm %s: aborted (%s): returning %u frames to %s", vm->name,
	       msg->reason, queue_len(vm->queue),
	       addr_format(&vm->data_endpoint, ep, sizeof(ep)));
	return HANDOFF_STATUS_OK;
}

static void on_ack(struct mgr *m, const HandoffMsg *msg)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, msg->uuid);

	if (vm && vm->drained.pending &&
	    msg->acked_sequence == vm->drained.sequence) {
		vm->drained.pending = false;
		vm->drained.acked = true;
		mgr_count(m, NULL, CTR_DRAINED_ACKED, 1);
		g_debug("vm %s: DRAINED acknowledged (%s)", vm->name,
			handoff_status_name(msg->status));
		return;
	}
	g_debug("ACK for an unknown message (sequence %" G_GUINT64_FORMAT ")",
		msg->acked_sequence);
}

void mgr_control_input(struct mgr *m, const uint8_t *buf, size_t len,
		       const struct mig_addr *from)
{
	HandoffMsg msg;
	struct mig_vm *vm = NULL;
	char who[ADDR_STRLEN];
	uint16_t status;
	int err;

	err = handoff_msg_decode(buf, len, m->cfg->key, m->cfg->key_len, &msg);
	if (err) {
		mgr_drop(m, NULL, drop_for(err), 1);
		g_debug("control datagram from %s dropped: %s",
			addr_format(from, who, sizeof(who)), handoff_strerror(err));
		return;
	}
	switch (handoff_replay_check(m->replay, &msg, (uint64_t)mgr_now_real(m))) {
	case HANDOFF_REPLAY_STALE:
		mgr_drop(m, vmtable_by_uuid(m->vms, msg.uuid), DROP_STALE, 1);
		g_debug("%s from %s dropped: stale timestamp",
			handoff_msg_type_name(msg.type),
			addr_format(from, who, sizeof(who)));
		return;
	case HANDOFF_REPLAY_DUPLICATE:
		vm = vmtable_by_uuid(m->vms, msg.uuid);
		mgr_count(m, vm, CTR_DUPLICATES, 1);
		if (msg.type != HANDOFF_MSG_ACK &&
		    handoff_replay_get_status(m->replay, &msg, &status))
			send_ack(m, &msg, status, from, vm);
		return;
	case HANDOFF_REPLAY_NEW:
		break;
	}
	mgr_count(m, NULL, CTR_SUSPENDING + msg.type - HANDOFF_MSG_SUSPENDING, 1);
	switch (msg.type) {
	case HANDOFF_MSG_ACK:
		on_ack(m, &msg);
		return;
	case HANDOFF_MSG_SUSPENDING:
		status = on_suspending(m, &msg, from, &vm);
		break;
	case HANDOFF_MSG_ACTIVATED:
		status = on_activated(m, &msg, from, &vm);
		break;
	case HANDOFF_MSG_ABORTED:
		status = on_aborted(m, &msg, &vm);
		break;
	default:
		/* DRAINED is the manager's own message. */
		mgr_drop(m, NULL, DROP_UNEXPECTED, 1);
		return;
	}
	if (vm) {
		mgr_count(m, vm, CTR_CONTROL_MESSAGES, 1);
		if (status == HANDOFF_STATUS_BAD_STATE)
			mgr_count(m, vm, CTR_BAD_STATE, 1);
	}
	if (status != HANDOFF_STATUS_OK)
		g_message("%s from %s: %s", handoff_msg_type_name(msg.type),
			  addr_format(from, who, sizeof(who)),
			  handoff_status_name(status));
	handoff_replay_set_status(m->replay, &msg, status);
	send_ack(m, &msg, status, from, vm);
}
