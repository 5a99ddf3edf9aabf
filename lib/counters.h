/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * counters.h - the migration manager's counters, defined once.
 *
 * Every counter is one row of MIG_COUNTERS: the daemon keeps them in
 * arrays indexed by enum mig_counter, its admin socket reports them as
 * JSON under the row's name, /metrics exports them under the row's
 * metric (and label), and migctl prints them from the same rows.  Drop
 * reasons are counters too: MIG_DROP_REASONS, exported as
 * mig_manager_drops_total{reason=NAME}.
 *
 * MIG_COUNTERS(X) calls X(id, name, scope, metric, label, group, text,
 * help):
 *   id     enum mig_counter suffix (CTR_<id>)
 *   name   JSON member, in "counters" of migctl status (global) or of
 *          migctl show (per VM)
 *   scope  CTR_GLOBAL, CTR_VM or CTR_BOTH
 *   metric Prometheus name after "mig_manager_" (per VM: "mig_manager_vm_"),
 *          NULL for none; rows may share a metric and differ in label
 *   label  Prometheus label of the row, e.g. "type=\"ACK\"", or NULL
 *   group  the line migctl prints it on ("frames", "control", ...)
 *   text   its word on that line
 *   help   HELP text of the metric (the first row of a metric gives it)
 */
#ifndef MIG_COUNTERS_H
#define MIG_COUNTERS_H

#include <stdint.h>

#define CTR_GLOBAL 1
#define CTR_VM     2
#define CTR_BOTH   3

#define MIG_COUNTERS(X) \
	X(DATA_DATAGRAMS, "data-datagrams", CTR_GLOBAL, "data_datagrams_total", NULL, \
	  "frames", "datagrams", "Datagrams received on the data socket.") \
	X(FRAMES_BUFFERED, "frames-buffered", CTR_BOTH, "frames_buffered_total", NULL, \
	  "frames", "buffered", "Frames accepted into a VM queue.") \
	X(BYTES_BUFFERED, "bytes-buffered", CTR_VM, "bytes_buffered_total", NULL, \
	  "bytes", "buffered", "Frame bytes accepted into a VM queue.") \
	X(FRAMES_RELEASED, "frames-released", CTR_BOTH, "frames_released_total", NULL, \
	  "frames", "released", "Frames released to a destination.") \
	X(BYTES_RELEASED, "bytes-released", CTR_VM, "bytes_released_total", NULL, \
	  "bytes", "released", "Frame bytes released to a destination.") \
	X(FRAMES_RETURNED, "frames-returned", CTR_BOTH, "frames_returned_total", NULL, \
	  "frames", "returned", "Frames returned to the source after ABORTED.") \
	X(FRAMES_REWRITTEN, "frames-rewritten", CTR_BOTH, "frames_rewritten_total", NULL, \
	  "frames", "rewritten", "Frames rewritten for a cross-segment destination.") \
	X(FRAMES_REORDERED, "frames-reordered", CTR_BOTH, "frames_reordered_total", NULL, \
	  "frames", "reordered", "Authentic frames that arrived after a later one of their flow.") \
	X(FRAMES_LOST_IN_TRANSIT, "frames-lost-in-transit", CTR_BOTH, "frames_lost_in_transit_total", NULL, \
	  "frames", "lost-in-transit", "Frames the source said it sent (END) that never arrived.") \
	X(CONTROL_MESSAGES, "control-messages", CTR_VM, "control_messages_total", NULL, \
	  "control", "messages", "Authentic new control messages.") \
	X(SUSPENDING, "suspending", CTR_GLOBAL, "control_messages_total", "type=\"SUSPENDING\"", \
	  "control", "suspending", "Authentic new control messages, by type.") \
	X(ACTIVATED, "activated", CTR_GLOBAL, "control_messages_total", "type=\"ACTIVATED\"", \
	  "control", "activated", NULL) \
	X(ABORTED, "aborted", CTR_GLOBAL, "control_messages_total", "type=\"ABORTED\"", \
	  "control", "aborted", NULL) \
	X(ACKS_RECEIVED, "acks-received", CTR_GLOBAL, "control_messages_total", "type=\"ACK\"", \
	  "control", "acks", NULL) \
	X(DRAINED_RECEIVED, "drained-received", CTR_GLOBAL, "control_messages_total", "type=\"DRAINED\"", \
	  "control", "drained", NULL) \
	X(ENDS, "ends", CTR_BOTH, "control_ends_total", NULL, \
	  "control", "ends", "END messages: the source said how many frames it sent.") \
	X(DUPLICATES, "duplicates", CTR_BOTH, "control_duplicates_total", NULL, \
	  "control", "duplicates", "Duplicate control messages re-acknowledged.") \
	X(BAD_STATE, "bad-state", CTR_VM, "bad_state_total", NULL, \
	  "control", "bad-state", "Control messages acknowledged with bad-state.") \
	X(MIGRATIONS, "migrations", CTR_VM, "migrations_total", NULL, \
	  "control", "migrations", "Windows opened (SUSPENDING or a redirect peer).") \
	X(ACKS_OK, "acks-ok", CTR_GLOBAL, "acks_sent_total", "status=\"ok\"", \
	  "acks", "ok", "ACKs sent, by status.") \
	X(ACKS_UNKNOWN_VM, "acks-unknown-vm", CTR_GLOBAL, "acks_sent_total", "status=\"unknown-vm\"", \
	  "acks", "unknown-vm", NULL) \
	X(ACKS_BAD_STATE, "acks-bad-state", CTR_GLOBAL, "acks_sent_total", "status=\"bad-state\"", \
	  "acks", "bad-state", NULL) \
	X(ACKS_CONFLICT, "acks-conflict", CTR_GLOBAL, "acks_sent_total", "status=\"conflict\"", \
	  "acks", "conflict", NULL) \
	X(ACKS_BUSY, "acks-busy", CTR_GLOBAL, "acks_sent_total", "status=\"busy\"", \
	  "acks", "busy", NULL) \
	X(DRAINED_SENT, "drained-sent", CTR_GLOBAL, "drained_total", "event=\"sent\"", \
	  "drained", "sent", "DRAINED messages, by outcome.") \
	X(DRAINED_RETRANSMITS, "drained-retransmits", CTR_GLOBAL, "drained_total", "event=\"retransmitted\"", \
	  "drained", "retransmitted", NULL) \
	X(DRAINED_ACKED, "drained-acked", CTR_GLOBAL, "drained_total", "event=\"acked\"", \
	  "drained", "acked", NULL) \
	X(DRAINED_GAVE_UP, "drained-gave-up", CTR_GLOBAL, "drained_total", "event=\"gave-up\"", \
	  "drained", "gave-up", NULL) \
	X(SEND_ERRORS, "send-errors", CTR_GLOBAL, "send_errors_total", NULL, \
	  "errors", "send", "Datagrams the kernel refused to send.") \
	X(EXPIRED_WINDOWS, "expired-windows", CTR_GLOBAL, "expired_windows_total", NULL, \
	  "errors", "expired-windows", "Windows closed by expire-ms.") \
	X(DRAINED_BY_END, "drained-by-end", CTR_GLOBAL, "drained_reason_total", "reason=\"end\"", \
	  "drained", "by-end", "Why DRAINED was sent: the END count arrived, or the fallback.") \
	X(DRAINED_BY_FALLBACK, "drained-by-fallback", CTR_GLOBAL, "drained_reason_total", "reason=\"fallback\"", \
	  "drained", "by-fallback", NULL) \
	X(VMS_FORGOTTEN, "vms-forgotten", CTR_GLOBAL, "vms_forgotten_total", NULL, \
	  "table", "forgotten", "VM entries removed (forget-after-s, migctl forget).") \
	X(VMS_REFUSED, "vms-refused", CTR_GLOBAL, "vms_refused_total", NULL, \
	  "table", "refused", "New VMs refused: max-vms or memory-cap reached.") \
	X(STATE_SAVES, "state-saves", CTR_GLOBAL, "state_saves_total", "result=\"ok\"", \
	  "table", "state-saves", "Writes of the registrations to state-file, by result.") \
	X(STATE_SAVE_ERRORS, "state-save-errors", CTR_GLOBAL, "state_saves_total", "result=\"error\"", \
	  "table", "state-save-errors", NULL) \
	X(NETSTATE_TRANSFERS, "netstate-transfers", CTR_BOTH, "netstate_transfers_total", "result=\"ok\"", \
	  "netstate", "transfers", "Network-state transfers (conntrack, bindings, counters) by result.") \
	X(NETSTATE_FAILURES, "netstate-failures", CTR_BOTH, "netstate_transfers_total", "result=\"failed\"", \
	  "netstate", "failures", NULL) \
	X(NETSTATE_TIMEOUTS, "netstate-timeouts", CTR_BOTH, "netstate_timeouts_total", NULL, \
	  "netstate", "timeouts", "DRAINED sent without the network state after netstate-wait-ms.") \
	X(NETSTATE_ENTRIES, "netstate-entries", CTR_BOTH, "netstate_entries_total", NULL, \
	  "netstate", "entries", "Conntrack entries moved.") \
	X(NETSTATE_BINDINGS, "netstate-bindings", CTR_BOTH, "netstate_bindings_total", NULL, \
	  "netstate", "bindings", "DHCP-snooping bindings moved.") \
	X(NETSTATE_COUNTERS, "netstate-counters", CTR_BOTH, "netstate_counters_total", NULL, \
	  "netstate", "counters", "Per-VM counter pairs moved.") \
	X(NETSTATE_BYTES, "netstate-bytes", CTR_BOTH, "netstate_bytes_total", NULL, \
	  "netstate", "bytes", "Bytes of network state moved between hosts.") \
	X(PROVISION_PREPARED, "provision-prepared", CTR_BOTH, "provision_total", "result=\"prepared\"", \
	  "provision", "prepared", "Provisioning at the destination (docs/provisioning.md), by result: policy and channel in place before the migration.") \
	X(PROVISION_REFUSED, "provision-refused", CTR_BOTH, "provision_total", "result=\"refused\"", \
	  "provision", "refused", NULL) \
	X(PROVISION_UNREACHABLE, "provision-unreachable", CTR_BOTH, "provision_total", "result=\"unreachable\"", \
	  "provision", "unreachable", NULL) \
	X(PROVISION_COMMITTED, "provision-committed", CTR_BOTH, "provision_total", "result=\"committed\"", \
	  "provision", "committed", NULL) \
	X(PROVISION_ABORTED, "provision-aborted", CTR_BOTH, "provision_total", "result=\"aborted\"", \
	  "provision", "aborted", NULL) \
	X(PROVISION_FAILED, "provision-failed", CTR_BOTH, "provision_total", "result=\"failed\"", \
	  "provision", "failed", "A commit or an abort that did not complete (migctl show says what is left).") \
	X(ADDRESS_LEARNED, "address-learned", CTR_BOTH, "address_checks_total", "result=\"learned\"", \
	  "address", "learned", "Checks of a VM's new address at the destination after ACTIVATED (docs/services.md), by result: learned (from its DHCP-snooping binding) and answered, confirmed (the registered --new-ip answered), timeout (address-wait-ms passed), failed (no agent could be asked).") \
	X(ADDRESS_CONFIRMED, "address-confirmed", CTR_BOTH, "address_checks_total", "result=\"confirmed\"", \
	  "address", "confirmed", NULL) \
	X(ADDRESS_TIMEOUTS, "address-timeouts", CTR_BOTH, "address_checks_total", "result=\"timeout\"", \
	  "address", "timeouts", NULL) \
	X(ADDRESS_FAILED, "address-failed", CTR_BOTH, "address_checks_total", "result=\"failed\"", \
	  "address", "failed", NULL) \
	X(SERVICE_MOVED, "service-moved", CTR_BOTH, "services_moved_total", NULL, \
	  "services", "moved", "Services whose inventory row got their VM's new address after ACTIVATED and the address check (docs/services.md).") \
	X(DNS_UPDATED, "dns-updated", CTR_BOTH, "dns_updates_total", "result=\"ok\"", \
	  "services", "dns-updated", "DNS updates (RFC 2136, TSIG) of the services' names, by result.") \
	X(DNS_RETRIED, "dns-retried", CTR_BOTH, "dns_updates_total", "result=\"retry\"", \
	  "services", "dns-retried", NULL) \
	X(DNS_AUTH_FAILED, "dns-auth-failed", CTR_BOTH, "dns_updates_total", "result=\"auth\"", \
	  "services", "dns-auth-failed", NULL) \
	X(DNS_REFUSED, "dns-refused", CTR_BOTH, "dns_updates_total", "result=\"refused\"", \
	  "services", "dns-refused", NULL) \
	X(DNS_GAVE_UP, "dns-gave-up", CTR_BOTH, "dns_updates_total", "result=\"gave-up\"", \
	  "services", "dns-gave-up", NULL) \
	X(ADMIN_REFUSED, "admin-refused", CTR_GLOBAL, "connections_refused_total", "socket=\"admin\"", \
	  "errors", "admin-refused", "Connections closed at once: max-connections reached.") \
	X(METRICS_REFUSED, "metrics-refused", CTR_GLOBAL, "connections_refused_total", "socket=\"metrics\"", \
	  "errors", "metrics-refused", NULL)

/*
 * MIG_DROP_REASONS(X) calls X(id, name, help): why a datagram or frame
 * was dropped; every drop is counted under exactly one (globally, and per
 * VM when the VM is known).
 */
#define MIG_DROP_REASONS(X) \
	X(BUFFER_FULL, "buffer-full", "per-VM packet or byte cap") \
	X(MEMORY_CAP, "memory-cap", "global memory cap") \
	X(EXPIRED, "expired", "older than max-age-ms, or no ACTIVATED in time") \
	X(UNKNOWN_VNI, "unknown-vni", "no VM with that VNI") \
	X(UNKNOWN_PEER, "unknown-peer", "not from the flow's endpoint (exact address and port)") \
	X(WINDOW_CLOSED, "window-closed", "the VM's window is not open") \
	X(SHORT, "short", "data: no header or inner frame < 14 bytes") \
	X(NOT_GENEVE, "not-geneve", "data: not the Geneve header of the protocol") \
	X(NO_AUTH, "no-auth-option", "data: no authentication option") \
	X(FRAME_AUTH, "frame-auth-failure", "data: MAC mismatch (forged, altered, other key)") \
	X(REPLAYED, "replayed", "data: a sequence number seen before") \
	X(TOO_OLD, "too-old", "data: a sequence number older than the anti-replay window") \
	X(OVERSIZE, "oversize", "data: frame too large to send on") \
	X(NO_DESTINATION, "no-destination", "release requested, destination unknown") \
	X(SEND_ERROR, "send-error", "sending failed for good") \
	X(FLUSHED, "flushed", "migctl flush") \
	X(SUPERSEDED, "superseded", "still buffered when a new migration's SUSPENDING replaced the window") \
	X(SHUTDOWN, "shutdown", "still buffered at exit") \
	X(OUTBOX_FULL, "outbox-full", "an ACK or DRAINED that found the outbox full") \
	X(TOO_LONG, "too-long", "control: datagram over 1400 bytes") \
	X(MALFORMED, "malformed", "control: bad TLVs or size") \
	X(BAD_MAGIC, "bad-magic", "control: not the protocol's magic") \
	X(BAD_VERSION, "bad-version", "control: unknown protocol version") \
	X(AUTH_FAILURE, "auth-failure", "control: HMAC mismatch") \
	X(BAD_TYPE, "bad-type", "control: authentic, unknown type") \
	X(MISSING_FIELD, "missing-field", "control: required TLV absent") \
	X(UNSPECIFIED, "unspecified-endpoint", "control: an endpoint without address or port") \
	X(ENDPOINT_MISMATCH, "endpoint-mismatch", "control: not sent from the CONTROL_ENDPOINT it names") \
	X(STALE, "stale", "control: timestamp outside the tolerance") \
	X(UNEXPECTED, "unexpected-type", "control: a type the manager never receives")

#define MIG_CTR_ENUM(id, ...) CTR_##id,
/** enum mig_counter - index of a counter (a row of MIG_COUNTERS). */
enum mig_counter {
	MIG_COUNTERS(MIG_CTR_ENUM)
	CTR_N
};

#define MIG_DROP_ENUM(id, ...) DROP_##id,
/** enum drop_reason - index of a drop reason (a row of MIG_DROP_REASONS). */
enum drop_reason {
	MIG_DROP_REASONS(MIG_DROP_ENUM)
	DROP_N_REASONS
};

/* Per-VM JSON member: the sum of the VM's drops, all reasons. */
#define MIG_VM_FRAMES_DROPPED "frames-dropped"

/**
 * struct mig_counter_info - one row of MIG_COUNTERS.
 * @name: JSON member.
 * @scope: CTR_GLOBAL, CTR_VM or CTR_BOTH.
 * @metric: Prometheus name after the prefix, or NULL.
 * @label: Prometheus label, or NULL.
 * @group: migctl's line.
 * @text: migctl's word.
 * @help: HELP text, or NULL when an earlier row of the metric has it.
 */
struct mig_counter_info {
	const char *name;
	int scope;
	const char *metric;
	const char *label;
	const char *group;
	const char *text;
	const char *help;
};

/**
 * mig_counter_info() - the row of a counter.
 * @c: counter, < CTR_N.
 *
 * Return: static row.
 */
const struct mig_counter_info *mig_counter_info(enum mig_counter c);

/**
 * drop_reason_name() - counter name of a drop reason.
 * @r: reason.
 *
 * Return: a static string such as "buffer-full", or "unknown".
 */
const char *drop_reason_name(enum drop_reason r);

#endif /* MIG_COUNTERS_H */
