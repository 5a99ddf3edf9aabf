/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp.h - the manager's UDP sockets: batched receive (recvmmsg) into the
 * core, batched send (sendmmsg) of its outbox, and the GMainLoop glue
 * that runs mgr_poll() when the core asks for it.
 */
#ifndef MIG_UDP_H
#define MIG_UDP_H

#include <stdbool.h>

#include <glib.h>

#include "core.h"

#define UDP_BATCH 64

struct udp_rx;
struct udp;

/**
 * udp_rx_new() - receive buffers for udp_rx_batch().
 * @buf_size: bytes per datagram buffer (65536 for data, 2048 for control).
 *
 * Return: buffers for UDP_BATCH datagrams; free with udp_rx_free().
 */
struct udp_rx *udp_rx_new(size_t buf_size);

/**
 * udp_rx_free() - free receive buffers.
 * @rx: buffers, or NULL.
 */
void udp_rx_free(struct udp_rx *rx);

/**
 * udp_rx_batch() - one non-blocking recvmmsg() on @fd, each datagram
 * handed to the core.
 * @m: core.
 * @rx: buffers.
 * @fd: UDP socket.
 * @control: true for the control socket (mgr_control_input()), false for
 *           the data socket (mgr_data_input()).
 *
 * Return: datagrams received, 0 when none is waiting.
 */
int udp_rx_batch(struct mgr *m, struct udp_rx *rx, int fd, bool control);

/**
 * udp_send_outbox() - send the core's outbox with sendmmsg(), in order.
 * @m: core.
 * @control_fd: socket for MGR_SOCK_CONTROL entries.
 * @data_fd: socket for MGR_SOCK_DATA entries.
 *
 * Entries the kernel refuses for good are reported with
 * mgr_send_failed(); on EAGAIN/ENOBUFS the rest stays in the outbox.
 *
 * Return: true if the outbox is empty afterwards.
 */
bool udp_send_outbox(struct mgr *m, int control_fd, int data_fd);

/**
 * udp_socket() - a bound non-blocking UDP socket.
 * @a: address to bind.
 * @rcvbuf: SO_RCVBUF wanted (0 = system default); SO_RCVBUFFORCE is
 *          tried first.
 * @error: set on failure.
 *
 * Return: the fd, or -1.
 */
int udp_socket(const struct mig_addr *a, unsigned int rcvbuf,
		   GError **error);

/**
 * udp_new() - bind the control and data sockets of @m's config and watch
 * them from the default GMainContext.
 * @m: core.
 * @error: set on failure (address in use, permission ...).
 *
 * Return: the network state, or NULL.
 */
struct udp *udp_new(struct mgr *m, GError **error);

/**
 * udp_kick() - run mgr_poll(), send the outbox and arm the timer for the
 * next poll.  Call after anything changed the core (e.g. a migctl
 * request).
 * @n: network state.
 */
void udp_kick(struct udp *n);

/**
 * udp_free() - stop watching and close the sockets.
 * @n: network state, or NULL.
 */
void udp_free(struct udp *n);

#endif /* MIG_UDP_H */
