/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlclient.h - client side of mig-manager's local control socket
 * (one JSON request per line, one JSON answer per line), used by migctl.
 */
#ifndef CTLCLIENT_H
#define CTLCLIENT_H

#include <json-glib/json-glib.h>

/* Exit status of migctl, and the return values of ctlclient_call(). */
enum {
	CTL_OK = 0,
	CTL_REFUSED = 1,	/* the daemon refused the request */
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,	/* no daemon, or no sensible answer */
};

#define CTL_DEFAULT_SOCKET "/run/mig-manager/control.sock"

/**
 * ctlclient_call() - send one request to mig-manager and read its answer
 * @sock:	path of the daemon's unix control socket
 * @request:	the request, a JSON object without a newline
 * @result:	set to the answer's "result" member (caller frees) on CTL_OK
 * @message:	set to an error message (caller frees) otherwise
 *
 * Return: CTL_OK, CTL_REFUSED (the daemon answered with ok=false) or
 * CTL_UNREACHABLE (cannot connect, no answer or a malformed one).
 */
int ctlclient_call(const char *sock, const char *request, JsonNode **result,
		   char **message);

/**
 * ctlclient_simple() - ctlclient_call() of {"cmd": CMD[, "vm": VM]}
 * @sock:	path of the daemon's unix control socket
 * @cmd:	command name (status, vms, show, ...)
 * @vm:		VM name or UUID, or NULL for commands without one
 * @result:	as for ctlclient_call()
 * @message:	as for ctlclient_call()
 *
 * Return: as ctlclient_call().
 */
int ctlclient_simple(const char *sock, const char *cmd, const char *vm,
		     JsonNode **result, char **message);

#endif /* CTLCLIENT_H */
