// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virsh.c - virsh migrate as migctl's child: its arguments, its output
 * (through migctl, so that a governor row never lands in the middle of
 * virsh's "\rMigration: [ 26 %]" progress line), and cancelling (Ctrl-C
 * reaches virsh, which cancels the job; SIGTERM to migctl cancels
 * libvirt's job, and virsh then fails).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <libvirt/virterror.h>

#include "migrate-internal.h"

/* Written by the SIGTERM handler, read by virsh_run()'s poll loop. */
static int cancel_pipe[2] = { -1, -1 };

static void cancel_virsh(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(cancel_pipe[1], "x", 1) < 0) {
		/* nothing to do in a signal handler */
	}
	errno = saved;
}

/* SIGTERM during the migration: cancel libvirt's job; virsh then fails. */
static void cancel_job(struct migrate *l)
{
	migctl_note("SIGTERM: cancelling the migration of '%s'", l->domain);
	if (virDomainAbortJob(l->dom) < 0)
		migctl_warn("cancelling the migration: %s",
			    virGetLastErrorMessage());
}

/* Copy what virsh wrote on @fd to @to; false at its end. */
static bool forward(struct migrate *l, int fd, FILE *to)
{
	char buf[4096];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	g_mutex_lock(&l->lock);
	fflush(to == stdout ? stderr : stdout);
	fwrite(buf, 1, (size_t)n, to);
	fflush(to);
	l->midline = buf[n - 1] != '\n';
	g_mutex_unlock(&l->lock);
	return true;
}

static GPtrArray *virsh_argv(struct migrate *l)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, "virsh");
	if (l->connect) {
		g_ptr_array_add(argv, "-c");
		g_ptr_array_add(argv, (char *)l->connect);
	}
	g_ptr_array_add(argv, "migrate");
	for (unsigned int i = 0; i < l->virsh->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(l->virsh, i));
	g_ptr_array_add(argv, "--domain");
	g_ptr_array_add(argv, (char *)l->domain);
	g_ptr_array_add(argv, "--desturi");
	g_ptr_array_add(argv, (char *)l->desturi);
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* Forward virsh's stdout (@fds[0]) and stderr (@fds[1]) until both end;
 * a byte on @fds[2] (the SIGTERM pipe) cancels the job. */
static void pump(struct migrate *l, struct pollfd fds[3])
{
	fds[0].events = fds[1].events = fds[2].events = POLLIN;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !forward(l, fds[i].fd, i ? stderr : stdout)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
			char c;

			if (read(fds[2].fd, &c, 1) == 1)
				cancel_job(l);
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
}

/* virsh's exit status (1 if it was killed). */
static int wait_virsh(GPid pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			migctl_warn("waiting for virsh: %s", g_strerror(errno));
			status = 1 << 8;
			break;
		}
	g_spawn_close_pid(pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	migctl_warn("virsh was killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 1;
}

int virsh_run(struct migrate *l)
{
	g_autoptr(GPtrArray) argv = virsh_argv(l);
	g_autoptr(GError) err = NULL;
	g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term;
	struct sigaction cancel = { .sa_handler = cancel_virsh };
	struct pollfd fds[3];
	GPid pid;
	int rc;

	migctl_note("running %s", cmd);
	if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				      G_SPAWN_CHILD_INHERITS_STDIN,
				      NULL, NULL, &pid, NULL, &fds[0].fd, &fds[1].fd,
				      &err)) {
		migctl_warn("cannot run virsh: %s", err->message);
		return 1;
	}
	/* Ctrl-C reaches virsh too, which cancels the migration and exits;
	 * SIGTERM cancels libvirt's job, virsh fails.  Either way migctl
	 * waits for virsh, reports and cleans up. */
	if (!g_unix_open_pipe(cancel_pipe, FD_CLOEXEC, NULL))
		cancel_pipe[0] = cancel_pipe[1] = -1;
	sigaction(SIGINT, &ign, &old_int);
	if (cancel_pipe[1] >= 0)
		sigaction(SIGTERM, &cancel, &old_term);
	fds[2].fd = cancel_pipe[0];
	pump(l, fds);
	rc = wait_virsh(pid);
	sigaction(SIGINT, &old_int, NULL);
	if (cancel_pipe[1] >= 0) {
		sigaction(SIGTERM, &old_term, NULL);
		close(cancel_pipe[0]);
		close(cancel_pipe[1]);
		cancel_pipe[0] = cancel_pipe[1] = -1;
	}
	if (l->midline)
		fprintf(stderr, "\n");
	l->midline = false;
	return rc;
}
