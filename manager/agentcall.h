/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agentcall.h - one request of mig-manager to a device's mig-agent and its
 * answer, over TLS 1.3 with the device's pre-shared key (derived from the
 * manager's master key and the device's name; docs/netstate.md §4).
 * Blocking: for the worker threads of netstate.c and provision.c only.
 */
#ifndef MIG_AGENTCALL_H
#define MIG_AGENTCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core.h"
#include "topology.h"

/**
 * enum agent_call_error - how a request to an agent failed (the codes of
 * AGENT_CALL_ERROR).
 * @AGENT_CALL_UNREACHABLE: no session (connection, handshake, key, no or
 *                          a malformed answer).
 * @AGENT_CALL_REFUSED: the agent answered {"ok": false}; the message is
 *                      its "error" and agent_call()'s @code its "code".
 */
enum agent_call_error {
	AGENT_CALL_UNREACHABLE,
	AGENT_CALL_REFUSED,
};

#define AGENT_CALL_ERROR (agent_call_error_quark())
GQuark agent_call_error_quark(void);

/**
 * agent_call() - send @req to the agent of device @d, read its answer.
 * @m: the core (its master key).
 * @d: the device.
 * @timeout_ms: bound of the connection and of each read and write.
 * @req: the request (borrowed).
 * @p: parser that holds the answer (the returned object lives in it).
 * @rx: if not NULL, bytes received are added to it.
 * @code: if not NULL, the answer's "code" of a refusal ("" if none).
 * @code_len: size of @code.
 * @error: set on failure (AGENT_CALL_ERROR), prefixed "agent of DEVICE: ".
 *
 * Return: the answer (ok true), or NULL.
 */
JsonObject *agent_call(const struct mgr *m, const struct topo_device *d,
		       unsigned int timeout_ms, JsonObject *req, JsonParser *p,
		       uint64_t *rx, char *code, size_t code_len, GError **error);

#endif /* MIG_AGENTCALL_H */
