/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmtable.h - the migration VM table: one entry per VM with its
 * identity, key, registration (addresses before and after, policy),
 * migration state, the migration's identity and control endpoints,
 * timestamps, counters, and one NIC entry per NIC with its VNI,
 * endpoints, flow keys, anti-replay window and frame queue.  Indexed by
 * UUID, name and NIC VNI.
 */
#ifndef MIG_VMTABLE_H
#define MIG_VMTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"
#include "config.h"
#include "counters.h"
#include "ids.h"
#include "queue.h"
#include "wire.h"

/**
 * enum vm_state - migration state of a VM (docs/protocol.md §4).
 * @VM_REGISTERED: known (migctl register, an ACTIVATED before its
 *                 SUSPENDING, a restart), no window.
 * @VM_SUSPENDED: SUSPENDING received: frames are buffered.
 * @VM_ACTIVATED: ACTIVATED received: frames go to the destination; late
 *                frames are forwarded until the linger time is over.
 * @VM_DONE: activated, drained, linger over.
 * @VM_ABORTED: ABORTED received: frames go back to the source.
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
 * @attempts: transmissions so far.
 * @next_us: monotonic time of the next retransmission.
 * @acked: the ACK arrived (for the last DRAINED sent).
 * @gave_up: no ACK after every retransmission.
 */
struct drained_tx {
	bool pending;
	uint64_t sequence;
	unsigned int attempts;
	int64_t next_us;
	bool acked;
	bool gave_up;
};

struct mig_vm;

/**
 * struct mig_nic - one NIC of a VM in the current window.
 * @vm: the VM it belongs to.
 * @mac: its MAC.
 * @vni: the VNI of its frames (handoff_vni(uuid, mac), or the
 *       operator's --vni for a redirect peer).
 * @indexed: @vni is in the table's VNI index for this NIC.
 * @data_ep: the source filter's data endpoint (frames come from there,
 *           and go back there after ABORTED), len 0 if unknown.
 * @inject_ep: the destination filter's endpoint (frames are released to
 *             it), len 0 if unknown.
 * @rx_key: key of the frames it accepts (capture, or a redirect peer's).
 * @tx_key: key of the frames it sends (release, or return).
 * @has_rx_key: @rx_key is set.
 * @has_tx_key: @tx_key is set.
 * @peer: the redirect peer whose frames opened the window, or NULL.
 * @rx: anti-replay window of the accepted flow.
 * @tx_seq: last sequence sent.
 * @queue: buffered frames.
 * @received: frames accepted in this window.
 * @sent: frames released (or returned) in this window.
 * @end_frames: frames the source said it sent (END).
 * @have_end: END counted this NIC.
 */
struct mig_nic {
	struct mig_vm *vm;
	uint8_t mac[HANDOFF_MAC_LEN];
	uint32_t vni;
	bool indexed;
	struct mig_addr data_ep;
	struct mig_addr inject_ep;
	uint8_t rx_key[HANDOFF_KEY_LEN];
	uint8_t tx_key[HANDOFF_KEY_LEN];
	bool has_rx_key;
	bool has_tx_key;
	const struct mgr_peer *peer;
	HandoffSeqWindow rx;
	uint64_t tx_seq;
	struct frame_queue *queue;
	uint64_t received;
	uint64_t sent;
	uint64_t end_frames;
	bool have_end;
};

/**
 * struct early_activation - an ACTIVATED that came before its SUSPENDING.
 * @msg: the message.
 * @m_time: monotonic µs it arrived.
 * @local: the local address it came to.
 */
struct early_activation {
	HandoffMsg msg;
	int64_t m_time;
	struct mig_addr local;
};

/**
 * struct mig_vm - one entry of the migration VM table.
 * @uuid: VM UUID (binary, wire order).
 * @name: VM name, "" if unknown.
 * @key: the VM key (mig_vm_key() of the master key and @uuid).
 * @registered: created or updated by migctl register (kept across
 *              restarts, never forgotten on its own).
 * @reg_macs: the registered MACs (one per NIC).
 * @reg_n_macs: entries in @reg_macs.
 * @reg_vni: the registered VNI of the first NIC (redirect peers), 0 if
 *           derived.
 * @ip: IP before migration (len 0 when unset; port unused).
 * @new_ip: IP after migration (cross-segment), len 0 when unset.
 * @new_mac: MAC after migration (cross-segment).
 * @has_new_mac: @new_mac is set.
 * @policy: release policy.
 * @state: enum vm_state.
 * @migration_id: the window's migration.
 * @control_src: the source QEMU's control endpoint (SUSPENDING).
 * @control_dst: the destination QEMU's control endpoint (ACTIVATED).
 * @local_src: the manager's address the source QEMU sends to (what goes
 *             to the source is sent from it; len 0: unknown).
 * @local_dst: the same for the destination QEMU.
 * @early: an early ACTIVATED, or NULL (allocated: most VMs never have one).
 * @nics: the window's NICs (@n_nics of them, allocated; NULL when none).
 * @n_nics: entries in @nics.
 * @drained_sent: the DRAINED of this window has been queued.
 * @force_release: migctl release: no hold time.
 * @src_host: the topology host it runs on (migctl register --src-host),
 *            "" if not known before SUSPENDING.
 * @dest_host: the topology host it migrates to (migctl register
 *             --dest-host), "" if not known before ACTIVATED.
 * @netstate_hold: DRAINED waits for its network state (netstate.c).
 * @address_hold: its services wait for the check of its new address
 *                (addrcheck.c).
 * @m_address_deadline: monotonic µs at which they wait no longer.
 * @learn_ip: the new address is learned at the destination (migctl
 *            register --new-ip dhcp): @new_ip is set by the check.
 * @m_netstate_deadline: monotonic µs at which it waits no longer.
 * @t_registered: wall-clock µs of creation.
 * @t_suspended: wall-clock µs of the last SUSPENDING (0 = never).
 * @t_activated: wall-clock µs of the last ACTIVATED.
 * @t_ended: wall-clock µs of done/aborted/expired.
 * @m_suspended: monotonic µs of the SUSPENDING (timers).
 * @m_activated: monotonic µs of the ACTIVATED (linger, END wait).
 * @m_aborted: monotonic µs of the ABORTED.
 * @m_ended: monotonic µs of done/aborted/expired (forget-after-s).
 * @m_end: monotonic µs of the END.
 * @m_last_frame: monotonic µs of the last frame received.
 * @tokens: pacing token bucket (frames).
 * @m_tokens: monotonic µs of the last refill.
 * @retry_at: monotonic µs before which no release is attempted (after a
 *            failed send).
 * @retry_ms: current retry back-off.
 * @drained: DRAINED retransmission state.
 * @heap_pos: position in the core's timer heap, -1 when not in it.
 * @deadline: monotonic µs at which the core polls this VM next.
 * @c: counters.
 */
struct mig_vm {
	uint8_t uuid[HANDOFF_UUID_LEN];
	char name[HANDOFF_TEXT_MAX + 1];
	uint8_t key[HANDOFF_KEY_LEN];
	bool registered;
	uint8_t reg_macs[HANDOFF_MAX_NICS][HANDOFF_MAC_LEN];
	unsigned int reg_n_macs;
	uint32_t reg_vni;
	struct mig_addr ip;
	struct mig_addr new_ip;
	uint8_t new_mac[HANDOFF_MAC_LEN];
	bool has_new_mac;
	enum release_policy policy;
	enum vm_state state;
	uint8_t migration_id[HANDOFF_ID_LEN];
	struct mig_addr control_src;
	struct mig_addr control_dst;
	struct mig_addr local_src;
	struct mig_addr local_dst;
	struct early_activation *early;
	struct mig_nic *nics;
	unsigned int n_nics;
	bool drained_sent;
	bool force_release;
	char src_host[65];
	char dest_host[65];
	bool netstate_hold;
	int64_t m_netstate_deadline;
	bool address_hold;
	int64_t m_address_deadline;
	bool learn_ip;
	int64_t t_registered;
	int64_t t_suspended;
	int64_t t_activated;
	int64_t t_ended;
	int64_t m_suspended;
	int64_t m_activated;
	int64_t m_aborted;
	int64_t m_ended;
	int64_t m_end;
	int64_t m_last_frame;
	double tokens;
	int64_t m_tokens;
	int64_t retry_at;
	unsigned int retry_ms;
	struct drained_tx drained;
	int heap_pos;
	int64_t deadline;
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
 * vmtable_add() - create a VM entry in state VM_REGISTERED, without NICs.
 * @t: table.
 * @uuid: its UUID; must not be in the table yet.
 * @name: its name, or NULL/"" for none.
 * @key: its VM key (HANDOFF_KEY_LEN bytes).
 * @policy: its release policy.
 * @now_us: wall-clock µs for @t_registered.
 *
 * Return: the new entry (owned by the table), or NULL if @uuid or a
 * non-empty @name is already present.
 */
struct mig_vm *vmtable_add(struct vm_table *t, const uint8_t uuid[16],
			   const char *name, const uint8_t *key,
			   enum release_policy policy, int64_t now_us);

/**
 * vmtable_remove() - delete a VM, its NICs and their queues.
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
 * vmtable_by_vni() - find the NIC that owns a VNI.
 * @t: table.
 * @vni: VNI.
 *
 * Return: the NIC or NULL.
 */
struct mig_nic *vmtable_by_vni(const struct vm_table *t, uint32_t vni);

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
 * vmtable_set_nics() - give a VM its NICs (a new window, or a
 * registration), each with a fresh queue; the previous NICs, their VNIs
 * and queues are dropped (the caller counts their frames first).
 * @t: table.
 * @vm: entry.
 * @macs: the NICs' MACs.
 * @vnis: their VNIs.
 * @n: number of NICs, 0..HANDOFF_MAX_NICS.
 * @other: set to a VM that owns one of @vnis in an open window (then
 *         nothing changes), or NULL.
 *
 * A VNI that a VM without an open window owns is taken over.
 *
 * Return: true, or false if another VM's open window has one of @vnis.
 */
bool vmtable_set_nics(struct vm_table *t, struct mig_vm *vm,
		      const uint8_t (*macs)[HANDOFF_MAC_LEN],
		      const uint32_t *vnis, unsigned int n,
		      struct mig_vm **other);

/**
 * vmtable_nic_by_vni() - the NIC of @vm with VNI @vni.
 * @vm: entry.
 * @vni: VNI.
 *
 * Return: the NIC or NULL.
 */
struct mig_nic *vmtable_nic_by_vni(struct mig_vm *vm, uint32_t vni);

/**
 * vmtable_set_state() - move a VM to a state, recording the time.
 * @vm: entry.
 * @state: new state.
 * @now_us: wall-clock µs (recorded for done, aborted and expired).
 * @mono_us: monotonic µs (recorded likewise).
 *
 * Return: true if the state changed.
 */
bool vmtable_set_state(struct mig_vm *vm, enum vm_state state,
		       int64_t now_us, int64_t mono_us);

/**
 * vmtable_foreach() - call @fn for every VM, in no order; @fn must not
 * add or remove entries.
 * @t: table.
 * @fn: callback.
 * @data: passed to @fn.
 */
void vmtable_foreach(const struct vm_table *t,
		     void (*fn)(struct mig_vm *vm, void *data), void *data);

/**
 * vmtable_list() - all VMs, sorted by name then UUID (migctl vms,
 * /metrics; not on the data path).
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
 * vmtable_nic_count() - number of NICs of all VMs.
 * @t: table.
 *
 * Return: the count.
 */
unsigned int vmtable_nic_count(const struct vm_table *t);

/**
 * vm_queued() - frames buffered in all of a VM's NICs.
 * @vm: entry.
 *
 * Return: count.
 */
unsigned int vm_queued(const struct mig_vm *vm);

/**
 * vm_queued_bytes() - their bytes.
 * @vm: entry.
 *
 * Return: bytes.
 */
uint64_t vm_queued_bytes(const struct mig_vm *vm);

/**
 * vm_queue_mem() - memory the VM's queues hold.
 * @vm: entry.
 *
 * Return: bytes.
 */
uint64_t vm_queue_mem(const struct mig_vm *vm);

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

/* Bytes a VM entry takes besides its NICs (memory accounting): the entry
 * and its slots in the UUID and name tables. */
#define VM_ENTRY_SIZE (sizeof(struct mig_vm) + 3 * 64)
/* Bytes a NIC takes besides its queued frames: the NIC, its empty queue
 * (6 words) and its slot in the VNI table. */
#define NIC_ENTRY_SIZE (sizeof(struct mig_nic) + 6 * 8 + 64)

/**
 * vmtable_macs() - a VM's MACs as text: those of its NICs (from its
 * SUSPENDING), else the registered ones.
 * @vm: the VM.
 *
 * Return: the MACs ("aa:bb:..."; g_ptr_array_unref()).
 */
GPtrArray *vmtable_macs(const struct mig_vm *vm);

/**
 * vmtable_uuid_hash() - GHashFunc of a 16-byte VM UUID (a key of the
 * daemon's per-VM records).
 * @k: the UUID.
 *
 * Return: its hash.
 */
guint vmtable_uuid_hash(gconstpointer k);

/**
 * vmtable_uuid_equal() - GEqualFunc of two 16-byte VM UUIDs.
 * @a: one.
 * @b: the other.
 *
 * Return: whether they are the same.
 */
gboolean vmtable_uuid_equal(gconstpointer a, gconstpointer b);

#endif /* MIG_VMTABLE_H */
