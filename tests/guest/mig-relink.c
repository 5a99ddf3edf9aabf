// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-relink - a new lease when the guest's link comes back, for the
 * cross-segment test (tests/e2e/segments.sh): after a move to another
 * segment the destination flaps the NIC's link (QMP set_link), and the
 * guest's DHCP client must ask the new segment's server at once, as a
 * network manager on a laptop does (busybox has no ifplugd).
 *
 *   mig-relink IFACE PIDFILE
 *
 * Every 50 ms it reads /sys/class/net/IFACE/carrier and carrier_changes
 * (so that a flap shorter than a stall of the guest is not missed); when
 * the link is up after it changed, it sends the udhcpc whose pid is in PIDFILE SIGUSR2 (release the
 * lease) and then SIGUSR1 (a new one: DISCOVER), restarts IPv6 on IFACE
 * (disable_ipv6 1, then 0: Linux keeps an IPv6 interface configured across
 * a carrier loss and would wait for the next unsolicited router
 * advertisement; restarted, it solicits one and takes the new prefix at
 * once), and prints "relink" on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(int argc, char **argv)
{
	const struct timespec period = { 0, 50 * 1000 * 1000 };
	char carrier[256], changes[256], v6[256];
	int last_n;

	if (argc != 3 || strlen(argv[1]) > 64) {
		fprintf(stderr, "usage: mig-relink IFACE PIDFILE\n");
		return 2;
	}
	snprintf(carrier, sizeof(carrier), "/sys/class/net/%s/carrier", argv[1]);
	snprintf(changes, sizeof(changes), "/sys/class/net/%s/carrier_changes", argv[1]);
	snprintf(v6, sizeof(v6), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", argv[1]);
	last_n = read_int(changes);
	for (;;) {
		int c = read_int(carrier), n = read_int(changes);

		if (c == 1 && n >= 0 && n != last_n) {
			int pid = read_int(argv[2]);

			if (pid <= 1 || kill(pid, SIGUSR2) || kill(pid, SIGUSR1))
				fprintf(stderr, "mig-relink: cannot signal udhcpc (pid %d): %s\n",
					pid, strerror(errno));
			else
				fprintf(stderr, "relink\n");
			write_str(v6, "1");
			write_str(v6, "0");
		}
		if (c == 1 && n >= 0)
			last_n = n;
		nanosleep(&period, NULL);
	}
}
