// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - UDP sockets of mig-manager: recvmmsg()/sendmmsg() batches and
 * the main-loop glue (fd watches, one GSource whose ready time is the
 * core's next deadline).  With a socket bound to a wildcard address, the
 * local address each datagram came to (IP_PKTINFO) goes to the core, and
 * what the core sends a QEMU leaves from the address that QEMU sends to:
 * its sockets are connected to that address and take nothing else.
 */
#define _GNU_SOURCE
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

/* How many recvmmsg() batches one wake-up handles before polling. */
#define RX_BUDGET 16
/* Room for one IPv6 or IPv4 packet-info control message. */
#define PKTINFO_SPACE (CMSG_SPACE(sizeof(struct in6_pktinfo)) + \
		       CMSG_SPACE(sizeof(struct in_pktinfo)))

struct udp_rx {
	void (*wants_control)(void *opaque);
	void *opaque;
	size_t buf_size;
	uint8_t *bufs;
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	union {
		char buf[PKTINFO_SPACE];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
};

struct udp {
	struct mgr *m;
	int control_fd;
	int data_fd;
	guint control_watch;
	guint data_watch;
	struct udp_rx *control_rx;
	struct udp_rx *data_rx;
	GSource *timer;
};

struct udp_rx *udp_rx_new(size_t buf_size)
{
	struct udp_rx *rx = g_new0(struct udp_rx, 1);

	rx->buf_size = buf_size;
	rx->bufs = g_malloc(buf_size * UDP_BATCH);
	return rx;
}

void udp_rx_free(struct udp_rx *rx)
{
	if (!rx)
		return;
	g_free(rx->bufs);
	g_free(rx);
}

/* The local address of a received datagram (family @family), or NULL. */
static const struct mig_addr *local_address(struct msghdr *h, int family,
					    struct mig_addr *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		memset(out, 0, sizeof(*out));
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    family == AF_INET) {
			struct in_pktinfo pi;
			struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->sin_family = AF_INET;
			a->sin_addr = pi.ipi_addr;
			out->len = sizeof(*a);
			return out;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    family == AF_INET6) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->sin6_family = AF_INET6;
			a->sin6_addr = pi.ipi6_addr;
			out->len = sizeof(*a);
			return out;
		}
	}
	return NULL;
}

/* The control message that makes a datagram leave from @local. */
static size_t put_local(const struct mig_addr *local, char *buf, size_t cap)
{
	struct msghdr h = { .msg_control = buf, .msg_controllen = cap };
	struct cmsghdr *c = CMSG_FIRSTHDR(&h);

	memset(buf, 0, cap);
	if (local->ss.ss_family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		pi.ipi_spec_dst = ((const struct sockaddr_in *)&local->ss)->sin_addr;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (local->ss.ss_family == AF_INET6) {
		struct in6_pktinfo pi = { 0 };

		pi.ipi6_addr = ((const struct sockaddr_in6 *)&local->ss)->sin6_addr;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

int udp_rx_batch(struct mgr *m, struct udp_rx *rx, int fd, bool control)
{
	bool asked = false;
	int n;

	for (int i = 0; i < UDP_BATCH; i++) {
		rx->iov[i].iov_base = rx->bufs + (size_t)i * rx->buf_size;
		rx->iov[i].iov_len = rx->buf_size;
		memset(&rx->msgs[i].msg_hdr, 0, sizeof(rx->msgs[i].msg_hdr));
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
		rx->msgs[i].msg_hdr.msg_control = rx->ctl[i].buf;
		rx->msgs[i].msg_hdr.msg_controllen = sizeof(rx->ctl[i].buf);
	}
	n = recvmmsg(fd, rx->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		struct mig_addr from, local;
		size_t len = rx->msgs[i].msg_len;

		if (!addr_from_sockaddr((struct sockaddr *)&rx->from[i],
					rx->msgs[i].msg_hdr.msg_namelen, &from))
			continue;
		mgr_set_rx_local(m, local_address(&rx->msgs[i].msg_hdr,
						  from.ss.ss_family, &local));
		/* A truncated datagram was longer than any valid one. */
		if (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			len = control ? HANDOFF_MAX_LEN + 1 : rx->buf_size;
		if (control) {
			mgr_control_input(m, rx->iov[i].iov_base, len, &from);
			continue;
		}
		/* A frame may overtake the SUSPENDING that announces its
		 * migration (another socket): read the control socket first,
		 * once per batch. */
		if (rx->wants_control && !asked &&
		    mgr_data_wants_control(m, rx->iov[i].iov_base, len, &from)) {
			rx->wants_control(rx->opaque);
			asked = true;
		}
		mgr_data_input(m, rx->iov[i].iov_base, len, &from);
	}
	return n;
}

bool udp_send_outbox(struct mgr *m, int control_fd, int data_fd)
{
	struct mmsghdr msgs[MGR_OUTBOX];
	struct iovec iov[MGR_OUTBOX];
	static union {
		char buf[PKTINFO_SPACE];
		struct cmsghdr align;
	} ctl[MGR_OUTBOX];
	unsigned int i = 0;

	while (i < m->n_out) {
		enum mgr_sock sock = m->out[i].sock;
		unsigned int k = 0;
		int r;

		while (i + k < m->n_out && m->out[i + k].sock == sock) {
			struct mgr_out *o = &m->out[i + k];

			iov[k].iov_base = o->buf;
			iov[k].iov_len = o->len;
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
			msgs[k].msg_hdr.msg_name = &o->to.ss;
			msgs[k].msg_hdr.msg_namelen = o->to.len;
			if (o->local.len && o->local.ss.ss_family == o->to.ss.ss_family) {
				msgs[k].msg_hdr.msg_control = ctl[k].buf;
				msgs[k].msg_hdr.msg_controllen =
					put_local(&o->local, ctl[k].buf, sizeof(ctl[k].buf));
			}
			k++;
		}
		r = sendmmsg(sock == MGR_SOCK_CONTROL ? control_fd : data_fd,
			     msgs, k, MSG_DONTWAIT);
		if (r > 0) {
			i += (unsigned int)r;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == ENOBUFS || errno == EINTR) {
			break;
		} else {
			mgr_send_failed(m, i, errno);
			i++;
		}
	}
	mgr_outbox_done(m, i);
	return m->n_out == 0;
}

int udp_socket(const struct mig_addr *a, unsigned int rcvbuf,
		   GError **error)
{
	char s[ADDR_STRLEN];
	int fd, v;

	fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "socket: %s", g_strerror(errno));
		return -1;
	}
	if (a->ss.ss_family == AF_INET6) {
		v = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
		v = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, sizeof(v));
	} else {
		v = 1;
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &v, sizeof(v));
	}
	if (rcvbuf) {
		v = (int)rcvbuf;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len)) {
		int e = errno;

		close(fd);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
			    "bind %s: %s", addr_format(a, s, sizeof(s)),
			    g_strerror(e));
		return -1;
	}
	return fd;
}

/*
 * What the kernel gave the data socket: above net.core.rmem_max a buffer
 * needs CAP_NET_ADMIN (SO_RCVBUFFORCE), which the shipped unit does not
 * grant.  Say so instead of falling back silently (docs/manager.md).
 */
static void check_rcvbuf(struct mgr *m, int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) < 0)
		return;
	m->rcvbuf = (unsigned int)v / 2; /* the kernel doubles what it grants */
	if (m->rcvbuf < m->cfg->rcvbuf)
		g_warning("data socket: receive buffer %u bytes, not the %u of rcvbuf=: raise net.core.rmem_max (sysctl, docs/manager.md) or grant CAP_NET_ADMIN",
			  m->rcvbuf, m->cfg->rcvbuf);
}

static void rearm(struct udp *n, int64_t delay)
{
	if (delay < 0)
		g_source_set_ready_time(n->timer, -1);
	else
		g_source_set_ready_time(n->timer,
					g_get_monotonic_time() + delay);
}

void udp_kick(struct udp *n)
{
	int64_t delay;

	for (int rounds = 0;; rounds++) {
		delay = mgr_poll(n->m);
		if (!udp_send_outbox(n->m, n->control_fd, n->data_fd)) {
			/* The kernel is full: try again in a millisecond. */
			delay = 1000;
			break;
		}
		if (delay != 0)
			break;
		if (rounds == 64) { /* let the sockets in */
			delay = 0;
			break;
		}
	}
	rearm(n, delay);
}

static gboolean on_timer(gpointer data)
{
	udp_kick(data);
	return G_SOURCE_CONTINUE;
}

static gboolean timer_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	(void)source;
	return cb(data);
}

static GSourceFuncs timer_funcs = {
	.dispatch = timer_dispatch,
};

/* The data path met a frame of an unknown VNI: handle pending control
 * datagrams (its SUSPENDING, probably) before it. */
static void drain_control(void *opaque)
{
	struct udp *n = opaque;

	for (int i = 0; i < RX_BUDGET; i++)
		if (udp_rx_batch(n->m, n->control_rx, n->control_fd, true) <
		    UDP_BATCH)
			break;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct udp *n = data;
	bool control = fd == n->control_fd;

	(void)cond;
	/* Frames sent before a control message (the last frames before
	 * ABORTED, say) are handled before it: data socket first. */
	if (control)
		for (int i = 0; i < RX_BUDGET; i++)
			if (udp_rx_batch(n->m, n->data_rx, n->data_fd, false) <
			    UDP_BATCH)
				break;
	for (int i = 0; i < RX_BUDGET; i++)
		if (udp_rx_batch(n->m, control ? n->control_rx : n->data_rx,
				 fd, control) < UDP_BATCH)
			break;
	udp_kick(n);
	return G_SOURCE_CONTINUE;
}

struct udp *udp_new(struct mgr *m, GError **error)
{
	struct udp *n = g_new0(struct udp, 1);

	n->m = m;
	n->control_fd = n->data_fd = -1;
	n->control_fd = udp_socket(&m->cfg->control, 0, error);
	if (n->control_fd < 0) {
		g_prefix_error(error, "control socket: ");
		goto fail;
	}
	n->data_fd = udp_socket(&m->cfg->data, m->cfg->rcvbuf, error);
	if (n->data_fd >= 0)
		check_rcvbuf(m, n->data_fd);
	if (n->data_fd < 0) {
		g_prefix_error(error, "data socket: ");
		goto fail;
	}
	n->control_rx = udp_rx_new(2048);
	n->data_rx = udp_rx_new(65536);
	n->data_rx->wants_control = drain_control;
	n->data_rx->opaque = n;
	n->control_watch = g_unix_fd_add(n->control_fd, G_IO_IN, on_readable, n);
	n->data_watch = g_unix_fd_add(n->data_fd, G_IO_IN, on_readable, n);
	n->timer = g_source_new(&timer_funcs, sizeof(GSource));
	g_source_set_callback(n->timer, on_timer, n, NULL);
	g_source_set_ready_time(n->timer, -1);
	g_source_attach(n->timer, NULL);
	return n;
fail:
	udp_free(n);
	return NULL;
}

void udp_free(struct udp *n)
{
	if (!n)
		return;
	if (n->control_watch)
		g_source_remove(n->control_watch);
	if (n->data_watch)
		g_source_remove(n->data_watch);
	if (n->timer) {
		g_source_destroy(n->timer);
		g_source_unref(n->timer);
	}
	if (n->control_fd >= 0)
		close(n->control_fd);
	if (n->data_fd >= 0)
		close(n->data_fd);
	udp_rx_free(n->control_rx);
	udp_rx_free(n->data_rx);
	g_free(n);
}
