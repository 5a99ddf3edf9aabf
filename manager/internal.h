/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * internal.h - helpers shared by the files of the manager core (core.c,
 * window.c, operator.c, qemu-control.c, datapath.c, timers.c, state.c);
 * not for the socket layers.
 */
#ifndef MIG_INTERNAL_H
#define MIG_INTERNAL_H

#include "core.h"

/**
 * mgr_drop() - count one drop (globally and, with @vm, per VM).
 * @m: core.
 * @vm: VM, or NULL.
 * @reason: reason.
 * @n: how many.
 */
void mgr_drop(struct mgr *m, struct mig_vm *vm, enum drop_reason reason,
	      uint64_t n);

/**
 * mgr_queue_pop() - remove a NIC's head frame, keeping mgr.mem right.
 * @m: core.
 * @nic: NIC with a non-empty queue.
 */
void mgr_queue_pop(struct mgr *m, struct mig_nic *nic);

/**
 * mgr_drop_queues() - drop all of a VM's queued frames with one reason.
 * @m: core.
 * @vm: VM.
 * @reason: reason.
 *
 * Return: frames dropped.
 */
unsigned int mgr_drop_queues(struct mgr *m, struct mig_vm *vm,
			     enum drop_reason reason);

/**
 * mgr_next_sequence() - sequence for a message the manager sends.
 * @m: core.
 *
 * Return: wall-clock µs, bumped past the previous one.
 */
uint64_t mgr_next_sequence(struct mgr *m);

/**
 * mgr_outbox_slot() - a free outbox entry with room for @len bytes.
 * @m: core.
 * @len: bytes needed.
 *
 * Return: the entry (filled by the caller; n_out is advanced here), or
 * NULL if the outbox is full.
 */
struct mgr_out *mgr_outbox_slot(struct mgr *m, size_t len);

/**
 * mgr_hook() - tell the daemon's hooks of @ev.
 * @m: core.
 * @vm: the VM.
 * @ev: what happened.
 */
static inline void mgr_hook(struct mgr *m, struct mig_vm *vm, enum mgr_event ev)
{
	for (int i = 0; i < MGR_N_HOOKS; i++)
		if (m->hooks[i].data && m->hooks[i].event)
			m->hooks[i].event(m->hooks[i].data, m, vm, ev);
}

/**
 * mgr_send_control() - encode a message under @vm's key and queue it on
 * the control socket.
 * @m: core.
 * @msg: message (its UUID is the VM's).
 * @key: the VM key.
 * @to: destination.
 * @local: the local address to send from, or NULL.
 * @vm: VM, or NULL.
 *
 * An outbox that is full costs the message, counted "outbox-full".
 *
 * Return: true if queued.
 */
bool mgr_send_control(struct mgr *m, const HandoffMsg *msg,
		      const uint8_t *key, const struct mig_addr *to,
		      const struct mig_addr *local, struct mig_vm *vm);

/**
 * mgr_vm_new() - add a VM to the table, within max-vms and memory-cap.
 * @m: core.
 * @uuid: its UUID (not in the table).
 * @name: its name, or "" (a name another VM has is not taken).
 *
 * Return: the VM, or NULL (counted "vms-refused") if the table is full.
 */
struct mig_vm *mgr_vm_new(struct mgr *m, const uint8_t uuid[16],
			  const char *name);

/**
 * mgr_vm_remove() - remove a VM from the table, the heap and the
 * memory count; its queues must be empty.
 * @m: core.
 * @vm: VM.
 */
void mgr_vm_remove(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_vm_in_outbox() - whether an outbox entry belongs to @vm.
 * @m: core.
 * @vm: VM.
 *
 * Return: true if one does.
 */
bool mgr_vm_in_outbox(const struct mgr *m, const struct mig_vm *vm);

/**
 * mgr_open_window() - open a VM's window for a SUSPENDING: a new
 * migration, with nothing of the previous window kept.
 * @m: core.
 * @vm: VM, whose NICs the caller set from @msg.
 * @msg: the SUSPENDING.
 */
void mgr_open_window(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg);

/**
 * mgr_open_peer_window() - open a registered VM's window for the first
 * frame of a redirect peer.
 * @m: core.
 * @vm: VM.
 * @peer: the peer.
 */
void mgr_open_peer_window(struct mgr *m, struct mig_vm *vm,
			  const struct mgr_peer *peer);

/**
 * mgr_activate() - move a VM to activated for an ACTIVATED of its
 * window's migration: each NIC gets its inject endpoint and release key.
 * @m: core.
 * @vm: VM.
 * @msg: the ACTIVATED, or NULL (migctl release: keep what is known).
 */
void mgr_activate(struct mgr *m, struct mig_vm *vm, const HandoffMsg *msg);

/**
 * mgr_count() - add to a counter, globally and per VM as its row's scope
 * says (lib/counters.h).
 * @m: core.
 * @vm: VM, or NULL.
 * @c: counter.
 * @n: how much.
 */
static inline void mgr_count(struct mgr *m, struct mig_vm *vm,
			     enum mig_counter c, uint64_t n)
{
	int scope = mig_counter_info(c)->scope;

	if (scope & CTR_GLOBAL)
		m->st.c[c] += n;
	if (vm && (scope & CTR_VM))
		vm->c.c[c] += n;
}

/**
 * mgr_poll_vm() - run one VM's timers (expiry, age cap, release, END
 * wait, DRAINED, linger, forgetting) and move releasable frames to the
 * outbox.
 * @m: core.
 * @vm: VM.
 * @now: monotonic µs.
 * @wake: lowered to the VM's next deadline.
 *
 * Return: false if the outbox filled up (poll again once it is sent);
 * true otherwise.  When the VM was forgotten (it is gone), *@wake is
 * set to -1.
 */
bool mgr_poll_vm(struct mgr *m, struct mig_vm *vm, int64_t now,
		 int64_t *wake);

/* timers.c: the VMs by deadline (a binary heap on mig_vm.deadline). */

/**
 * mgr_heap_new() - an empty heap.
 *
 * Return: the heap; free with mgr_heap_free().
 */
struct mgr_heap *mgr_heap_new(void);

/**
 * mgr_heap_free() - free a heap (not its VMs).
 * @h: heap, or NULL.
 */
void mgr_heap_free(struct mgr_heap *h);

/**
 * mgr_schedule() - make the core poll @vm no later than @when.
 * @m: core.
 * @vm: VM.
 * @when: monotonic µs; a later time than its deadline changes nothing.
 */
void mgr_schedule(struct mgr *m, struct mig_vm *vm, int64_t when);

/**
 * mgr_heap_set() - set @vm's deadline to @when exactly (G_MAXINT64: not
 * in the heap).
 * @h: heap.
 * @vm: VM.
 * @when: monotonic µs.
 */
void mgr_heap_set(struct mgr_heap *h, struct mig_vm *vm, int64_t when);

/**
 * mgr_heap_first() - the VM with the earliest deadline.
 * @h: heap.
 *
 * Return: the VM, or NULL if the heap is empty.
 */
struct mig_vm *mgr_heap_first(const struct mgr_heap *h);

/**
 * mgr_heap_size() - VMs in the heap.
 * @h: heap.
 *
 * Return: count.
 */
unsigned int mgr_heap_size(const struct mgr_heap *h);

/* state.c: the registrations across restarts. */

/**
 * mgr_load_state() - register the VMs of cfg->state_file.
 * @m: core.
 * @error: set if the file exists and cannot be read or parsed.
 *
 * Return: true if loaded or there is no file.
 */
bool mgr_load_state(struct mgr *m, GError **error);

#endif /* MIG_INTERNAL_H */
