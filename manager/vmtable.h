/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmtable.h - the migration VM table (design §2.2): one entry per VM with
 * its identity, addresses before and after, migration state, endpoints,
 * timestamps, counters and frame queue; indexed by UUID, name and VNI.
 */
#ifndef MIG_VMTABLE_H
#define MIG_VMTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"
#include "config.h"
#include "counters.h"
#include "wire.h"
#include "ids.h"
#include "queue.h"

/**
 * enum vm_state - migration state of a VM (docs/protocol.md §3).
 * @VM_REGISTERED: known (migctl register or an early ACTIVATED), no window.
 * @VM_SUSPENDED: SUSPENDING received: frames are buffered.
 * @VM_ACTIVATED: ACTIVATED received: frames go to the destination; late
 *                frames are forwarded until the linger time is over.
 * @VM_DONE: activated, queue drained, linger over.
 * @VM_ABORTED: ABORTED received: frames went back to the source.
 * @VM_EXPIRED: no ACTIVATED within expire-ms: frames dropped.
 */
enum vm_state {
	VM_REGISTERED,
	VM_SUSPENDED,
	VM_ACTIVATED,
	VM_DONE,
	VM_ABORTED,
	VM_EXPIRED,
	VM_N_STATES,
};

/**
 * struct vm_counters - per-VM counters (cumulative over migrations).
 * @c: the per-VM rows of MIG_COUNTERS (lib/counters.h), by enum
 *     mig_counter.
 * @drops: per-reason drop counts.
 */
struct vm_counters {
	uint64_t c[CTR_N];
	uint64_t drops[DROP_N_REASONS];
};

/**
 * struct drained_tx - a DRAINED waiting for its ACK.
 * @pending: true while it is being retransmitted.
 * @sequence: its sequence (the same in every retransmission).
 * @frames: FRAMES value.
 * @attempts: transmissions so far.
 * @next_us: monotonic time of the next retransmission.
 * @acked: the ACK arrived (for the last DRAINED sent).
 * @gave_up: no ACK after every retransmission.
 */
struct drained_tx {
	bool pending;
	uint64_t sequence;
	uint64_t frames;
	unsigned int attempts;
	int64_t next_us;
	bool acked;
	bool gave_up;
};

/**
 * struct mig_vm - one entry of the migration VM table.
 * @uuid: VM UUID (binary, wire order).
 * @name: VM name, "" if unknown.
 * @vni: VNI of its frames.
 * @vni_fixed: @vni was given by the operator (not from the UUID).
 * @macs: MAC addresses (one per NIC).
 * @n_macs: entries in @macs.
 * @ip: IP before migration (len 0 when unset; port unused).
 * @new_ip: IP after migration (cross-segment), len 0 when unset.
 * @new_mac: MAC after migration (cross-segment).
 * @has_new_mac: @new_mac is set.
 * @registered: created by migctl register (kept on reset).
 * @policy: release policy.
 * @state: enum vm_state.
 * @source: source address of the SUSPENDING (or the redirect peer).
 * @data_endpoint: DATA_ENDPOINT of the SUSPENDING (return path on abort).
 * @inject: where frames are released to (INJECT_ENDPOINT or --dest).
 * @drained_to: where DRAINED goes (sender of the ACTIVATED).
 * @early_activated: an ACTIVATED came before the SUSPENDING.
 * @drained_sent: the DRAINED of this window has been queued.
 * @force_release: migctl release: no hold time.
 * @released_window: frames released in the current window.
 * @t_registered: wall-clock µs of creation.
 * @t_suspended: wall-clock µs of the last SUSPENDING (0 = never).
 * @t_activated: wall-clock µs of the last ACTIVATED.
 * @t_ended: wall-clock µs of done/aborted/expired.
 * @m_suspended: monotonic µs of the SUSPENDING (timers).
 * @m_activated: monotonic µs of the ACTIVATED (linger).
 * @m_aborted: monotonic µs of the ABORTED (late frames still go back
 *             to the source for linger-ms).
 * @tokens: pacing token bucket (frames).
 * @m_tokens: monotonic µs of the last refill.
 * @retry_at: monotonic µs before which no release is attempted (after a
 *            failed send).
 * @retry_ms: current retry back-off.
 * @drained: DRAINED retransmission state.
 * @queue: buffered frames.
 * @c: counters.
 */
struct mig_vm {
	uint8_t uuid[HANDOFF_UUID_LEN];
	char name[HANDOFF_TEXT_MAX + 1];
	uint32_t vni;
	bool vni_fixed;
	uint8_t macs[HANDOFF_MAX_MACS][HANDOFF_MAC_LEN];
	unsigned int n_macs;
	struct mig_addr ip;
	struct mig_addr new_ip;
	uint8_t new_mac[HANDOFF_MAC_LEN];
	bool has_new_mac;
	bool registered;
	enum release_policy policy;
	enum vm_state state;
	struct mig_addr source;
	struct mig_addr data_endpoint;
	struct mig_addr inject;
	struct mig_addr drained_to;
	bool early_activated;
	bool drained_sent;
	bool force_release;
	uint64_t released_window;
	int64_t t_registered;
	int64_t t_suspended;
	int64_t t_activated;
	int64_t t_ended;
	int64_t m_suspended;
	int64_t m_activated;
	int64_t m_aborted;
	int64_t m_last_frame;
	double tokens;
	int64_t m_tokens;
	int64_t retry_at;
	unsigned int retry_ms;
	struct drained_tx drained;
	struct frame_queue *queue;
	struct vm_counters c;
};

struct vm_table;

/**
 * vmtable_new() - create an empty table.
 *
 * Return: the table; free with vmtable_free().
 */
struct vm_table *vmtable_new(void);

/**
 * vmtable_free() - free the table, its VMs and their queues.
 * @t: table, or NULL.
 */
void vmtable_free(struct vm_table *t);

/**
 * vmtable_add() - create a VM entry in state VM_REGISTERED.
 * @t: table.
 * @uuid: its UUID; must not be in the table yet.
 * @name: its name, or NULL/"" for none.
 * @policy: its release policy.
 * @now_us: wall-clock µs for @t_registered.
 *
 * The VNI is derived from the UUID (handoff_vni()).
 *
 * Return: the new entry (owned by the table), or NULL if @uuid or a
 * non-empty @name is already present.
 */
struct mig_vm *vmtable_add(struct vm_table *t, const uint8_t uuid[16],
			   const char *name, enum release_policy policy,
			   int64_t now_us);

/**
 * vmtable_remove() - delete a VM and its queue.
 * @t: table.
 * @vm: entry.
 */
void vmtable_remove(struct vm_table *t, struct mig_vm *vm);

/**
 * vmtable_by_uuid() - find a VM by UUID.
 * @t: table.
 * @uuid: 16 bytes.
 *
 * Return: the entry or NULL.
 */
struct mig_vm *vmtable_by_uuid(const struct vm_table *t,
			       const uint8_t uuid[16]);

/**
 * vmtable_by_vni() - find the VM that owns a VNI.
 * @t: table.
 * @vni: VNI.
 *
 * Return: the entry or NULL.
 */
struct mig_vm *vmtable_by_vni(const struct vm_table *t, uint32_t vni);

/**
 * vmtable_lookup() - find a VM by name or by UUID text (migctl's VM).
 * @t: table.
 * @key: name, or UUID as text (any case).
 *
 * Return: the entry or NULL.
 */
struct mig_vm *vmtable_lookup(const struct vm_table *t, const char *key);

/**
 * vmtable_set_name() - rename a VM.
 * @t: table.
 * @vm: entry.
 * @name: new name ("" for none).
 *
 * Return: true, or false if another VM has that name.
 */
bool vmtable_set_name(struct vm_table *t, struct mig_vm *vm,
		      const char *name);

/**
 * vmtable_set_vni() - change the VNI a VM owns.
 * @t: table.
 * @vm: entry.
 * @vni: new VNI (1..0xffffff).
 *
 * Return: true, or false if another VM owns @vni.
 */
bool vmtable_set_vni(struct vm_table *t, struct mig_vm *vm, uint32_t vni);

/**
 * vmtable_clear_vni() - make a VM own no VNI (another VM takes it over).
 * @t: table.
 * @vm: entry.
 */
void vmtable_clear_vni(struct vm_table *t, struct mig_vm *vm);

/**
 * vmtable_set_state() - move a VM to a state, recording the time.
 * @vm: entry.
 * @state: new state.
 * @now_us: wall-clock µs (recorded for done, aborted and expired).
 *
 * Return: true if the state changed.
 */
bool vmtable_set_state(struct mig_vm *vm, enum vm_state state,
		       int64_t now_us);

/**
 * vmtable_list() - all VMs, sorted by name then UUID.
 * @t: table.
 *
 * Return: a GPtrArray of struct mig_vm * (entries still owned by the
 * table); free the array with g_ptr_array_unref().
 */
GPtrArray *vmtable_list(const struct vm_table *t);

/**
 * vmtable_count() - number of VMs.
 * @t: table.
 *
 * Return: count.
 */
unsigned int vmtable_count(const struct vm_table *t);

/**
 * vm_state_name() - name of a state.
 * @s: state.
 *
 * Return: "registered", "suspended", "activated", "done", "aborted",
 * "expired" or "unknown".
 */
const char *vm_state_name(enum vm_state s);

/**
 * vm_window_open() - whether frames for this VM are accepted now.
 * @vm: entry.
 *
 * Return: true in VM_SUSPENDED and VM_ACTIVATED.
 */
bool vm_window_open(const struct mig_vm *vm);


#endif /* MIG_VMTABLE_H */
