/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * internal.h - helpers shared by the files of the manager core (core.c,
 * window.c, operator.c, qemu-control.c, datapath.c); not for the socket
 * layers.
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
 * mgr_queue_pop() - remove a VM's head frame, keeping mgr.mem right.
 * @m: core.
 * @vm: VM with a non-empty queue.
 */
void mgr_queue_pop(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_drop_queue() - drop a VM's whole queue with one reason.
 * @m: core.
 * @vm: VM.
 * @reason: reason.
 *
 * Return: frames dropped.
 */
unsigned int mgr_drop_queue(struct mgr *m, struct mig_vm *vm,
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
 * Return: the entry (filled by the caller, then count it by setting its
 * fields; n_out is advanced here), or NULL if the outbox is full.
 */
struct mgr_out *mgr_outbox_slot(struct mgr *m, size_t len);

/**
 * mgr_send_control() - encode a message with the key and queue it on the
 * control socket.
 * @m: core.
 * @msg: message.
 * @to: destination.
 * @vm: VM, or NULL.
 *
 * Return: true if queued.
 */
bool mgr_send_control(struct mgr *m, const HandoffMsg *msg,
		      const struct mig_addr *to, struct mig_vm *vm);

/**
 * mgr_open_window() - open a VM's migration window (SUSPENDING, or the
 * first frame from a redirect peer).
 * @m: core.
 * @vm: VM.
 * @source: sender of the SUSPENDING or of the frame.
 */
void mgr_open_window(struct mgr *m, struct mig_vm *vm,
		     const struct mig_addr *source);

/**
 * mgr_activate() - move a VM to activated now (ACTIVATED, early
 * ACTIVATED replayed at SUSPENDING, or migctl release).
 * @m: core.
 * @vm: VM.
 */
void mgr_activate(struct mgr *m, struct mig_vm *vm);

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
 * mgr_poll_vm() - run one VM's timers (expiry, age cap, release, DRAINED,
 * linger) and move releasable frames to the outbox.
 * @m: core.
 * @vm: VM.
 * @now: monotonic µs.
 * @wake: lowered to the VM's next deadline.
 *
 * Return: false if the outbox filled up (poll again once it is sent).
 */
bool mgr_poll_vm(struct mgr *m, struct mig_vm *vm, int64_t now,
		 int64_t *wake);

#endif /* MIG_INTERNAL_H */
