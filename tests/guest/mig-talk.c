// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-talk - flows the guest opens itself, for the network-state test
 * (tests/e2e/netstate.sh): the firewall in front of the VM learns them in
 * its connection table, and only they let the outside's packets in.
 *
 *   mig-talk HOST [TCP-PORT [UDP-PORT]]
 *
 * Every 20 ms it writes the line "tcp SEQ\n" on one TCP connection to
 * HOST:TCP-PORT (default 5001), opened once: if the connection fails it
 * says so on stderr and stops writing (the test sees the gap), and sends
 * the datagram "udp SEQ GOT" to HOST:UDP-PORT (default 5002), where GOT is
 * how many replies it has received so far: the other side learns, from
 * the guest's own count, whether its replies arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monotime.h"
#include "numarg.h"

#define PERIOD_NS (20 * UINT64_C(1000000))

static int open_sock(int type, const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		return -1;
	/* TCP: wait for the client namespace's listener, up to 60 s */
	for (int i = 0; connect(fd, (const struct sockaddr *)to, sizeof(*to)); i++) {
		if (type != SOCK_STREAM || i == 600) {
			close(fd);
			return -1;
		}
		close(fd);
		usleep(100000);
		fd = socket(AF_INET, type, 0);
		if (fd < 0)
			return -1;
	}
	return fd;
}

/* Count the replies that arrived, without blocking. */
static void read_replies(int fd, uint64_t *got)
{
	char buf[256];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		(*got)++;
}

int main(int argc, char **argv)
{
	struct sockaddr_in tcp = { .sin_family = AF_INET }, udp;
	uint64_t tport = 5001, uport = 5002, seq = 0, got = 0, next;
	int t, u;

	if (argc < 2 || argc > 4 || inet_pton(AF_INET, argv[1], &tcp.sin_addr) != 1 ||
	    (argc > 2 && numarg_u64(argv[2], 1, 65535, &tport)) ||
	    (argc > 3 && numarg_u64(argv[3], 1, 65535, &uport))) {
		fprintf(stderr, "Usage: mig-talk HOST [TCP-PORT [UDP-PORT]]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	udp = tcp;
	tcp.sin_port = htons((uint16_t)tport);
	udp.sin_port = htons((uint16_t)uport);
	t = open_sock(SOCK_STREAM, &tcp);
	u = open_sock(SOCK_DGRAM, &udp);
	if (t < 0 || u < 0) {
		fprintf(stderr, "mig-talk: cannot reach %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(stderr, "mig-talk: talking to %s tcp %u udp %u\n", argv[1],
		(unsigned int)tport, (unsigned int)uport);
	next = mono_ns();
	for (;;) {
		char line[64];
		int n;

		seq++;
		read_replies(u, &got);
		n = snprintf(line, sizeof(line), "udp %llu %llu", (unsigned long long)seq,
			     (unsigned long long)got);
		if (send(u, line, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
			fprintf(stderr, "mig-talk: udp: %s\n", strerror(errno));
		n = snprintf(line, sizeof(line), "tcp %llu\n", (unsigned long long)seq);
		if (t >= 0 && write(t, line, (size_t)n) != n) {
			fprintf(stderr, "mig-talk: tcp connection lost at %llu: %s\n",
				(unsigned long long)seq, strerror(errno));
			close(t);
			t = -1;
		}
		next += PERIOD_NS;
		/* one clock read per step: a second one may already be past
		 * @next, and next - now would wrap into a sleep of an hour */
		for (uint64_t now = mono_ns(); now < next; now = mono_ns())
			usleep((useconds_t)((next - now) / 1000 + 1));
	}
}
