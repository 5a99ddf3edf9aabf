/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * core.h - the migration manager's core: VM table, state machine, release
 * policies, queues and drop accounting, without any socket.  This is what
 * the daemon's socket layers (udp.c, admin.c, metrics.c) and the unit
 * tests use; the core's own files share internal.h besides.
 *
 * Input comes in as datagrams (mgr_control_input(), mgr_data_input()) and
 * operator requests (mgr_register(), mgr_forget(), mgr_flush(),
 * mgr_release()); timers run in mgr_poll(), which only looks at the VMs
 * whose deadline has come (a heap, timers.c).  Output (ACKs, DRAINED,
 * released frames) is appended to an outbox that the caller sends, in
 * order, and empties with mgr_outbox_done().  The clock is
 * g_get_monotonic_time() and g_get_real_time() unless mgr_set_time()
 * fixed it (unit tests).
 *
 * qemu-control.c implements the control messages, datapath.c the data
 * frames, window.c a window's timers and release, operator.c migctl's
 * requests, state.c the registrations' file, timers.c the heap, core.c
 * the rest.
 */
#ifndef MIG_CORE_H
#define MIG_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "addr.h"
#include "config.h"
#include "vmtable.h"
#include "wire.h"

#define MGR_OUTBOX 64
#define MGR_DRAINED_TRIES 5 /* 1 + 4 retransmissions, 1.55 s in all */
#define MGR_STATE_SAVE_US 1000000 /* state file: at most one write a second */

/**
 * enum mgr_error_code - codes of MGR_ERROR (operator requests).
 * @MGR_ERROR_INVALID: invalid argument.
 * @MGR_ERROR_EXISTS: name or VNI taken by another VM.
 * @MGR_ERROR_NO_DESTINATION: frames to release, destination unknown.
 * @MGR_ERROR_BUSY: the table is full (max-vms, memory-cap).
 * @MGR_ERROR_STATE: the request does not fit the VM's state.
 */
enum mgr_error_code {
	MGR_ERROR_INVALID,
	MGR_ERROR_EXISTS,
	MGR_ERROR_NO_DESTINATION,
	MGR_ERROR_BUSY,
	MGR_ERROR_STATE,
};

#define MGR_ERROR (mgr_error_quark())

/**
 * mgr_error_quark() - the GError domain of operator requests.
 *
 * Return: the quark.
 */
GQuark mgr_error_quark(void);

/**
 * enum mgr_sock - which socket an outbox entry leaves from.
 * @MGR_SOCK_CONTROL: the control socket (ACK, DRAINED).
 * @MGR_SOCK_DATA: the data socket (Geneve frames).
 */
enum mgr_sock {
	MGR_SOCK_CONTROL,
	MGR_SOCK_DATA,
};

/**
 * struct mgr_out - one datagram to send.
 * @sock: socket to send it from.
 * @to: destination.
 * @vm: VM it belongs to, or NULL.  Outbox entries never outlive their
 *      VM: a VM leaves the table only when the outbox is empty.
 * @is_frame: a released or returned data frame (counted on failure).
 * @len: bytes in @buf.
 * @cap: allocated size of @buf.
 * @buf: the datagram.
 * @local: the local address to send it from (address only; len 0: the
 *         kernel's choice), the one the receiving QEMU connected to.
 */
struct mgr_out {
	enum mgr_sock sock;
	struct mig_addr to;
	struct mig_vm *vm;
	bool is_frame;
	size_t len;
	size_t cap;
	uint8_t *buf;
	struct mig_addr local;
};

/**
 * struct mgr_stats - daemon-wide counters (all cumulative; the gauges are
 * computed from the table when asked).
 * @drops: per drop reason.
 * @c: the global rows of MIG_COUNTERS (lib/counters.h), by enum
 *     mig_counter.
 */
struct mgr_stats {
	uint64_t drops[DROP_N_REASONS];
	uint64_t c[CTR_N];
};

struct mgr_heap;
struct mgr;

/**
 * enum mgr_event - what happened to a VM, for the daemon's hooks.
 * @MGR_EV_REGISTERED: migctl register (new or changed).
 * @MGR_EV_SUSPENDED: a window opened (SUSPENDING).
 * @MGR_EV_ACTIVATED: the destination runs the VM (ACTIVATED).
 * @MGR_EV_ABORTED: the migration failed, the source runs it again.
 * @MGR_EV_FORGOTTEN: the VM leaves the table (the entry is freed next).
 * @MGR_EV_ADDRESS: after ACTIVATED, the VM's address at the destination
 *                  is known (vm->new_ip, len 0 if it did not change):
 *                  at once, or after the address check (addrcheck.c).
 */
enum mgr_event {
	MGR_EV_REGISTERED,
	MGR_EV_SUSPENDED,
	MGR_EV_ACTIVATED,
	MGR_EV_ABORTED,
	MGR_EV_FORGOTTEN,
	MGR_EV_ADDRESS,
};

/**
 * typedef mgr_answer_fn - how a hook's admin command is answered later.
 * @ctx: the session (the @ctx given to the command hook).
 * @reply: the reply line (JSON, without newline; taken).
 */
typedef void (*mgr_answer_fn)(void *ctx, char *reply);

/**
 * struct mgr_hooks - what a part of the daemon around the core wants to
 * hear of (the network-state transfer, netstate.c; the provisioning,
 * provision.c).  Called from the core's handlers and the admin socket, on
 * the main loop; must not block.
 * @name: the member of migctl show's VM object that @describe fills.
 * @event: a VM's window changed.
 * @describe: what the part did for a VM, for migctl show (the caller
 *            takes it).
 * @command: an admin command the part answers itself, later (it talks to
 *           agents): return true if it took @cmd (then @answer is called
 *           exactly once, on the main loop), false to leave it to the
 *           admin socket.
 * @data: for the callbacks.
 */
struct mgr_hooks {
	const char *name;
	void (*event)(void *data, struct mgr *m, struct mig_vm *vm,
		      enum mgr_event ev);
	JsonNode *(*describe)(void *data, const struct mig_vm *vm);
	bool (*command)(void *data, struct mgr *m, const char *cmd, JsonObject *req,
			mgr_answer_fn answer, void *ctx);
	void *data;
};

/* How many parts may hook into the core. */
#define MGR_N_HOOKS 6

/**
 * struct mgr - the manager core.
 * @cfg: configuration (borrowed; must outlive the core).
 * @vms: the migration VM table.
 * @replay: replay cache of control messages.
 * @heap: VMs by the time they need to be polled (timers.c).
 * @mem: memory held by all queues (sum of queue_mem()).
 * @mem_peak: highest mgr_mem_total() seen.
 * @st: counters.
 * @out: the outbox.
 * @n_out: entries in @out.
 * @last_seq: last sequence used for a message the manager sends.
 * @fixed_time: mgr_set_time() was called.
 * @mono_us: fixed monotonic time.
 * @real_us: fixed wall-clock time.
 * @started_real: wall-clock µs of mgr_new() (replay protection across
 *                restarts: older control messages are stale).
 * @state_dirty: registrations changed since the state file was written.
 * @state_next_save: monotonic µs before which the state file is not
 *                   written again (changes are coalesced).
 * @rcvbuf: effective SO_RCVBUF of the data socket (set by udp.c).
 * @rx_local: the local address the datagram being handled came to (len
 *            0 when unknown); see mgr_set_rx_local().
 * @hooks: the daemon's hooks (none in the tests); unused slots have no
 *         @data.
 */
struct mgr {
	const struct mgr_config *cfg;
	struct vm_table *vms;
	HandoffReplayCache *replay;
	struct mgr_heap *heap;
	uint64_t mem;
	uint64_t mem_peak;
	struct mgr_stats st;
	struct mgr_out out[MGR_OUTBOX];
	unsigned int n_out;
	uint64_t last_seq;
	bool fixed_time;
	int64_t mono_us;
	int64_t real_us;
	int64_t started_real;
	bool state_dirty;
	int64_t state_next_save;
	unsigned int rcvbuf;
	struct mig_addr rx_local;
	struct mgr_hooks hooks[MGR_N_HOOKS];
};

/**
 * mgr_add_hooks() - let a part of the daemon hear of the VMs' events.
 * @m: core.
 * @h: the hooks (copied; h->data must not be NULL and identifies them).
 *
 * Return: false if all MGR_N_HOOKS slots are taken.
 */
bool mgr_add_hooks(struct mgr *m, const struct mgr_hooks *h);

/**
 * mgr_remove_hooks() - the part whose hooks have @data leaves.
 * @m: core.
 * @data: its hooks' data.
 */
void mgr_remove_hooks(struct mgr *m, const void *data);

/**
 * mgr_new() - create a core.
 * @cfg: configuration with a master key; borrowed.
 * @error: set if the state file exists but cannot be read.
 *
 * Loads the registrations from cfg->state_file if it exists.
 *
 * Return: the core (free with mgr_free()), or NULL.
 */
struct mgr *mgr_new(const struct mgr_config *cfg, GError **error);

/**
 * mgr_free() - free a core, its table and its outbox.
 * @m: core, or NULL.
 */
void mgr_free(struct mgr *m);

/**
 * mgr_set_time() - fix the clock (tests); mono and real advance only by
 * further calls.
 * @m: core.
 * @mono_us: monotonic µs.
 * @real_us: wall-clock µs since the epoch.
 */
void mgr_set_time(struct mgr *m, int64_t mono_us, int64_t real_us);

/**
 * mgr_now() - the core's monotonic clock.
 * @m: core.
 *
 * Return: µs.
 */
int64_t mgr_now(const struct mgr *m);

/**
 * mgr_now_real() - the core's wall clock.
 * @m: core.
 *
 * Return: µs since the epoch.
 */
int64_t mgr_now_real(const struct mgr *m);

/**
 * mgr_mem_total() - memory the core holds: queues, VM entries and the
 * replay cache (what memory-cap bounds).
 * @m: core.
 *
 * Return: bytes.
 */
uint64_t mgr_mem_total(const struct mgr *m);

/**
 * mgr_control_input() - handle one datagram of the control socket.
 * @m: core.
 * @buf: datagram.
 * @len: its length.
 * @from: its source address.
 *
 * Verifies it (docs/protocol.md §3: size, magic, version, HMAC under the
 * VM key of its header, type, TLVs, source = CONTROL_ENDPOINT, timestamp
 * and start time, replay cache), runs the state machine and queues the
 * ACK.  Every rejected datagram is counted with its reason.
 */
void mgr_control_input(struct mgr *m, const uint8_t *buf, size_t len,
		       const struct mig_addr *from);

/**
 * mgr_netstate_hold() - the VM's network state is on its way to the
 * destination: its DRAINED waits until mgr_netstate_release() or
 * netstate-wait-ms (then counted netstate-timeouts).
 * @m: core.
 * @vm: the VM.
 */
void mgr_netstate_hold(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_address_hold() - the VM's new address is being checked at the
 * destination (addrcheck.c, from its MGR_EV_ACTIVATED hook):
 * MGR_EV_ADDRESS (the cut of its services' names) waits until
 * mgr_address_ready() or address-wait-ms (then counted address-timeouts).
 * Its frames do not wait: the destination QEMU takes them only for a
 * moment after the VM starts.
 * @m: core.
 * @vm: the VM.
 */
void mgr_address_hold(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_address_ready() - the check of the VM's address is over: tell the
 * hooks MGR_EV_ADDRESS (vm->new_ip as found).  Nothing if the VM is not
 * held.
 * @m: core.
 * @vm: the VM.
 */
void mgr_address_ready(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_activated() - the destination runs the VM: tell the hooks
 * MGR_EV_ACTIVATED and, unless one of them holds its address, at once
 * MGR_EV_ADDRESS; a VM whose address was to be learned (--new-ip dhcp)
 * and is not being checked is counted address-failed.
 * @m: core.
 * @vm: the VM.
 */
void mgr_activated(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_netstate_release() - the VM's network state is in place (or will
 * not come): DRAINED may go.
 * @m: core.
 * @vm: the VM.
 */
void mgr_netstate_release(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_set_rx_local() - the local address the next datagrams came to.
 * @m: core.
 * @local: the address (from IP_PKTINFO), or NULL when unknown.
 *
 * QEMU's sockets are connected to the manager's address, so whatever the
 * manager sends a QEMU (ACK, DRAINED, frames) must come from the address
 * that QEMU sent to: on a host with several addresses and sockets bound
 * to a wildcard, udp.c reports it here before each datagram and sends
 * from it (struct mgr_out @local).
 */
void mgr_set_rx_local(struct mgr *m, const struct mig_addr *local);

/**
 * mgr_data_wants_control() - whether a data datagram may be waiting for a
 * control message.
 * @m: core.
 * @buf: UDP payload (Geneve).
 * @len: its length.
 * @from: sender.
 *
 * A frame may overtake the SUSPENDING that announces its window (the two
 * travel on different sockets).  The socket layer asks this to read the
 * control socket first when the frame would otherwise be dropped for
 * what that SUSPENDING changes: a VNI no NIC has yet, a sender that is not
 * the NIC's data endpoint, a window that is not open.
 *
 * Return: true for a well-formed data datagram in one of these cases.
 */
bool mgr_data_wants_control(const struct mgr *m, const uint8_t *buf,
			    size_t len, const struct mig_addr *from);

/**
 * mgr_data_input() - handle one datagram of the data socket.
 * @m: core.
 * @buf: UDP payload (Geneve).
 * @len: its length.
 * @from: its source address.
 *
 * Buffers the inner frame in its NIC's queue after the checks of
 * docs/protocol.md §2, or drops and counts it.
 */
void mgr_data_input(struct mgr *m, const uint8_t *buf, size_t len,
		    const struct mig_addr *from);

/**
 * mgr_poll() - run the timers that are due (expiry, hold, age cap, END
 * wait, linger, DRAINED retransmission, forgetting) and release frames
 * (paced) into the outbox.
 * @m: core.
 *
 * Return: µs until mgr_poll() wants to run again (0 if the outbox filled
 * up and should be sent first), or -1 if no timer is pending.
 */
int64_t mgr_poll(struct mgr *m);

/**
 * mgr_outbox_done() - the caller sent the first @n outbox entries.
 * @m: core.
 * @n: number sent, at most @m->n_out.
 *
 * Remaining entries move to the front, order kept.
 */
void mgr_outbox_done(struct mgr *m, unsigned int n);

/**
 * mgr_send_failed() - the kernel refused outbox entry @i for good.
 * @m: core.
 * @i: index.
 * @err: errno value, for the log.
 *
 * Counts a send error (and a dropped frame) and backs off the VM's
 * releases (retry after 50 ms, doubling up to 1 s).
 */
void mgr_send_failed(struct mgr *m, unsigned int i, int err);

/**
 * struct mgr_reg - what migctl register says about a VM.
 * @name: VM name (required).
 * @uuid: VM UUID.
 * @macs: its MACs.
 * @n_macs: entries in @macs (at least 1).
 * @ip: IP before migration, or len 0.
 * @new_ip: IP after migration, or len 0.
 * @learn_ip: the IP after migration is learned at the destination
 *            (--new-ip dhcp or slaac); @new_ip is then len 0.
 * @learn_family: AF_INET (dhcp: the DHCP-snooping binding) or AF_INET6
 *                (slaac: the address in the destination's prefix).
 * @new_mac: MAC after migration.
 * @has_new_mac: @new_mac is set.
 * @has_policy: @policy is set (else the configured default).
 * @policy: release policy.
 * @vni: VNI of the first NIC for redirect peers, 0 = derived.
 */
struct mgr_reg {
	const char *name;
	uint8_t uuid[HANDOFF_UUID_LEN];
	uint8_t macs[HANDOFF_MAX_NICS][HANDOFF_MAC_LEN];
	unsigned int n_macs;
	struct mig_addr ip;
	struct mig_addr new_ip;
	bool learn_ip;
	int learn_family;
	uint8_t new_mac[HANDOFF_MAC_LEN];
	bool has_new_mac;
	bool has_policy;
	enum release_policy policy;
	uint32_t vni;
	const char *src_host;
	const char *dest_host;
};

/**
 * mgr_register() - create or update a VM from operator input.
 * @m: core.
 * @r: registration.
 * @error: set on failure (name taken by another VM, VNI taken, --new-ip
 *         without --ip or of another family, table full).
 *
 * Return: the VM, or NULL.
 */
struct mig_vm *mgr_register(struct mgr *m, const struct mgr_reg *r,
			    GError **error);

/**
 * mgr_forget() - remove a VM from the table (migctl forget).
 * @m: core.
 * @vm: VM; not in an open window.
 * @error: set if its window is open (forgetting it would drop frames).
 *
 * Return: true if removed.
 */
bool mgr_forget(struct mgr *m, struct mig_vm *vm, GError **error);

/**
 * mgr_vm_key() - the key of a VM (migctl key), known or not.
 * @m: core.
 * @uuid: its UUID.
 * @key: set to its key.
 *
 * Return: true on success.
 */
bool mgr_vm_key(const struct mgr *m, const uint8_t uuid[HANDOFF_UUID_LEN],
		uint8_t key[HANDOFF_KEY_LEN]);

/**
 * mgr_flush() - drop a VM's queues, counted "flushed".
 * @m: core.
 * @vm: VM.
 *
 * Return: frames dropped.
 */
unsigned int mgr_flush(struct mgr *m, struct mig_vm *vm);

/**
 * mgr_release() - release a VM's queues now to its known destination
 * (no hold time).
 * @m: core.
 * @vm: VM.
 * @error: set when frames are queued but no destination is known (no
 *         ACTIVATED: frames can only go to a QEMU that said where and
 *         under which key it accepts them).
 *
 * Return: frames that will be released, or -1 on error.
 */
int mgr_release(struct mgr *m, struct mig_vm *vm, GError **error);

/**
 * mgr_save_state() - write the registrations to cfg->state_file now if
 * they changed (atomically: a temporary file renamed over it).
 * @m: core.
 *
 * Return: true if written or nothing to write; false (logged, counted)
 * on an error.
 */
bool mgr_save_state(struct mgr *m);

/**
 * mgr_shutdown() - log what each VM still holds and count it dropped
 * ("shutdown").
 * @m: core.
 *
 * Return: total frames dropped.
 */
uint64_t mgr_shutdown(struct mgr *m);

#endif /* MIG_CORE_H */
