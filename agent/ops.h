/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops.h - what mig-agent does on request (docs/netstate.md §3): export,
 * import and delete a VM's state, announce it, push it to or pull it from another
 * agent with a one-time ticket, and the tickets themselves; and the VM's
 * network policy for provisioning (policy-export, policy-apply,
 * policy-commit, policy-remove: policy.h, docs/provisioning.md §3).
 *
 * A request is one JSON object {"op": ..., ...}; the answer one object
 * {"ok": true, ...} or {"ok": false, "error": "..."} (the policy ops add
 * a "code").  Who may ask what:
 * the manager (PSK identity "manager", the host key) anything; another
 * agent (identity "ticket:ID", the ticket's key) only the one operation
 * the manager's ticket allows, for the ticket's VM, once.
 */
#ifndef MIG_AGENT_OPS_H
#define MIG_AGENT_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "config.h"
#include "tlspsk.h"

struct agent;

/**
 * agent_new() - the agent's state (tickets, counters).
 * @c: configuration (borrowed; outlives the agent).
 *
 * Return: the agent.
 */
struct agent *agent_new(const struct agent_config *c);

/**
 * agent_free() - free it.
 * @a: the agent, or NULL.
 */
void agent_free(struct agent *a);

/**
 * agent_psk() - the key of a PSK identity (tlspsk_lookup_fn): "manager"
 * is the host key; "ticket:ID" a ticket's key, taken (a ticket opens one
 * session).
 * @identity: the identity.
 * @key: set to its key.
 * @data: the agent.
 *
 * Return: true if known.
 */
bool agent_psk(const char *identity, uint8_t key[TLSPSK_KEY_LEN], void *data);

/**
 * agent_handle() - answer one request of a session.
 * @a: the agent.
 * @identity: the session's PSK identity.
 * @request: the request (a JSON object as text).
 *
 * Return: the answer (a JSON object as text; g_free()).
 */
char *agent_handle(struct agent *a, const char *identity, const char *request);

#endif /* MIG_AGENT_OPS_H */
