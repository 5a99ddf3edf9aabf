/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rewrite.h - cross-segment delivery: rewrite a buffered frame's
 * destination MAC and IP to the VM's new ones and fix the checksums
 * (IPv4 header, TCP, UDP, ICMPv6) incrementally (RFC 1624), so frames of
 * any length and even first fragments stay valid.
 */
#ifndef MIG_REWRITE_H
#define MIG_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct rewrite_rule - what to rewrite.
 * @macs: destination MACs to replace (the VM's old MACs).
 * @n_macs: entries in @macs; 0 = no MAC rewrite.
 * @new_mac: replacement MAC.
 * @family: 4 or 6 for an IP rewrite, 0 for none.
 * @old_ip: destination IP to replace (4 or 16 bytes, network order).
 * @new_ip: replacement IP, same family.
 */
struct rewrite_rule {
	const uint8_t (*macs)[6];
	unsigned int n_macs;
	uint8_t new_mac[6];
	int family;
	uint8_t old_ip[16];
	uint8_t new_ip[16];
};

/**
 * enum rewrite_flags - what rewrite_frame() changed.
 * @REWRITE_MAC: the destination MAC.
 * @REWRITE_IP: the destination IP (and the IPv4 header checksum).
 * @REWRITE_L4: a TCP, UDP or ICMPv6 checksum.
 */
enum rewrite_flags {
	REWRITE_MAC = 1,
	REWRITE_IP = 2,
	REWRITE_L4 = 4,
};

/**
 * rewrite_frame() - apply @r to an Ethernet frame in place.
 * @frame: the frame (one 802.1Q tag is understood).
 * @len: its length.
 * @r: rule.
 *
 * Only a destination equal to the old MAC / old IP is rewritten; other
 * frames (broadcast, ARP, other hosts) pass unchanged.  A UDP-over-IPv4
 * checksum of 0 (none) stays 0; a computed UDP checksum of 0 is sent as
 * 0xffff.  Non-first IPv4 fragments only get their IP header fixed.
 * IPv6 extension headers are not walked: L4 checksums are fixed only
 * when TCP, UDP or ICMPv6 follows the fixed header directly.
 *
 * Return: enum rewrite_flags of what changed, 0 for nothing.
 */
unsigned int rewrite_frame(uint8_t *frame, size_t len,
			   const struct rewrite_rule *r);

#endif /* MIG_REWRITE_H */
