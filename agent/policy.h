/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.h - a VM's network policy on this host, read from and written
 * to the kernel (the agent's side of provisioning): its ACL (nftables),
 * its rate limits (tc HTB shaping) and its tenant segment (a VXLAN
 * device on the VMs' bridge).  The manager exports it at the source,
 * applies it at the destination before the VM moves, commits it there
 * once the VM runs, and removes it at the source afterwards
 * (policy-export, policy-apply, policy-commit, policy-remove; ops.c).
 *
 * The kernel layout of a VM's policy on a host (the contract between
 * the hosts' agents; nothing else of the host is touched):
 *
 * VM names are 1 to 48 characters of [A-Za-z0-9_.-]; others are
 * refused.  MACs are six hex pairs separated by ':'.
 *
 * 1. ACL: the nftables table "bridge <policy-table>" (default
 *    mig_policy) with the base chain "forward" (type filter hook
 *    forward priority 0; policy accept), one regular chain "vm_<VM>"
 *    per VM holding the VM's rules, copied verbatim (whatever the
 *    operator put there), and in "forward" one rule "jump vm_<VM>"
 *    with the comment "mig-vm <VM>".  Export returns each rule's
 *    "expr" array (nft's JSON, counters with their values) and its
 *    "comment", without handle, table, chain or family; apply adds
 *    the table, the base chain, the VM's chain, its rules and the
 *    jump in one transaction (so counters carry over).  A policy
 *    without rules creates nothing in nftables.
 *
 * 2. Rate: per VM an HTB class 1:<minor> with "rate R ceil R" under a
 *    root "htb" qdisc of handle 1: (made with "tc qdisc replace dev D
 *    root handle 1: htb" when the root is not one, without a default
 *    class, so that unclassified traffic is not shaped), where
 *    minor = 0x100 + FNV-1a-32(VM) % 0xfe00, written in hex as tc
 *    does (policy_class_minor()).  Direction "out" (VM to tenant) on
 *    the segment's VXLAN device, one filter per MAC "protocol all pref
 *    <minor> u32 match ether src <MAC> flowid 1:<minor>"; direction
 *    "in" (tenant to VM) on the VM's port (its tap), "match ether dst
 *    <MAC>".  R is read back as the "ceil" tc prints ("2Mbit").  The
 *    "in" port is the one the request names, else the bridge port the
 *    fdb learnt the VM's MAC on, else (export, remove) the bridge port
 *    whose egress has the class.
 *
 * 3. Segment: a VXLAN device "mvx<VNI>" (VNI 1..16777215), "ip link add
 *    mvx<VNI> type vxlan id VNI remote REMOTE dstport PORT [local
 *    LOCAL]", a port of BRIDGE, up, with the alias "mig vms=VM1,VM2
 *    probe=IP": the VMs that use it and the tenant router's IPv4
 *    address on the segment (the probe's target; " probe=IP" is left
 *    out if there is none).  A VM's segment is the mvx* device whose
 *    alias lists it.  Several VMs may share one; it is deleted when
 *    the last one leaves.
 *
 * The four operations change the kernel one at a time (a lock of their
 * own: they do not take the agent's, so that a probe or policy_commit()'s
 * wait for the fdb never delays a network-state transfer); ip, tc and
 * bridge run from PATH with LC_ALL=C, every decision and undo is logged.
 */
#ifndef MIG_AGENT_POLICY_H
#define MIG_AGENT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"

#define POLICY_VM_MAX 48
#define POLICY_MINOR_BASE 0x100
#define POLICY_MINOR_SPAN 0xfe00
#define POLICY_VNI_MAX 16777215
#define POLICY_VXLAN_PORT 4789
#define POLICY_ALIAS_MAX 255    /* IFALIASZ - 1 */
#define POLICY_FDB_WAIT_MS 3000 /* policy_commit(): how long the port is looked for */
#define POLICY_FDB_STEP_MS 100

/**
 * enum policy_error - what kind of failure (the "code" of an answer).
 * @POLICY_ERR_INVALID: the request is wrong ("invalid").
 * @POLICY_ERR_CONFLICT: this host has something in the way ("conflict").
 * @POLICY_ERR_BANDWIDTH: the channel to the peer is too thin ("bandwidth").
 * @POLICY_ERR_PROBE: the tenant segment does not answer ("probe").
 * @POLICY_ERR_SYSTEM: a command or the kernel failed ("system").
 */
enum policy_error {
	POLICY_ERR_INVALID,
	POLICY_ERR_CONFLICT,
	POLICY_ERR_BANDWIDTH,
	POLICY_ERR_PROBE,
	POLICY_ERR_SYSTEM,
};

#define POLICY_ERROR policy_error_quark()

/**
 * policy_error_quark() - the GError domain of enum policy_error.
 *
 * Return: the quark.
 */
GQuark policy_error_quark(void);

/**
 * policy_error_code() - the "code" string of an error.
 * @error: an error of any domain (not NULL).
 *
 * Return: "invalid", "conflict", "bandwidth", "probe" or "system" (also
 * for an error of another domain); a static string.
 */
const char *policy_error_code(const GError *error);

/**
 * struct policy_req - what a policy request names.
 * @vm: the VM's name.
 * @macs: its MACs, NULL-terminated (may be empty but for apply and commit).
 * @port: the VM's port (tap) on this host, or NULL if none was named.
 * @policy: the policy ("vm", "acl", "rate", "segment"; apply and commit),
 *          or NULL.
 * @check: apply: the channel check ("peer", "min-bandwidth"), or NULL.
 */
struct policy_req {
	const char *vm;
	const char *const *macs;
	const char *port;
	JsonObject *policy;
	JsonObject *check;
};

/**
 * policy_export() - read the VM's policy on this host.
 * @c: configuration (policy-table).
 * @r: the request (@vm, @macs, @port).
 * @error: set on failure (the code is one of enum policy_error).
 *
 * A VM with nothing here has an empty "acl" and null "rate" directions
 * and "segment".
 *
 * Return: the answer's members {"policy": {"vm", "acl": [{"expr",
 * "comment"}], "rate": {"in", "out"}, "segment": {"vni", "remote",
 * "port", "bridge", "probe"} | null}, "stats": {"rules"}}, or NULL.
 */
JsonObject *policy_export(const struct agent_config *c, const struct policy_req *r,
			  GError **error);

/**
 * policy_apply() - write an exported policy here: validate, look for
 * conflicts, check the channel's bandwidth (@r->check), then the
 * nftables transaction, the segment, its probe, the tc classes.  On any
 * failure what was done is undone, in reverse order, so that nothing of
 * the VM remains.
 * @c: configuration (policy-table, max-rules).
 * @r: the request (@vm, @macs, @policy, @port, @check).
 * @error: set on failure.
 *
 * Without @r->port the "in" rate is deferred to policy_commit().
 *
 * Return: the answer's members {"applied": {"rules", "channel"
 * ("created", "joined" or "none"), "probe-ms", "capacity" (bytes/s or
 * null), "rate-in" ("applied", "deferred" or "none"), "rate-out"
 * ("applied" or "none")}}, or NULL.
 */
JsonObject *policy_apply(const struct agent_config *c, const struct policy_req *r,
			 GError **error);

/**
 * policy_commit() - once the VM runs here: add its "in" class and
 * filters on its port (@r->port, else the bridge port its MAC is
 * learnt on, looked for up to POLICY_FDB_WAIT_MS) if the policy has an
 * "in" rate not applied yet.  Nothing else changes.
 * @c: configuration.
 * @r: the request (@vm, @macs, @policy, @port).
 * @error: set on failure (POLICY_ERR_SYSTEM naming what is missing).
 *
 * Return: the answer's members {"rate-in": "applied" | "none"}, or NULL.
 */
JsonObject *policy_commit(const struct agent_config *c, const struct policy_req *r,
			  GError **error);

/**
 * policy_remove() - remove exactly the VM's policy here: its jump rule
 * and chain (one transaction), its classes and filters, its name from
 * its segment's alias and the segment's device if no VM is left on it.
 * Removing what is not there is not an error.
 * @c: configuration.
 * @r: the request (@vm, @macs, @port).
 * @error: set on failure.
 *
 * Return: the answer's members {"removed": {"rules", "channel"
 * ("deleted", "left" or "none"), "classes"}}, or NULL.
 */
JsonObject *policy_remove(const struct agent_config *c, const struct policy_req *r,
			  GError **error);

/* --- pure helpers (no kernel), for the above and the unit tests --------------- */

/**
 * policy_vm_valid() - check a VM name: 1 to POLICY_VM_MAX characters of
 * [A-Za-z0-9_.-].
 * @vm: the name (may be NULL).
 * @error: set (POLICY_ERR_INVALID) if it is not valid.
 *
 * Return: true if valid.
 */
bool policy_vm_valid(const char *vm, GError **error);

/**
 * policy_mac_valid() - check a MAC: six hex pairs separated by ':'.
 * @mac: the text (may be NULL).
 *
 * Return: true if valid.
 */
bool policy_mac_valid(const char *mac);

/**
 * policy_class_minor() - the minor of a VM's HTB classes (and the pref
 * of its filters): POLICY_MINOR_BASE + FNV-1a-32(@vm) % POLICY_MINOR_SPAN.
 * @vm: the VM's name.
 *
 * Return: 0x100..0xfeff, the same for the same name on every host.
 */
unsigned int policy_class_minor(const char *vm);

/**
 * policy_rate_bits() - check a rate as tc takes it and compute its value:
 * digits, an optional fraction, a unit bit, kbit, mbit, gbit or tbit
 * (also kibit etc., powers of 1024), case-insensitive ("2Mbit").
 * @rate: the text (may be NULL).
 * @bits: set to the rate in bit/s (may be NULL).
 *
 * Return: true if valid and not zero (at most 100 Tbit/s).
 */
bool policy_rate_bits(const char *rate, uint64_t *bits);

/**
 * policy_rate_valid() - policy_rate_bits() without the value.
 * @rate: the text (may be NULL).
 *
 * Return: true if valid.
 */
bool policy_rate_valid(const char *rate);

/**
 * policy_parse_class() - one line of "tc class show" for an HTB class,
 * "class htb 1:1a2b root prio 0 rate 2Mbit ceil 2Mbit burst ...".
 * @line: the line.
 * @minor: set to the class's minor (its major must be 1).
 * @rate: set to its rate as printed (g_free()), may be NULL.
 * @ceil: set to its ceil as printed (g_free()), may be NULL.
 *
 * Return: true if the line is such a class with a rate and a ceil.
 */
bool policy_parse_class(const char *line, unsigned int *minor, char **rate, char **ceil);

/**
 * policy_parse_qdisc_rate() - the rate of the root qdisc in the output of
 * "tc qdisc show dev D" ("qdisc tbf 8001: root refcnt 2 rate 32Mbit ...").
 * @text: the output.
 * @bits: set to the rate in bit/s.
 *
 * Return: true if the root qdisc has a rate.
 */
bool policy_parse_qdisc_rate(const char *text, uint64_t *bits);

/**
 * struct policy_alias - what a segment device's alias says.
 * @vms: the VMs on it, NULL-terminated.
 * @probe: the probe address, or NULL.
 */
struct policy_alias {
	char **vms;
	char *probe;
};

/**
 * policy_alias_parse() - read "mig vms=VM1,VM2 probe=IP".
 * @alias: the alias (may be NULL).
 * @a: filled in (policy_alias_clear()), also on failure.
 *
 * Return: true if it is an alias of the agent's ("mig ...", valid names).
 */
bool policy_alias_parse(const char *alias, struct policy_alias *a);

/**
 * policy_alias_format() - the alias of a segment device.
 * @vms: the VMs on it, NULL-terminated.
 * @probe: the probe address, or NULL.
 *
 * Return: "mig vms=VM1,VM2 probe=IP" (g_free()).
 */
char *policy_alias_format(const char *const *vms, const char *probe);

/**
 * policy_alias_clear() - free what @a holds.
 * @a: the alias.
 */
void policy_alias_clear(struct policy_alias *a);

/**
 * policy_acl_valid() - check the "acl" of a policy: an array of at most
 * @max objects, each with an "expr" array and at most a "comment" string
 * (up to 128 characters).
 * @acl: the member (NULL: no rules).
 * @max: most rules (max-rules).
 * @error: set (POLICY_ERR_INVALID) naming the first bad rule.
 *
 * Return: true if valid.
 */
bool policy_acl_valid(JsonNode *acl, unsigned int max, GError **error);

/**
 * policy_nft_apply_doc() - the nftables JSON document that writes a VM's
 * rules: add the table "bridge @table", its base chain "forward", the
 * chain "vm_@vm", one rule per element of @acl (its "expr" and
 * "comment" copied) and, with @jump, the rule "jump vm_@vm" commented
 * "mig-vm @vm" in "forward".
 * @table: the table (policy-table).
 * @vm: the VM.
 * @acl: the rules (checked by policy_acl_valid()), or NULL.
 * @jump: add the jump rule.
 *
 * Return: {"nftables": [...]} (json_node_unref()).
 */
JsonNode *policy_nft_apply_doc(const char *table, const char *vm, JsonArray *acl, bool jump);

#endif /* MIG_AGENT_POLICY_H */
