// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-stream - host side of the migration network tests.
 *
 * Sends numbered DATA datagrams to a guest's mig-sink at a paced rate,
 * tracks the ECHO datagrams that come back, then asks the sink for its
 * counters (STATS_REQ) and prints one summary line (or one JSON object).
 *
 * With -n NAME the sink is found by name (getaddrinfo, so the resolver
 * of /etc/resolv.conf), again every --resolve-ms on a thread of its own:
 * when the name points elsewhere the stream follows it, and the summary
 * says how many datagrams went to each address (the cross-segment test).
 *
 * Exit status: 0 run completed (losses or not), 1 usage or socket error,
 * 2 the sink's counters could not be obtained.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "numarg.h"
#include "seqproto.h"
#include "seqtrack.h"

#define MSEC_NS          UINT64_C(1000000)
#define BATCH_MAX        64                 /* datagrams per wake-up */
#define SEND_GRACE_NS    (500 * MSEC_NS)   /* late sending cut-off */
#define STRAGGLER_NS     (1000 * MSEC_NS)  /* wait for late echoes */
#define STATS_TRIES      5
#define STATS_WAIT_NS    (300 * MSEC_NS)
#define RECV_TIMEOUT_US  20000              /* receiver checks stop flag */
#define ERROR_BACKOFF_NS MSEC_NS
#define MAX_DGRAM        65507
#define BACKSTOP_EXTRA_S 5                  /* never run > SECONDS + 5 s */
#define MAX_ADDRS        16                 /* addresses a name may take */

/**
 * struct options - parsed command line.
 * @dest: sink address.
 * @bind: local address, or INADDR_ANY.
 * @pps: datagrams per second.
 * @seconds: sending duration.
 * @stream_id: stream identifier.
 * @have_stream_id: -s was given.
 * @len: datagram length in bytes (header plus zero padding).
 * @json: print JSON instead of the human line.
 * @stats_only: do not send, only query the sink.
 * @timeline: file for one line per echo (--timeline), or NULL.
 * @name: the sink's name (-n), or NULL.
 * @resolve_ms: how often @name is resolved again.
 */
struct options {
	struct sockaddr_in dest;
	struct sockaddr_in bind;
	uint64_t pps;
	double seconds;
	uint32_t stream_id;
	bool have_stream_id;
	uint64_t len;
	bool json;
	bool stats_only;
	const char *timeline;
	const char *name;
	uint64_t resolve_ms;
};

/**
 * struct addr_use - datagrams sent to one address of -n NAME.
 * @addr: the address (network order).
 * @first_seq: the first datagram sent to it.
 * @sent: how many went to it.
 * @at_ns: when the first went, from the start of the stream.
 */
struct addr_use {
	uint32_t addr;
	uint64_t first_seq;
	uint64_t sent;
	uint64_t at_ns;
};

/* -n NAME: what the resolver thread found last (network order, 0 = not
 * yet), how often it asked and failed; the addresses the stream used. */
static atomic_uint_least32_t resolved;
static atomic_ullong resolves, resolve_errors;
static struct addr_use uses[MAX_ADDRS];
static unsigned int n_uses;

/**
 * struct shared - state shared between the sender and the receiver thread.
 * @fd: connected UDP socket.
 * @stream_id: stream whose datagrams are accepted.
 * @stop: set by the main thread to end the receiver.
 * @lock: protects @have_stats and @stats.
 * @cond: signalled when a STATS_REPLY arrived.
 * @have_stats: @stats is valid.
 * @stats: the sink's counters.
 * @echo: echo tracker, owned by the receiver until it is joined.
 * @max_rtt_ns: longest echo round trip, owned like @echo.
 * @malformed: datagrams that did not decode, owned like @echo.
 * @recv_error: errno of a fatal receive error, 0 if none.
 * @timeline: one line per echo (seq, send time, round trip), or NULL;
 *	written by the receiver.
 * @t0: CLOCK_MONOTONIC origin of the timeline's send times.
 */
struct shared {
	int fd;
	uint32_t stream_id;
	atomic_bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool have_stats;
	struct seqproto_stats stats;
	struct seqtrack echo;
	uint64_t max_rtt_ns;
	uint64_t malformed;
	int recv_error;
	FILE *timeline;
	uint64_t t0;
};


/* The destination of an unconnected socket (a broadcast stream). */
static struct sockaddr_in broadcast_to;
static volatile sig_atomic_t interrupted;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s -d IP[:PORT] [-r PPS] [-t SECONDS] [-s STREAM_ID] [-i IFADDR]\n"
		"       [-l BYTES] [--json] [--stats-only]\n"
		"       %s -n NAME[:PORT] [--resolve-ms MS] [options as above]\n"
		"Send numbered UDP datagrams to a mig-sink, count the echoes, then\n"
		"print the sink's counters and the echo counters.\n"
		"\n"
		"  -d, --dest IP[:PORT]  sink address (IPv4, port default %d)\n"
		"  -n, --name NAME[:PORT] sink name, resolved (IPv4) at the start and\n"
		"                        every --resolve-ms (default 100): the stream\n"
		"                        follows it; the summary counts per address\n"
		"  -r, --rate PPS        datagrams per second (default 1000)\n"
		"  -t, --time SECONDS    sending duration (default 10, may be fractional)\n"
		"  -s, --stream ID       stream id (default: random)\n"
		"  -i, --bind IFADDR     local IPv4 address to send from\n"
		"  -l, --length BYTES    datagram size, %d-%d (default %d)\n"
		"      --json            print one JSON object instead of the text line\n"
		"      --stats-only      send nothing, only ask the sink (needs -s)\n"
		"      --timeline FILE   write one line per echo: seq, send time and\n"
		"                        round trip in ms (send time from the start)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Output: sent= guest_received= guest_unique= guest_lost= guest_dup=\n"
		"guest_reordered= guest_max_gap_ms= echo_received= echo_lost=\n"
		"guest_lost and echo_lost count against what was sent (tail losses\n"
		"included); with --stats-only guest_lost is the sink's own count.\n"
		"Exit: 0 completed, 1 usage/socket error, 2 no stats from the sink.\n",
		prog, prog, SEQPROTO_DEFAULT_PORT, SEQPROTO_HDR_LEN, MAX_DGRAM,
		SEQPROTO_HDR_LEN);
}

static int parse_addr(const char *s, bool with_port, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = with_port ? strrchr(s, ':') : NULL;
	size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t port = SEQPROTO_DEFAULT_PORT;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	if (colon && numarg_u64(colon + 1, 1, 65535, &port) < 0)
		return -1;
	sa->sin_port = htons(with_port ? (uint16_t)port : 0);
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_JSON = 256, OPT_STATS_ONLY, OPT_TIMELINE, OPT_RESOLVE_MS };
	static const struct option opts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "stream", required_argument, NULL, 's' },
		{ "bind", required_argument, NULL, 'i' },
		{ "length", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "stats-only", no_argument, NULL, OPT_STATS_ONLY },
		{ "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "name", required_argument, NULL, 'n' },
		{ "resolve-ms", required_argument, NULL, OPT_RESOLVE_MS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_dest = false;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->bind.sin_family = AF_INET;
	o->pps = 1000;
	o->seconds = 10;
	o->len = SEQPROTO_HDR_LEN;
	o->resolve_ms = 100;

	while ((c = getopt_long(argc, argv, "d:n:r:t:s:i:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_addr(optarg, true, &o->dest) < 0) {
				fprintf(stderr, "mig-stream: invalid destination '%s' (expected IPv4[:PORT])\n",
					optarg);
				return -1;
			}
			have_dest = true;
			break;
		case 'r':
			if (numarg_u64(optarg, 1, 1000000, &o->pps) < 0) {
				fprintf(stderr, "mig-stream: invalid rate '%s' (expected 1-1000000 datagrams/s)\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			if (numarg_double(optarg, 0.001, 86400, &o->seconds) < 0) {
				fprintf(stderr, "mig-stream: invalid duration '%s' (expected 0.001-86400 s)\n",
					optarg);
				return -1;
			}
			break;
		case 's':
			if (numarg_u64(optarg, 0, UINT32_MAX, &v) < 0) {
				fprintf(stderr, "mig-stream: invalid stream id '%s' (expected 0-%u)\n",
					optarg, UINT32_MAX);
				return -1;
			}
			o->stream_id = (uint32_t)v;
			o->have_stream_id = true;
			break;
		case 'i':
			if (parse_addr(optarg, false, &o->bind) < 0) {
				fprintf(stderr, "mig-stream: invalid bind address '%s' (expected IPv4)\n",
					optarg);
				return -1;
			}
			break;
		case 'l':
			if (numarg_u64(optarg, SEQPROTO_HDR_LEN, MAX_DGRAM,
				       &o->len) < 0) {
				fprintf(stderr, "mig-stream: invalid length '%s' (expected %d-%d bytes)\n",
					optarg, SEQPROTO_HDR_LEN, MAX_DGRAM);
				return -1;
			}
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_STATS_ONLY:
			o->stats_only = true;
			break;
		case OPT_TIMELINE:
			o->timeline = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case OPT_RESOLVE_MS:
			if (numarg_u64(optarg, 10, 60000, &o->resolve_ms) < 0) {
				fprintf(stderr, "mig-stream: invalid --resolve-ms '%s' (expected 10-60000)\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mig-stream: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (o->name && !have_dest) {
		const char *colon = strrchr(o->name, ':');
		static char host[256];
		size_t hlen = colon ? (size_t)(colon - o->name) : strlen(o->name);
		uint64_t port = SEQPROTO_DEFAULT_PORT;

		if (!hlen || hlen >= sizeof(host) ||
		    (colon && numarg_u64(colon + 1, 1, 65535, &port) < 0)) {
			fprintf(stderr, "mig-stream: invalid name '%s' (expected NAME[:PORT])\n",
				o->name);
			return -1;
		}
		memcpy(host, o->name, hlen);
		host[hlen] = '\0';
		o->name = host;
		o->dest.sin_family = AF_INET;
		o->dest.sin_port = htons((uint16_t)port);
		have_dest = true;
	} else if (o->name) {
		fprintf(stderr, "mig-stream: -n and -d exclude each other\n");
		return -1;
	}
	if (!have_dest) {
		fprintf(stderr, "mig-stream: -d IP[:PORT] or -n NAME[:PORT] is required\n");
		usage(stderr, argv[0]);
		return -1;
	}
	if (o->stats_only && !o->have_stream_id) {
		fprintf(stderr, "mig-stream: --stats-only needs -s STREAM_ID\n");
		return -1;
	}
	if (!o->stats_only &&
	    ceil((double)o->pps * o->seconds) > (double)SEQTRACK_SEQ_MAX + 1) {
		fprintf(stderr, "mig-stream: -r %llu -t %g would send more than %llu datagrams\n",
			(unsigned long long)o->pps, o->seconds,
			(unsigned long long)SEQTRACK_SEQ_MAX + 1);
		return -1;
	}
	if (!o->have_stream_id &&
	    getrandom(&o->stream_id, sizeof(o->stream_id), 0) !=
	    sizeof(o->stream_id))
		o->stream_id = (uint32_t)getpid() ^ (uint32_t)mono_ns();
	return 0;
}

static int open_socket(const struct options *o)
{
	int bufsz = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_usec = RECV_TIMEOUT_US };

	if (fd < 0) {
		perror("mig-stream: socket");
		return -1;
	}
	/*
	 * Best effort: bigger buffers absorb echo bursts after a stall;
	 * the FORCE variants (root only) ignore rmem_max/wmem_max.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz,
		       sizeof(bufsz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz,
		       sizeof(bufsz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("mig-stream: SO_RCVTIMEO");
		goto fail;
	}
	/* -d may be a broadcast address (the broadcast stream of a test) */
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &(int){ 1 }, sizeof(int)) < 0) {
		perror("mig-stream: SO_BROADCAST");
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&o->bind, sizeof(o->bind)) < 0) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &o->bind.sin_addr, a, sizeof(a));
		fprintf(stderr, "mig-stream: cannot bind to %s: %s\n", a,
			strerror(errno));
		goto fail;
	}
	/*
	 * A broadcast destination (last byte 255) stays unconnected: the
	 * sink answers from its own address, which a socket connected to
	 * the broadcast address would drop.
	 */
	if ((ntohl(o->dest.sin_addr.s_addr) & 0xff) == 0xff) {
		broadcast_to = o->dest;
		return fd;
	}
	if (connect(fd, (const struct sockaddr *)&o->dest,
		    sizeof(o->dest)) < 0) {
		perror("mig-stream: connect");
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Resolve @name to its first IPv4 address (network order), 0 if none. */
static uint32_t resolve(const char *name)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	uint32_t a = 0;

	atomic_fetch_add(&resolves, 1);
	if (getaddrinfo(name, NULL, &hints, &res) || !res) {
		atomic_fetch_add(&resolve_errors, 1);
		return 0;
	}
	a = ((const struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return a;
}

/* -n NAME: resolve it again every resolve_ms until @arg (a stop flag). */
static const struct options *resolver_opts;
static void *resolver(void *arg)
{
	atomic_bool *stop = arg;

	while (!atomic_load(stop)) {
		uint32_t a = resolve(resolver_opts->name);

		if (a)
			atomic_store(&resolved, a);
		sleep_until_ns(mono_ns() + resolver_opts->resolve_ms * MSEC_NS);
	}
	return NULL;
}

/* -n NAME: point the socket at what the name gives now (the sender). */
static void follow_name(int fd, struct options *o, uint64_t seq, uint64_t start)
{
	uint32_t a = atomic_load(&resolved);

	if (!a || (n_uses && uses[n_uses - 1].addr == a))
		return;
	o->dest.sin_addr.s_addr = a;
	if (connect(fd, (const struct sockaddr *)&o->dest, sizeof(o->dest)) < 0) {
		perror("mig-stream: connect");
		return;
	}
	if (n_uses == MAX_ADDRS)
		return;
	uses[n_uses].addr = a;
	uses[n_uses].first_seq = seq;
	uses[n_uses].at_ns = mono_ns() - start;
	n_uses++;
}

static void *receiver(void *arg)
{
	static unsigned char buf[65536];
	struct shared *sh = arg;

	while (!atomic_load(&sh->stop)) {
		struct seqproto_hdr h;
		struct seqproto_stats st;
		ssize_t n = recv(sh->fd, buf, sizeof(buf), 0);
		uint64_t now = mono_ns();

		if (n < 0) {
			/* ECONNREFUSED: ICMP port unreachable, sink gone. */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNREFUSED)
				continue;
			sh->recv_error = errno;
			break;
		}
		if (seqproto_decode(buf, (size_t)n, &h, &st) != SEQPROTO_OK) {
			sh->malformed++;
			continue;
		}
		if (h.stream_id != sh->stream_id)
			continue;
		if (h.type == SEQPROTO_ECHO) {
			seqtrack_add(&sh->echo, h.seq, now);
			if (now > h.send_ns && now - h.send_ns > sh->max_rtt_ns)
				sh->max_rtt_ns = now - h.send_ns;
			if (sh->timeline && h.send_ns >= sh->t0 && now >= h.send_ns)
				fprintf(sh->timeline, "%llu %.3f %.3f\n",
					(unsigned long long)h.seq,
					(double)(h.send_ns - sh->t0) / 1e6,
					(double)(now - h.send_ns) / 1e6);
		} else if (h.type == SEQPROTO_STATS_REPLY) {
			pthread_mutex_lock(&sh->lock);
			sh->stats = st;
			sh->have_stats = true;
			pthread_cond_signal(&sh->cond);
			pthread_mutex_unlock(&sh->lock);
		}
	}
	return NULL;
}

/* Send one datagram; return 0 or -1 with errno set. */
static int send_one(int fd, unsigned char *buf, size_t len, uint16_t type,
		    uint32_t stream_id, uint64_t seq)
{
	struct seqproto_hdr h = {
		.type = type,
		.stream_id = stream_id,
		.seq = seq,
		.send_ns = mono_ns(),
	};

	seqproto_encode(&h, NULL, buf, len);
	if (broadcast_to.sin_family)
		return sendto(fd, buf, len, MSG_DONTWAIT,
			      (const struct sockaddr *)&broadcast_to,
			      sizeof(broadcast_to)) < 0 ? -1 : 0;
	return send(fd, buf, len, MSG_DONTWAIT) < 0 ? -1 : 0;
}

/**
 * struct send_result - outcome of the sending phase.
 * @sent: datagrams handed to the kernel.
 * @errors: send() failures (retried).
 * @last_errno: errno of the latest failure.
 */
struct send_result {
	uint64_t sent;
	uint64_t errors;
	int last_errno;
};

static void send_stream(struct options *o, int fd,
			struct send_result *r)
{
	static unsigned char buf[MAX_DGRAM];
	uint64_t total = (uint64_t)ceil((double)o->pps * o->seconds);
	uint64_t start = mono_ns();
	uint64_t cutoff = start + (uint64_t)(o->seconds * 1e9) + SEND_GRACE_NS;

	memset(buf, 0, sizeof(buf));
	while (r->sent < total && !interrupted) {
		uint64_t now = mono_ns();
		/* Datagrams that should have left by now (seq 0 at start). */
		uint64_t due = (now - start) * o->pps / NSEC_PER_SEC + 1;
		unsigned int burst = 0;

		if (now >= cutoff)
			break;
		if (due > total)
			due = total;
		if (o->name)
			follow_name(fd, o, r->sent, start);
		while (r->sent < due && burst++ < BATCH_MAX) {
			if (send_one(fd, buf, o->len, SEQPROTO_DATA,
				     o->stream_id, r->sent) < 0) {
				r->errors++;
				r->last_errno = errno;
				sleep_until_ns(mono_ns() + ERROR_BACKOFF_NS);
				break;
			}
			r->sent++;
			if (n_uses)
				uses[n_uses - 1].sent++;
		}
		if (r->sent < due)
			continue; /* behind schedule: next batch at once */
		/* Instant at which datagram number r->sent is due. */
		sleep_until_ns(start + r->sent * NSEC_PER_SEC / o->pps);
	}
}

/* Ask for the sink's counters; return true when they arrived. */
static bool query_stats(const struct options *o, struct shared *sh)
{
	unsigned char buf[SEQPROTO_HDR_LEN];
	bool ok = false;

	for (int i = 0; i < STATS_TRIES && !ok; i++) {
		struct timespec until = ns_to_timespec(mono_ns() +
						       STATS_WAIT_NS);

		if (send_one(sh->fd, buf, sizeof(buf), SEQPROTO_STATS_REQ,
			     o->stream_id, 0) < 0 && errno != ECONNREFUSED)
			fprintf(stderr, "mig-stream: sending STATS_REQ: %s\n",
				strerror(errno));
		pthread_mutex_lock(&sh->lock);
		while (!sh->have_stats &&
		       pthread_cond_timedwait(&sh->cond, &sh->lock, &until) !=
		       ETIMEDOUT)
			;
		ok = sh->have_stats;
		pthread_mutex_unlock(&sh->lock);
	}
	return ok;
}

static void print_summary(const struct options *o, const struct send_result *r,
			  const struct shared *sh, bool have_stats)
{
	const struct seqproto_stats *g = &sh->stats;
	struct seqtrack_report e;
	uint64_t glost, elost;
	double gap_ms = (double)g->max_gap_us / 1000.0;

	seqtrack_report(&sh->echo, &e);
	elost = r->sent > e.unique ? r->sent - e.unique : 0;
	if (o->stats_only)
		glost = g->lost;
	else
		glost = r->sent > g->unique ? r->sent - g->unique : 0;

	if (o->json) {
		printf("{\"sent\":%llu,", (unsigned long long)r->sent);
		if (have_stats)
			printf("\"guest_received\":%llu,\"guest_unique\":%llu,"
			       "\"guest_lost\":%llu,\"guest_dup\":%llu,"
			       "\"guest_reordered\":%llu,\"guest_max_gap_ms\":%.3f,",
			       (unsigned long long)g->received,
			       (unsigned long long)g->unique,
			       (unsigned long long)glost,
			       (unsigned long long)g->duplicates,
			       (unsigned long long)g->reordered, gap_ms);
		else
			printf("\"guest_received\":null,\"guest_unique\":null,"
			       "\"guest_lost\":null,\"guest_dup\":null,"
			       "\"guest_reordered\":null,\"guest_max_gap_ms\":null,");
		printf("\"echo_received\":%llu,\"echo_lost\":%llu,"
		       "\"stats_ok\":%s,\"stream_id\":%u,\"pps\":%llu,"
		       "\"send_errors\":%llu,\"echo_dup\":%llu,"
		       "\"echo_reordered\":%llu,\"echo_max_gap_ms\":%.3f,"
		       "\"echo_max_rtt_ms\":%.3f",
		       (unsigned long long)e.received, (unsigned long long)elost,
		       have_stats ? "true" : "false", o->stream_id,
		       (unsigned long long)o->pps,
		       (unsigned long long)r->errors,
		       (unsigned long long)e.duplicates,
		       (unsigned long long)e.reordered,
		       (double)e.max_gap_ns / 1e6,
		       (double)sh->max_rtt_ns / 1e6);
		if (o->name) {
			printf(",\"name\":\"%s\",\"resolves\":%llu,\"resolve_errors\":%llu,"
			       "\"addresses\":[", o->name,
			       (unsigned long long)atomic_load(&resolves),
			       (unsigned long long)atomic_load(&resolve_errors));
			for (unsigned int i = 0; i < n_uses; i++) {
				char a[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &uses[i].addr, a, sizeof(a));
				printf("%s{\"ip\":\"%s\",\"first_seq\":%llu,\"sent\":%llu,"
				       "\"at_ms\":%.1f}", i ? "," : "", a,
				       (unsigned long long)uses[i].first_seq,
				       (unsigned long long)uses[i].sent,
				       (double)uses[i].at_ns / 1e6);
			}
			printf("]");
		}
		printf("}\n");
	} else {
		printf("sent=%llu ", (unsigned long long)r->sent);
		if (have_stats)
			printf("guest_received=%llu guest_unique=%llu guest_lost=%llu "
			       "guest_dup=%llu guest_reordered=%llu guest_max_gap_ms=%.3f ",
			       (unsigned long long)g->received,
			       (unsigned long long)g->unique,
			       (unsigned long long)glost,
			       (unsigned long long)g->duplicates,
			       (unsigned long long)g->reordered, gap_ms);
		else
			printf("guest_received=NA guest_unique=NA guest_lost=NA "
			       "guest_dup=NA guest_reordered=NA guest_max_gap_ms=NA ");
		printf("echo_received=%llu echo_lost=%llu\n",
		       (unsigned long long)e.received, (unsigned long long)elost);
	}
	fflush(stdout);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_alarm(int sig)
{
	static const char msg[] =
		"mig-stream: time limit exceeded, giving up\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

static int start_receiver(struct shared *sh, pthread_t *tid)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	pthread_mutex_init(&sh->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cond, &ca);
	pthread_condattr_destroy(&ca);

	/* Signals go to the main thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(tid, NULL, receiver, sh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "mig-stream: cannot start receiver: %s\n",
			strerror(err));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct shared sh;
	struct sigaction sa = { .sa_handler = on_signal };
	struct send_result res = { 0 };
	struct options o;
	pthread_t tid;
	bool have_stats;

	if (parse_options(argc, argv, &o) < 0)
		return 1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned int)ceil(o.stats_only ? 0 : o.seconds) +
	      BACKSTOP_EXTRA_S);

	if (o.name) {
		uint32_t a = resolve(o.name);

		if (!a) {
			fprintf(stderr, "mig-stream: cannot resolve '%s' to an IPv4 address\n",
				o.name);
			return 1;
		}
		o.dest.sin_addr.s_addr = a;
		atomic_store(&resolved, a);
	}
	sh.fd = open_socket(&o);
	if (sh.fd < 0)
		return 1;
	sh.stream_id = o.stream_id;
	seqtrack_init(&sh.echo);
	if (o.timeline) {
		sh.timeline = fopen(o.timeline, "w");
		if (!sh.timeline) {
			fprintf(stderr, "mig-stream: --timeline %s: %s\n",
				o.timeline, strerror(errno));
			return 1;
		}
		fprintf(sh.timeline, "# seq send_ms rtt_ms (stream %u, %llu/s)\n",
			o.stream_id, (unsigned long long)o.pps);
	}
	sh.t0 = mono_ns();
	if (start_receiver(&sh, &tid) < 0)
		return 1;

	if (!o.stats_only) {
		static atomic_bool rstop;
		pthread_t rtid;
		bool have_resolver = false;

		if (o.name) {
			sigset_t all, old;

			resolver_opts = &o;
			sigfillset(&all);
			pthread_sigmask(SIG_BLOCK, &all, &old);
			have_resolver = !pthread_create(&rtid, NULL, resolver, &rstop);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
		send_stream(&o, sh.fd, &res);
		if (have_resolver) {
			atomic_store(&rstop, true);
			pthread_join(rtid, NULL);
		}
		if (res.errors)
			fprintf(stderr, "mig-stream: %llu send errors (last: %s)\n",
				(unsigned long long)res.errors,
				strerror(res.last_errno));
		sleep_until_ns(mono_ns() + STRAGGLER_NS);
	}
	have_stats = query_stats(&o, &sh);

	atomic_store(&sh.stop, true);
	pthread_join(tid, NULL);
	close(sh.fd);
	if (sh.recv_error)
		fprintf(stderr, "mig-stream: receive error: %s\n",
			strerror(sh.recv_error));
	if (!have_stats) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &o.dest.sin_addr, a, sizeof(a));
		fprintf(stderr, "mig-stream: no STATS_REPLY from %s:%u for stream %u after %d attempts\n",
			a, ntohs(o.dest.sin_port), o.stream_id, STATS_TRIES);
	}
	print_summary(&o, &res, &sh, have_stats);
	if (sh.timeline && fclose(sh.timeline) != 0)
		fprintf(stderr, "mig-stream: --timeline %s: %s\n", o.timeline,
			strerror(errno));
	seqtrack_free(&sh.echo);
	return have_stats ? 0 : 2;
}
