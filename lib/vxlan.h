/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vxlan.h - data frames of the handoff protocol: VXLAN (RFC 7348)
 * encapsulation of Ethernet frames (docs/protocol.md §1).
 *
 *   byte 0     flags, 0x08 (I: VNI valid); other bits reserved
 *   bytes 1-3  reserved
 *   bytes 4-6  VNI, big-endian
 *   byte 7     reserved
 *   bytes 8-   inner Ethernet frame, no FCS, no vnet header
 *
 * Reserved bits are sent as 0 and ignored on receipt, as RFC 7348 asks;
 * only the I flag is required.
 */
#ifndef MIG_VXLAN_H
#define MIG_VXLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VXLAN_PORT        4789
#define VXLAN_HDR_LEN     8
#define VXLAN_FLAG_I      0x08
#define VXLAN_VNI_MAX     0xffffffu
#define VXLAN_MAX_PAYLOAD 65507 /* largest UDP payload over IPv4 */
#define VXLAN_ETH_HLEN    14
#define VXLAN_MAC_LEN     6
#define VXLAN_MAX_FRAME   (VXLAN_MAX_PAYLOAD - VXLAN_HDR_LEN)

/**
 * enum vxlan_err - results of vxlan_encap() and vxlan_decap().
 * @VXLAN_OK: success (vxlan_encap() returns a length instead).
 * @VXLAN_ERR_SHORT: the packet has no full header, or the inner frame is
 *                   shorter than an Ethernet header.
 * @VXLAN_ERR_NO_VNI: the I flag is clear.
 * @VXLAN_ERR_OVERSIZE: header plus frame exceed VXLAN_MAX_PAYLOAD.
 * @VXLAN_ERR_NOSPACE: the output buffer is too small.
 * @VXLAN_ERR_BAD_VNI: the VNI does not fit 24 bits.
 *
 * Negative, so that vxlan_encap() can return a length or an error.
 */
enum vxlan_err {
	VXLAN_OK = 0,
	VXLAN_ERR_SHORT = -1,
	VXLAN_ERR_NO_VNI = -2,
	VXLAN_ERR_OVERSIZE = -3,
	VXLAN_ERR_NOSPACE = -4,
	VXLAN_ERR_BAD_VNI = -5,
};

/**
 * vxlan_vni_for_uuid() - the VNI of a VM.
 * @uuid: VM UUID, 16 bytes in wire (RFC 4122) order.
 *
 * The first 24 bits of SHA-256 over the 16 UUID bytes, big-endian; 0 is
 * remapped to 1.
 *
 * Return: VNI in 1..VXLAN_VNI_MAX.
 */
uint32_t vxlan_vni_for_uuid(const uint8_t uuid[16]);

/**
 * vxlan_encap() - prepend a VXLAN header to an Ethernet frame.
 * @vni: VNI, at most VXLAN_VNI_MAX.
 * @frame: inner Ethernet frame.
 * @frame_len: its length, at least VXLAN_ETH_HLEN.
 * @buf: output buffer (must not overlap @frame).
 * @buf_len: size of @buf.
 *
 * Return: UDP payload length (VXLAN_HDR_LEN + @frame_len), or
 * VXLAN_ERR_BAD_VNI, VXLAN_ERR_SHORT, VXLAN_ERR_OVERSIZE (the frame must
 * be dropped and counted, never truncated) or VXLAN_ERR_NOSPACE.
 */
int vxlan_encap(uint32_t vni, const uint8_t *frame, size_t frame_len,
		uint8_t *buf, size_t buf_len);

/**
 * vxlan_decap() - check a received VXLAN packet and find its inner frame.
 * @pkt: UDP payload.
 * @len: its length.
 * @vni: set to the VNI on success.
 * @frame: set to the inner frame (inside @pkt) on success.
 * @frame_len: set to the inner frame's length on success.
 *
 * Return: VXLAN_OK, VXLAN_ERR_SHORT or VXLAN_ERR_NO_VNI.
 */
int vxlan_decap(const uint8_t *pkt, size_t len, uint32_t *vni,
		const uint8_t **frame, size_t *frame_len);

/**
 * vxlan_frame_dst_mac() - destination MAC of an Ethernet frame.
 * @frame: frame, e.g. from vxlan_decap().
 * @frame_len: its length.
 * @mac: set to the 6-byte destination address on success.
 *
 * Return: true, or false if the frame is shorter than VXLAN_ETH_HLEN.
 */
bool vxlan_frame_dst_mac(const uint8_t *frame, size_t frame_len,
			 uint8_t mac[VXLAN_MAC_LEN]);

/**
 * vxlan_strerror() - short name of an error code, for logs and counters.
 * @err: enum vxlan_err value.
 *
 * Return: static string such as "oversize", or "unknown-error".
 */
const char *vxlan_strerror(int err);

#endif /* MIG_VXLAN_H */
