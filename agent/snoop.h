/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snoop.h - DHCP snooping: a thread reads the DHCP replies (server port
 * 67 to client port 68) seen on one interface (AF_PACKET, with a socket
 * filter) and turns every DHCPACK into a binding of the client's MAC to
 * the address it was given, for the lease time (nfts_bind()): the table
 * the IP source guard rule checks.
 */
#ifndef MIG_AGENT_SNOOP_H
#define MIG_AGENT_SNOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "config.h"

struct snoop;

/**
 * struct snoop_ack - what a DHCPACK says.
 * @mac: the client's hardware address (chaddr).
 * @ip: the address given (yiaddr), text.
 * @lease_s: the lease time (option 51), or 0 if absent.
 */
struct snoop_ack {
	char mac[18];
	char ip[16];
	unsigned int lease_s;
};

/**
 * snoop_parse() - a DHCPACK in an Ethernet frame.
 * @frame: the frame.
 * @len: its length.
 * @ack: filled in.
 *
 * Return: true if the frame is an IPv4/UDP DHCPACK from port 67 to 68.
 */
bool snoop_parse(const uint8_t *frame, size_t len, struct snoop_ack *ack);

/**
 * snoop_start() - start snooping on @c->snoop.
 * @c: configuration (borrowed; outlives the snooper).
 * @error: set if the interface cannot be read.
 *
 * Return: the snooper, or NULL.
 */
struct snoop *snoop_start(const struct agent_config *c, GError **error);

/**
 * snoop_stop() - stop and free.
 * @s: the snooper, or NULL.
 */
void snoop_stop(struct snoop *s);

/**
 * snoop_acks() - DHCPACKs turned into bindings so far.
 * @s: the snooper.
 *
 * Return: the count.
 */
unsigned int snoop_acks(const struct snoop *s);

#endif /* MIG_AGENT_SNOOP_H */
