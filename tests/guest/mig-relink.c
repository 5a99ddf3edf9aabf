// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-relink - a new lease when the guest's link comes back, for the
 * cross-segment test (tests/e2e/segments.sh): after a move to another
 * segment the destination flaps the NIC's link (QMP set_link), and the
 * guest's DHCP client must ask the new segment's server at once, as a
 * network manager on a laptop does (busybox has no ifplugd).
 *
 *   mig-relink IFACE PIDFILE -- DHCP-CLIENT [ARG...]
 *
 * Every 50 ms it reads /sys/class/net/IFACE/carrier and carrier_changes
 * (so that a flap shorter than a stall of the guest is not missed).  When
 * the link is up after it changed, it stops the DHCP client whose pid is
 * in PIDFILE (SIGTERM, SIGKILL after 2 s) and starts a fresh one with the
 * command after "--" (a fresh client forgets the old segment's lease and
 * server and sends a DISCOVER at once; signalling a running busybox
 * udhcpc to release and renew loses the renewal now and then), restarts
 * IPv6 on IFACE (disable_ipv6 1, then 0: Linux keeps an IPv6 interface
 * configured across a carrier loss and would wait for the next
 * unsolicited router advertisement; restarted, it solicits one and takes
 * the new prefix at once), and prints "MIG-GUEST-RELINK ..." on standard
 * error, which the guest's /init points at the console.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_str(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fputs(v, f);
	fclose(f);
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* stop_client - SIGTERM the client in PIDFILE, SIGKILL if it lingers */
static int stop_client(const char *pidfile)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	int pid = read_int(pidfile), i;

	if (pid <= 1 || kill(pid, SIGTERM))
		return -1;
	for (i = 0; i < 40 && kill(pid, 0) == 0; i++)
		nanosleep(&tick, NULL);
	if (kill(pid, 0) == 0)
		kill(pid, SIGKILL);
	return pid;
}

static int start_client(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "MIG-GUEST-RELINK cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	const struct timespec period = { 0, 50 * 1000 * 1000 };
	char carrier[256], changes[256], v6[256];
	int last_n;

	if (argc < 5 || strcmp(argv[3], "--") || strlen(argv[1]) > 64) {
		fprintf(stderr, "usage: mig-relink IFACE PIDFILE -- DHCP-CLIENT [ARG...]\n");
		return 2;
	}
	/* the clients it starts are reaped by the kernel */
	signal(SIGCHLD, SIG_IGN);
	snprintf(carrier, sizeof(carrier), "/sys/class/net/%s/carrier", argv[1]);
	snprintf(changes, sizeof(changes), "/sys/class/net/%s/carrier_changes", argv[1]);
	snprintf(v6, sizeof(v6), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", argv[1]);
	last_n = read_int(changes);
	for (;;) {
		int c = read_int(carrier), n = read_int(changes);

		if (c == 1 && n >= 0 && n != last_n) {
			int old = stop_client(argv[2]);
			int pid = start_client(argv + 4);

			fprintf(stderr, "\nMIG-GUEST-RELINK carrier_changes=%d old-client=%d new-client=%d\n",
				n, old, pid);
			write_str(v6, "1");
			write_str(v6, "0");
		}
		if (c == 1 && n >= 0)
			last_n = n;
		nanosleep(&period, NULL);
	}
}
