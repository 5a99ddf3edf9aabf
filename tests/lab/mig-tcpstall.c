// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-tcpstall - TCP continuity probe of the migration benchmarks.
 *
 * Connects to the guest's mig-sink TCP echo, writes fixed-size records at
 * a paced rate and reads the echo back. Reports the bytes sent and echoed
 * and the longest stall: the longest time during which data was
 * outstanding and no echoed byte arrived. A live migration shows up as
 * one stall of about its downtime plus retransmission timeouts.
 *
 * Exit status: 0 run completed, 1 usage or connection error, 2 the echo
 * did not return every byte within the grace period.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monotime.h"
#include "numarg.h"
#include "seqproto.h"

#define RECORD_LEN  64
#define GRACE_NS    (5ULL * 1000000000ULL)   /* wait for the last echoes */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s -d IP[:PORT] [-r RECORDS_PER_S] [-t SECONDS] [--json]\n"
		"Write %d-byte records to a mig-sink TCP echo at a paced rate, read\n"
		"the echo, report the longest stall. SIGTERM ends sending early.\n"
		"\n"
		"  -d, --dest IP[:PORT]  echo address (port default %d)\n"
		"  -r, --rate N          records per second (default 1000)\n"
		"  -t, --time SECONDS    sending duration (default 10)\n"
		"      --json            one JSON object instead of the text line\n"
		"\n"
		"Output: sent_bytes= echoed_bytes= longest_stall_ms= stall_at_ms=\n"
		"Exit: 0 completed, 1 usage/connection error, 2 echo incomplete.\n",
		prog, RECORD_LEN, SEQPROTO_DEFAULT_PORT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(SEQPROTO_DEFAULT_PORT) };
	uint64_t rate = 1000, sent = 0, echoed = 0, stall = 0, stall_at = 0;
	uint64_t t0, next, end, last_rx, now;
	double seconds = 10;
	bool json = false, have_dest = false, sending = true;
	unsigned char rec[RECORD_LEN], buf[65536];
	int c, fd, one = 1;

	while ((c = getopt_long(argc, argv, "d:r:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': {
			char host[INET_ADDRSTRLEN];
			const char *colon = strrchr(optarg, ':');
			size_t hlen = colon ? (size_t)(colon - optarg) : strlen(optarg);
			uint64_t port;

			if (hlen == 0 || hlen >= sizeof(host))
				goto bad;
			memcpy(host, optarg, hlen);
			host[hlen] = '\0';
			if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
				goto bad;
			if (colon) {
				if (numarg_u64(colon + 1, 1, 65535, &port))
					goto bad;
				sa.sin_port = htons((uint16_t)port);
			}
			have_dest = true;
			break;
		}
		case 'r':
			if (numarg_u64(optarg, 1, 1000000, &rate))
				goto bad;
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			if (!(seconds > 0 && seconds <= 3600))
				goto bad;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 1;
		}
	}
	if (!have_dest || optind != argc) {
		usage(stderr, argv[0]);
		return 1;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "mig-tcpstall: cannot connect to %s:%u: %s\n",
			inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), strerror(errno));
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(rec, 'm', sizeof(rec));

	t0 = mono_ns();
	next = t0;
	end = t0 + (uint64_t)(seconds * 1e9);
	last_rx = t0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int timeout_ms;
		ssize_t n;

		now = mono_ns();
		if (sending && (interrupted || now >= end)) {
			sending = false;
			end = now + GRACE_NS;
		}
		if (!sending && (echoed >= sent || now >= end))
			break;
		while (sending && now >= next) {
			/* a full socket buffer is part of the stall, not an error */
			n = send(fd, rec, sizeof(rec), MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "mig-tcpstall: send: %s\n", strerror(errno));
				return 1;
			}
			if (n < 0)
				break;
			if (echoed == sent)
				last_rx = now;	/* nothing was outstanding until now */
			sent += (uint64_t)n;
			next += 1000000000ULL / rate;
		}
		timeout_ms = sending ? (int)((next > now ? next - now : 0) / 1000000) + 1 : 50;
		if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) {
			fprintf(stderr, "mig-tcpstall: poll: %s\n", strerror(errno));
			return 1;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) {
			fprintf(stderr, "mig-tcpstall: the echo closed the connection\n");
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "mig-tcpstall: recv: %s\n", strerror(errno));
			return 1;
		}
		now = mono_ns();
		if (now - last_rx > stall) {
			stall = now - last_rx;
			stall_at = last_rx - t0;
		}
		last_rx = now;
		echoed += (uint64_t)n;
	}
	if (json)
		printf("{\"sent_bytes\": %llu, \"echoed_bytes\": %llu, "
		       "\"longest_stall_ms\": %.1f, \"stall_at_ms\": %.1f}\n",
		       (unsigned long long)sent, (unsigned long long)echoed,
		       stall / 1e6, stall_at / 1e6);
	else
		printf("sent_bytes=%llu echoed_bytes=%llu longest_stall_ms=%.1f stall_at_ms=%.1f\n",
		       (unsigned long long)sent, (unsigned long long)echoed,
		       stall / 1e6, stall_at / 1e6);
	close(fd);
	return echoed >= sent ? 0 : 2;
bad:
	fprintf(stderr, "mig-tcpstall: bad value '%s' for -%c\n", optarg, c);
	return 1;
}
