// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-sink - guest side of the migration network tests.
 *
 * UDP PORT: DATA datagrams are tracked (one active stream; a new stream_id
 * resets the tracker) and echoed to the sender as ECHO; STATS_REQ is
 * answered with a STATS_REPLY carrying the tracker's counters.
 * TCP PORT: every accepted connection gets its bytes echoed back.
 *
 * Single-threaded, poll() based, IPv4.
 */
#define _GNU_SOURCE /* accept4() */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "monotime.h"
#include "numarg.h"
#include "seqproto.h"
#include "seqtrack.h"

#define MAX_CONNS     32
#define CONN_BUF      65536
#define UDP_BUF       65536
#define UDP_BATCH     256 /* datagrams handled per poll() wake-up */
#define LOG_MALFORMED 5   /* malformed datagrams logged, then silent */
/* A handoff releases a stop window and the frames held behind it at once;
 * a virtio-net skb of a small datagram costs a few KiB of receive buffer */
#define RCVBUF_SIZE   (32 << 20)

/**
 * struct conn - one accepted TCP echo connection.
 * @fd: socket, -1 when the slot is free.
 * @len: bytes in @buf still to be written back.
 * @off: offset of the first unwritten byte in @buf.
 * @buf: data read but not yet echoed.
 */
struct conn {
	int fd;
	size_t len;
	size_t off;
	unsigned char buf[CONN_BUF];
};

/**
 * struct sink - state of the sink.
 * @quiet: suppress informational log lines.
 * @udp: UDP socket.
 * @listen_fd: TCP listening socket.
 * @conns: TCP connections.
 * @have_stream: a DATA datagram has been seen.
 * @stream_id: id of the active stream.
 * @track: tracker of the active stream.
 * @malformed: datagrams that failed to decode.
 * @unexpected: well-formed datagrams of a type a sink does not take.
 * @send_errors: failed sendto() of echoes and replies.
 */
struct sink {
	bool quiet;
	int udp;
	int listen_fd;
	struct conn conns[MAX_CONNS];
	bool have_stream;
	uint32_t stream_id;
	struct seqtrack track;
	uint64_t malformed;
	uint64_t unexpected;
	uint64_t send_errors;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-p PORT] [-q]\n"
		"Guest sink for the migration tests.\n"
		"  UDP PORT: tracks DATA datagrams, echoes them as ECHO,\n"
		"            answers STATS_REQ with STATS_REPLY.\n"
		"  TCP PORT: echoes bytes back on every connection.\n"
		"\n"
		"  -p, --port PORT  port for UDP and TCP (default %d)\n"
		"  -q, --quiet      log errors only\n"
		"  -h, --help       show this help\n",
		prog, SEQPROTO_DEFAULT_PORT);
}

static int open_socket(int type, uint16_t port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1;
	int bufsz = RCVBUF_SIZE;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/*
	 * Best effort: a big receive buffer rides out scheduling stalls at
	 * high datagram rates; FORCE (root only) ignores rmem_max.
	 */
	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz,
		       sizeof(bufsz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void send_to(struct sink *s, const void *buf, size_t len,
		    const struct sockaddr_in *to)
{
	if (sendto(s->udp, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		s->send_errors++;
}

static void handle_data(struct sink *s, unsigned char *buf, size_t len,
			const struct seqproto_hdr *h,
			const struct sockaddr_in *from)
{
	struct seqproto_hdr echo = *h;
	char addr[INET_ADDRSTRLEN];

	if (!s->have_stream || h->stream_id != s->stream_id) {
		seqtrack_reset(&s->track);
		s->have_stream = true;
		s->stream_id = h->stream_id;
		if (!s->quiet) {
			inet_ntop(AF_INET, &from->sin_addr, addr, sizeof(addr));
			fprintf(stderr, "mig-sink: new stream %u from %s:%u\n",
				h->stream_id, addr, ntohs(from->sin_port));
		}
	}
	seqtrack_add(&s->track, h->seq, mono_ns());

	/* Echo the whole datagram (padding included) with type ECHO. */
	echo.type = SEQPROTO_ECHO;
	seqproto_encode(&echo, NULL, buf, len);
	send_to(s, buf, len, from);
}

static void handle_stats_req(struct sink *s, const struct seqproto_hdr *h,
			     const struct sockaddr_in *from)
{
	unsigned char out[SEQPROTO_HDR_LEN + SEQPROTO_STATS_LEN];
	struct seqproto_hdr rh = {
		.type = SEQPROTO_STATS_REPLY,
		.stream_id = h->stream_id,
		.send_ns = h->send_ns,
	};
	struct seqproto_stats st = { 0 };
	int n;

	if (s->have_stream && h->stream_id == s->stream_id) {
		struct seqtrack_report r;

		seqtrack_report(&s->track, &r);
		st.received = r.received;
		st.unique = r.unique;
		st.duplicates = r.duplicates;
		st.reordered = r.reordered;
		st.lost = r.lost;
		st.max_seq = r.max_seq;
		st.max_gap_us = r.max_gap_ns / 1000;
		st.first_ns = r.first_ns;
		st.last_ns = r.last_ns;
	}
	n = seqproto_encode(&rh, &st, out, sizeof(out));
	if (n > 0)
		send_to(s, out, (size_t)n, from);
}

static void handle_udp(struct sink *s)
{
	static unsigned char buf[UDP_BUF];

	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct seqproto_hdr h;
		ssize_t n;
		int err;

		n = recvfrom(s->udp, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				fprintf(stderr, "mig-sink: UDP receive: %s\n",
					strerror(errno));
			return;
		}
		err = seqproto_decode(buf, (size_t)n, &h, NULL);
		if (err != SEQPROTO_OK) {
			if (++s->malformed <= LOG_MALFORMED && !s->quiet)
				fprintf(stderr,
					"mig-sink: malformed datagram (%zd bytes): %s%s\n",
					n, seqproto_strerror(err),
					s->malformed == LOG_MALFORMED ?
					" (not logging further ones)" : "");
			continue;
		}
		switch (h.type) {
		case SEQPROTO_DATA:
			handle_data(s, buf, (size_t)n, &h, &from);
			break;
		case SEQPROTO_STATS_REQ:
			handle_stats_req(s, &h, &from);
			break;
		default:
			s->unexpected++;
			break;
		}
	}
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->off = 0;
}

static void handle_accept(struct sink *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int slot = -1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				fprintf(stderr, "mig-sink: accept: %s\n",
					strerror(errno));
			return;
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			if (s->conns[i].fd < 0) {
				slot = i;
				break;
			}
		}
		if (slot < 0) {
			fprintf(stderr, "mig-sink: too many TCP connections (max %d), closing new one\n",
				MAX_CONNS);
			close(fd);
			continue;
		}
		s->conns[slot].fd = fd;
	}
}

/* Flush pending bytes; return -1 if the connection broke. */
static int conn_flush(struct conn *c)
{
	while (c->len > 0) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->off += (size_t)n;
		c->len -= (size_t)n;
	}
	c->off = 0;
	return 0;
}

static void handle_conn(struct conn *c, short revents)
{
	if ((revents & (POLLERR | POLLNVAL)) ||
	    ((revents & POLLHUP) && c->len > 0 && !(revents & POLLOUT))) {
		conn_close(c);
		return;
	}
	if ((revents & POLLOUT) && conn_flush(c) < 0) {
		conn_close(c);
		return;
	}
	if (c->len == 0 && (revents & (POLLIN | POLLHUP))) {
		ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN &&
			       errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n > 0) {
			c->len = (size_t)n;
			c->off = 0;
			if (conn_flush(c) < 0)
				conn_close(c);
		}
	}
}

static int run(struct sink *s)
{
	struct pollfd pfd[2 + MAX_CONNS];
	int idx[2 + MAX_CONNS];

	for (;;) {
		int n = 0;

		pfd[n++] = (struct pollfd){ .fd = s->udp, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = s->listen_fd,
					    .events = POLLIN };
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->fd < 0)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->len ? POLLOUT : POLLIN,
			};
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mig-sink: poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			handle_udp(s);
		if (pfd[1].revents)
			handle_accept(s);
		for (int i = 2; i < n; i++)
			if (pfd[i].revents)
				handle_conn(&s->conns[idx[i]], pfd[i].revents);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct sink s;
	uint64_t port = SEQPROTO_DEFAULT_PORT;
	int c;

	while ((c = getopt_long(argc, argv, "p:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (numarg_u64(optarg, 1, 65535, &port) < 0) {
				fprintf(stderr, "mig-sink: invalid port '%s' (expected 1-65535)\n",
					optarg);
				return 1;
			}
			break;
		case 'q':
			s.quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mig-sink: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr, argv[0]);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	seqtrack_init(&s.track);
	for (int i = 0; i < MAX_CONNS; i++)
		s.conns[i].fd = -1;

	s.udp = open_socket(SOCK_DGRAM, (uint16_t)port);
	if (s.udp < 0) {
		fprintf(stderr, "mig-sink: cannot bind UDP port %u: %s\n",
			(unsigned int)port, strerror(errno));
		return 1;
	}
	s.listen_fd = open_socket(SOCK_STREAM, (uint16_t)port);
	if (s.listen_fd < 0) {
		fprintf(stderr, "mig-sink: cannot listen on TCP port %u: %s\n",
			(unsigned int)port, strerror(errno));
		return 1;
	}
	if (!s.quiet)
		fprintf(stderr, "mig-sink: pid %d listening on UDP and TCP port %u\n",
			(int)getpid(), (unsigned int)port);
	return run(&s);
}
