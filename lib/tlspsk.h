/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlspsk.h - the authenticated channel between mig-manager and the
 * mig-agents, and between two agents (docs/netstate.md): TCP with TLS 1.3
 * and a pre-shared key (GnuTLS, ECDHE-PSK: forward secret, mutually
 * authenticated by the key, replay-protected by TLS), carrying
 * newline-terminated JSON messages.
 *
 * Who holds which key: an agent has its key (mig_agent_key() of the
 * manager's master key and the name of its device); the manager derives
 * every agent key. For a transfer between two agents the manager gives both a
 * one-time ticket key (mig_ticket_key()), used once.
 */
#ifndef MIG_TLSPSK_H
#define MIG_TLSPSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"

#define TLSPSK_KEY_LEN 32
/* The longest message line (a state of 10 000 conntrack entries is about
 * 4 MiB of JSON). */
#define TLSPSK_MAX_LINE (64u << 20)

struct tls_chan;

/**
 * tlspsk_lookup_fn - the server's key for a PSK identity.
 * @identity: the identity the client sent.
 * @key: set to its key.
 * @data: the server's data.
 *
 * Return: true if the identity is known.
 */
typedef bool (*tlspsk_lookup_fn)(const char *identity,
				 uint8_t key[TLSPSK_KEY_LEN], void *data);

/**
 * tls_chan_connect() - connect to @to and complete the handshake.
 * @to: the server.
 * @identity: our PSK identity.
 * @key: its key.
 * @timeout_ms: bound of the connect, the handshake and every later read
 *              and write.
 * @error: set on failure (unreachable, refused, wrong key, timeout).
 *
 * Return: the channel, or NULL.
 */
struct tls_chan *tls_chan_connect(const struct mig_addr *to, const char *identity,
				  const uint8_t key[TLSPSK_KEY_LEN], int timeout_ms,
				  GError **error);

/**
 * tls_chan_accept() - complete the server side of the handshake on an
 * accepted TCP socket.
 * @fd: the socket (owned by the channel from now on, also on failure).
 * @lookup: the key of the client's identity.
 * @data: for @lookup.
 * @timeout_ms: bound of the handshake and of every later read and write.
 * @error: set on failure.
 *
 * Return: the channel, or NULL.
 */
struct tls_chan *tls_chan_accept(int fd, tlspsk_lookup_fn lookup, void *data,
				 int timeout_ms, GError **error);

/**
 * tls_chan_identity() - the PSK identity the peer used (server side), or
 * ours (client side).
 * @c: channel.
 *
 * Return: the identity.
 */
const char *tls_chan_identity(const struct tls_chan *c);

/**
 * tls_chan_send() - send one message: @line and a newline.
 * @c: channel.
 * @line: the message (no newline in it).
 * @error: set on failure.
 *
 * Return: true if sent.
 */
bool tls_chan_send(struct tls_chan *c, const char *line, GError **error);

/**
 * tls_chan_recv() - receive one message.
 * @c: channel.
 * @error: set on failure (closed, timeout, over TLSPSK_MAX_LINE).
 *
 * Return: the line without its newline (g_free() it), or NULL.
 */
char *tls_chan_recv(struct tls_chan *c, GError **error);

/**
 * tls_chan_bytes() - payload bytes sent and received so far.
 * @c: channel.
 * @sent: set to the bytes sent.
 * @received: set to the bytes received.
 */
void tls_chan_bytes(const struct tls_chan *c, uint64_t *sent, uint64_t *received);

/**
 * tls_chan_close() - say goodbye and free the channel.
 * @c: channel, or NULL.
 */
void tls_chan_close(struct tls_chan *c);

#endif /* MIG_TLSPSK_H */
