/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migctl.h - what migctl's commands share: global options, the command
 * table's row, exit statuses and the one way to report an error.
 *
 * A command returns its exit status.  Functions below a command return
 * false and a GError whose code is the exit status (domain MIGCTL_ERROR);
 * only the command prints it, with migctl_fail().
 */
#ifndef MIGCTL_H
#define MIGCTL_H

#include <stdbool.h>

#include <glib.h>

/* Exit status of migctl; also the codes of MIGCTL_ERROR. */
enum {
	MIGCTL_OK = 0,
	MIGCTL_REFUSED = 1,     /* refused or failed (unknown VM, ...) */
	MIGCTL_USAGE = 2,
	MIGCTL_UNREACHABLE = 3, /* no daemon, or no sensible answer */
	MIGCTL_DEST_REFUSED = 4, /* the destination refused the provisioning */
	MIGCTL_AGENT_UNREACHABLE = 5, /* a host's agent did not answer */
};

#define MIGCTL_ERROR (migctl_error_quark())
GQuark migctl_error_quark(void);

/**
 * struct migctl_opts - options before the command.
 * @sock: mig-manager's admin socket.
 * @json: print the daemon's JSON answer instead of text.
 */
struct migctl_opts {
	const char *sock;
	bool json;
};

/**
 * struct migctl_cmd - one row of migctl's command table.
 * @name: the command word.
 * @args: its arguments, for the usage text.
 * @help: one line of help.
 * @run: runs it with argv[0] the command word; returns the exit status.
 */
struct migctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(const struct migctl_opts *o, int argc, char **argv);
};

/**
 * migctl_fail() - print "migctl: MESSAGE" on stderr.
 * @error: the error.
 *
 * Return: @error's code, the exit status (MIGCTL_REFUSED if @error is
 * not of MIGCTL_ERROR).
 */
int migctl_fail(const GError *error);

/**
 * migctl_usage_error() - a usage error: "migctl: MESSAGE" and the usage
 * of @cmd on stderr.
 * @cmd: the command, or NULL for the general usage.
 * @fmt: printf format of the message.
 *
 * Return: MIGCTL_USAGE.
 */
int migctl_usage_error(const char *cmd, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

/**
 * migctl_warn() - a line "migctl: ..." on stderr (a problem that is not
 * the command's result).
 * @fmt: printf format.
 */
void migctl_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/**
 * migctl_note() - an informational line "migctl: ..." on stdout.
 * @fmt: printf format.
 */
void migctl_note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif /* MIGCTL_H */
