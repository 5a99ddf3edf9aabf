/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr.h - UDP socket addresses of the migration manager: parse
 * "HOST:PORT" / "[V6]:PORT", print them, compare hosts, and convert to and
 * from the endpoints of the handoff protocol (HandoffEndpoint).
 */
#ifndef MIG_ADDR_H
#define MIG_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire.h"

#define ADDR_STRLEN 64

/**
 * struct mig_addr - an IPv4 or IPv6 socket address.
 * @ss: the address (sockaddr_in or sockaddr_in6).
 * @len: its length; 0 when unset.
 */
struct mig_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/**
 * addr_parse() - parse a numeric "A.B.C.D:PORT" or "[V6]:PORT".
 * @text: string to parse.
 * @out: set on success.
 *
 * Host names are not resolved: the daemon binds and compares addresses.
 *
 * Return: true on success.
 */
bool addr_parse(const char *text, struct mig_addr *out);

/**
 * addr_parse_host() - parse a numeric address without a port.
 * @text: "A.B.C.D" or "V6" (brackets optional).
 * @out: set on success, port 0.
 *
 * Return: true on success.
 */
bool addr_parse_host(const char *text, struct mig_addr *out);

/**
 * addr_from_sockaddr() - copy a socket address.
 * @sa: address from recvmsg() or similar.
 * @len: its length.
 * @out: set on success.
 *
 * Return: true for AF_INET and AF_INET6, false otherwise.
 */
bool addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			struct mig_addr *out);

/**
 * addr_format() - print "A.B.C.D:PORT" or "[V6]:PORT".
 * @a: address; an unset one prints as "-".
 * @buf: output, ADDR_STRLEN bytes are enough.
 * @len: size of @buf.
 *
 * Return: @buf.
 */
char *addr_format(const struct mig_addr *a, char *buf, size_t len);

/**
 * addr_format_host() - print the address without the port.
 * @a: address; an unset one prints as "-".
 * @buf: output, ADDR_STRLEN bytes are enough.
 * @len: size of @buf.
 *
 * Return: @buf.
 */
char *addr_format_host(const struct mig_addr *a, char *buf, size_t len);

/**
 * addr_port() - the port of an address.
 * @a: address.
 *
 * Return: port in host byte order, 0 if unset.
 */
uint16_t addr_port(const struct mig_addr *a);

/**
 * addr_same_host() - whether two addresses have the same family and host
 * part (ports are ignored).
 * @a: first address.
 * @b: second address.
 *
 * Return: true if equal.
 */
bool addr_same_host(const struct mig_addr *a, const struct mig_addr *b);

/**
 * addr_equal() - whether two addresses are equal, port included.
 * @a: first address.
 * @b: second address.
 *
 * Return: true if equal.
 */
bool addr_equal(const struct mig_addr *a, const struct mig_addr *b);

/**
 * addr_is_any() - whether the host part is the unspecified address.
 * @a: address.
 *
 * Return: true for 0.0.0.0 and ::.
 */
bool addr_is_any(const struct mig_addr *a);

/**
 * addr_from_endpoint() - the socket address of a protocol endpoint.
 * @ep: endpoint of a control message (exact: version 2 has no
 *      unspecified endpoints).
 * @out: set on success.
 *
 * Return: true on success, false for an unknown family.
 */
bool addr_from_endpoint(const HandoffEndpoint *ep, struct mig_addr *out);

/**
 * addr_to_endpoint() - a protocol endpoint for a socket address.
 * @a: IPv4 or IPv6 address.
 * @ep: set on success.
 *
 * Return: true on success.
 */
bool addr_to_endpoint(const struct mig_addr *a, HandoffEndpoint *ep);

#endif /* MIG_ADDR_H */
