// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu-control.c - control messages at the manager (docs/protocol.md §3,
 * §4): verify under the VM's key, check the sender is the endpoint it
 * names, replay cache, state machine, ACK.
 */
#include "internal.h"

#include <string.h>

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
	case HANDOFF_ERR_UNSPECIFIED:
		return DROP_UNSPECIFIED;
	default:
		return DROP_MALFORMED;
	}
}

static void send_ack(struct mgr *m, const HandoffMsg *msg, uint16_t status,
		     const uint8_t *key, const struct mig_addr *to,
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
	if (mgr_send_control(m, &ack, key, to, &m->rx_local, vm) &&
	    status <= HANDOFF_STATUS_BUSY)
		mgr_count(m, NULL, CTR_ACKS_OK + status, 1);
}

static void set_name(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	/* The operator's name (migctl register) wins over QEMU's. */
	if (msg->name[0] && !vm->registered && strcmp(vm->name, msg->name) &&
	    !vmtable_set_name(m->vms, vm, msg->name))
		g_message("vm %s: name '%s' belongs to another VM, not renamed",
			  vm->name, msg->name);
}

static bool same_migration(const struct mig_vm *vm, const HandoffMsg *msg)
{
	return !memcmp(vm->migration_id, msg->migration_id, HANDOFF_ID_LEN);
}

/* Close what is left of the previous window before a new one. */
static uint16_t close_previous(struct mgr *m, struct mig_vm *vm)
{
	if (vm->state == VM_ACTIVATED || vm->state == VM_ABORTED) {
		if (vm_queued(vm))
			return HANDOFF_STATUS_BAD_STATE; /* still releasing */
		vmtable_set_state(vm, VM_DONE, mgr_now_real(m), mgr_now(m));
	}
	if (vm_queued(vm))
		mgr_drop_queues(m, vm, DROP_SUPERSEDED);
	return HANDOFF_STATUS_OK;
}

static uint16_t on_suspending(struct mgr *m, struct mig_vm *vm,
			      const HandoffMsg *msg)
{
	uint8_t macs[HANDOFF_MAX_NICS][HANDOFF_MAC_LEN];
	uint32_t vnis[HANDOFF_MAX_NICS];
	struct mig_vm *other;
	char id[37];
	uint16_t st;

	if (vm->state == VM_SUSPENDED && same_migration(vm, msg))
		return HANDOFF_STATUS_OK; /* a second SUSPENDING, same window */
	st = close_previous(m, vm);
	if (st != HANDOFF_STATUS_OK)
		return st;
	for (unsigned int i = 0; i < msg->n_nics; i++) {
		memcpy(macs[i], msg->nics[i].mac, HANDOFF_MAC_LEN);
		vnis[i] = msg->nics[i].vni;
	}
	if (!vmtable_set_nics(m->vms, vm, macs, vnis, msg->n_nics, &other)) {
		g_warning("vm %s: SUSPENDING with a VNI that VM %s uses in its open window",
			  vm->name, other->name);
		return HANDOFF_STATUS_CONFLICT;
	}
	set_name(m, vm, msg);
	mgr_open_window(m, vm, msg);
	vm->local_src = m->rx_local;
	g_info("vm %s (%s): suspended, buffering %u NIC(s)", vm->name,
	       uuid_format(vm->uuid, id), vm->n_nics);
	if (vm->early && same_migration(vm, &vm->early->msg) &&
	    mgr_now(m) < vm->early->m_time +
			 (int64_t)m->cfg->early_activated_ms * 1000) {
		HandoffMsg early = vm->early->msg;
		struct mig_addr local = vm->early->local;

		mgr_hook(m, vm, MGR_EV_SUSPENDED);
		mgr_activate(m, vm, &early);
		vm->local_dst = local;
		g_info("vm %s: its ACTIVATED had come first: activated", vm->name);
		mgr_activated(m, vm);
		g_clear_pointer(&vm->early, g_free);
		return HANDOFF_STATUS_OK;
	}
	g_clear_pointer(&vm->early, g_free);
	mgr_hook(m, vm, MGR_EV_SUSPENDED);
	return HANDOFF_STATUS_OK;
}

static uint16_t on_activated(struct mgr *m, struct mig_vm *vm,
			     const HandoffMsg *msg)
{
	char ep[ADDR_STRLEN];
	struct mig_addr ctl;

	if (vm->state == VM_SUSPENDED && same_migration(vm, msg)) {
		mgr_activate(m, vm, msg);
		vm->local_dst = m->rx_local;
		addr_from_endpoint(&msg->control, &ctl);
		g_info("vm %s: activated, releasing %u frames (DRAINED to %s)",
		       vm->name, vm_queued(vm), addr_format(&ctl, ep, sizeof(ep)));
		mgr_activated(m, vm);
		return HANDOFF_STATUS_OK;
	}
	if (vm->state == VM_ACTIVATED && same_migration(vm, msg))
		return HANDOFF_STATUS_OK;
	/*
	 * Before its SUSPENDING (a reordered or lost one), or a window this
	 * manager does not know (it restarted): keep it a few seconds in case
	 * the SUSPENDING comes; answer non-OK so that the destination stops
	 * holding its direct frames at once.
	 */
	if (!vm->early)
		vm->early = g_new0(struct early_activation, 1);
	vm->early->msg = *msg;
	vm->early->m_time = mgr_now(m);
	vm->early->local = m->rx_local;
	mgr_schedule(m, vm, vm->early->m_time +
		     (int64_t)m->cfg->early_activated_ms * 1000);
	g_message("vm %s: ACTIVATED in state %s (no window of its migration): kept %u ms",
		  vm->name, vm_state_name(vm->state), m->cfg->early_activated_ms);
	return vm->state == VM_REGISTERED && !vm->registered ?
		HANDOFF_STATUS_UNKNOWN_VM : HANDOFF_STATUS_BAD_STATE;
}

static uint16_t on_aborted(struct mgr *m, struct mig_vm *vm,
			   const HandoffMsg *msg)
{
	if (vm->state == VM_ABORTED && same_migration(vm, msg))
		return HANDOFF_STATUS_OK;
	if (vm->state != VM_SUSPENDED || !same_migration(vm, msg))
		return HANDOFF_STATUS_BAD_STATE;
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];

		nic->has_tx_key = handoff_flow_key(vm->key, HANDOFF_FLOW_RETURN,
						   msg->migration_id, msg->nonce,
						   nic->vni, nic->tx_key);
		nic->tx_seq = 0;
		nic->sent = 0;
	}
	addr_from_endpoint(&msg->control, &vm->control_src);
	vm->local_src = m->rx_local;
	vm->m_aborted = mgr_now(m);
	vmtable_set_state(vm, VM_ABORTED, mgr_now_real(m), vm->m_aborted);
	mgr_schedule(m, vm, vm->m_aborted);
	g_info("vm %s: aborted (%s): returning %u frames to the source",
	       vm->name, msg->reason, vm_queued(vm));
	mgr_hook(m, vm, MGR_EV_ABORTED);
	return HANDOFF_STATUS_OK;
}

static uint16_t on_end(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	if (!vm_window_open(vm) || !same_migration(vm, msg))
		return HANDOFF_STATUS_BAD_STATE;
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		vm->nics[i].have_end = true;
		vm->nics[i].end_frames = 0;
	}
	for (unsigned int i = 0; i < msg->n_frames; i++) {
		struct mig_nic *nic = vmtable_nic_by_vni(vm, msg->frames[i].vni);

		if (nic)
			nic->end_frames = msg->frames[i].frames;
	}
	vm->m_end = mgr_now(m);
	mgr_schedule(m, vm, vm->m_end);
	return HANDOFF_STATUS_OK;
}

static void on_ack(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	if (vm && vm->drained.pending &&
	    msg->acked_sequence == vm->drained.sequence) {
		vm->drained.pending = false;
		vm->drained.acked = true;
		mgr_count(m, NULL, CTR_DRAINED_ACKED, 1);
		mgr_schedule(m, vm, mgr_now(m));
		g_debug("vm %s: DRAINED acknowledged (%s)", vm->name,
			handoff_status_name(msg->status));
		return;
	}
	g_debug("ACK for an unknown message (sequence %" G_GUINT64_FORMAT ")",
		msg->acked_sequence);
}

/* Verify @buf under the key of the VM it names; false (counted) if not. */
static bool verify(struct mgr *m, const uint8_t *buf, size_t len,
		   const struct mig_addr *from, HandoffMsg *msg)
{
	uint8_t uuid[HANDOFF_UUID_LEN], key[HANDOFF_KEY_LEN];
	char who[ADDR_STRLEN];
	int err = handoff_msg_peek(buf, len, uuid);

	if (!err)
		err = mgr_vm_key(m, uuid, key) ?
		      handoff_msg_decode(buf, len, key, sizeof(key), msg) :
		      HANDOFF_ERR_INVALID;
	memset(key, 0, sizeof(key));
	if (err) {
		mgr_drop(m, NULL, drop_for(err), 1);
		g_debug("control datagram from %s dropped: %s",
			addr_format(from, who, sizeof(who)), handoff_strerror(err));
		return false;
	}
	return true;
}

/* The datagram comes from the CONTROL_ENDPOINT it names (if it names one). */
static bool from_named_endpoint(struct mgr *m, const HandoffMsg *msg,
				const struct mig_addr *from)
{
	struct mig_addr named;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (msg->type == HANDOFF_MSG_ACK || msg->type == HANDOFF_MSG_DRAINED)
		return true;
	addr_from_endpoint(&msg->control, &named);
	if (addr_equal(&named, from))
		return true;
	mgr_drop(m, vmtable_by_uuid(m->vms, msg->uuid), DROP_ENDPOINT_MISMATCH, 1);
	g_message("%s from %s dropped: it names %s as its sender",
		  handoff_msg_type_name(msg->type), addr_format(from, a, sizeof(a)),
		  addr_format(&named, b, sizeof(b)));
	return false;
}

/* NEW, or false (counted, re-acknowledged if a duplicate). */
static bool fresh(struct mgr *m, const HandoffMsg *msg,
		  const struct mig_addr *reply_to)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, msg->uuid);
	uint8_t key[HANDOFF_KEY_LEN];
	uint16_t status;

	switch (handoff_replay_check(m->replay, msg, (uint64_t)mgr_now_real(m))) {
	case HANDOFF_REPLAY_STALE:
		mgr_drop(m, vm, DROP_STALE, 1);
		g_debug("%s dropped: stale timestamp", handoff_msg_type_name(msg->type));
		return false;
	case HANDOFF_REPLAY_DUPLICATE:
		mgr_count(m, vm, CTR_DUPLICATES, 1);
		if (msg->type != HANDOFF_MSG_ACK &&
		    handoff_replay_get_status(m->replay, msg, &status) &&
		    mgr_vm_key(m, msg->uuid, key))
			send_ack(m, msg, status, key, reply_to, vm);
		return false;
	default:
		return true;
	}
}

/* The VM of a message that may create it; NULL (status set) if full. */
static struct mig_vm *vm_for(struct mgr *m, const HandoffMsg *msg,
			     uint16_t *status)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, msg->uuid);
	char id[37];

	if (vm || (msg->type != HANDOFF_MSG_SUSPENDING &&
		   msg->type != HANDOFF_MSG_ACTIVATED)) {
		*status = vm ? HANDOFF_STATUS_OK : HANDOFF_STATUS_UNKNOWN_VM;
		return vm;
	}
	vm = mgr_vm_new(m, msg->uuid, msg->name);
	if (!vm) {
		*status = HANDOFF_STATUS_BUSY;
		g_warning("%s for a new VM %s refused: the table is full (max-vms %u, memory-cap)",
			  handoff_msg_type_name(msg->type),
			  uuid_format(msg->uuid, id), m->cfg->max_vms);
		return NULL;
	}
	*status = HANDOFF_STATUS_OK;
	g_info("vm %s (%s) added by %s", vm->name, uuid_format(msg->uuid, id),
	       handoff_msg_type_name(msg->type));
	return vm;
}

static uint16_t dispatch(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg)
{
	switch (msg->type) {
	case HANDOFF_MSG_SUSPENDING:
		return on_suspending(m, vm, msg);
	case HANDOFF_MSG_ACTIVATED:
		return on_activated(m, vm, msg);
	case HANDOFF_MSG_ABORTED:
		return on_aborted(m, vm, msg);
	default:
		return on_end(m, vm, msg);
	}
}

void mgr_control_input(struct mgr *m, const uint8_t *buf, size_t len,
		       const struct mig_addr *from)
{
	struct mig_addr reply_to = *from;
	struct mig_vm *vm;
	char who[ADDR_STRLEN];
	uint16_t status;
	HandoffMsg msg;

	if (!verify(m, buf, len, from, &msg) || !from_named_endpoint(m, &msg, from) ||
	    !fresh(m, &msg, &reply_to))
		return;
	if (msg.type == HANDOFF_MSG_END)
		mgr_count(m, vmtable_by_uuid(m->vms, msg.uuid), CTR_ENDS, 1);
	else
		mgr_count(m, NULL, CTR_SUSPENDING + msg.type - HANDOFF_MSG_SUSPENDING, 1);
	if (msg.type == HANDOFF_MSG_ACK) {
		on_ack(m, vmtable_by_uuid(m->vms, msg.uuid), &msg);
		return;
	}
	if (msg.type == HANDOFF_MSG_DRAINED) {
		/* DRAINED is the manager's own message. */
		mgr_drop(m, NULL, DROP_UNEXPECTED, 1);
		return;
	}
	vm = vm_for(m, &msg, &status);
	if (vm) {
		status = dispatch(m, vm, &msg);
		mgr_count(m, vm, CTR_CONTROL_MESSAGES, 1);
		if (status == HANDOFF_STATUS_BAD_STATE)
			mgr_count(m, vm, CTR_BAD_STATE, 1);
	}
	if (status != HANDOFF_STATUS_OK)
		g_message("%s from %s: %s", handoff_msg_type_name(msg.type),
			  addr_format(from, who, sizeof(who)),
			  handoff_status_name(status));
	handoff_replay_set_status(m->replay, &msg, status);
	{
		uint8_t key[HANDOFF_KEY_LEN];

		if (mgr_vm_key(m, msg.uuid, key))
			send_ack(m, &msg, status, key, &reply_to, vm);
		memset(key, 0, sizeof(key));
	}
}
