// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vxlan.c - VXLAN (RFC 7348) encapsulation of the handoff data frames and
 * the VNI derived from a VM UUID.
 */
#include "vxlan.h"

#include <string.h>

#include <glib.h>

uint32_t vxlan_vni_for_uuid(const uint8_t uuid[16])
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	uint8_t digest[32];
	gsize digest_len = sizeof(digest);
	uint32_t vni;

	g_checksum_update(sum, uuid, 16);
	g_checksum_get_digest(sum, digest, &digest_len);
	g_checksum_free(sum);

	vni = (uint32_t)digest[0] << 16 | (uint32_t)digest[1] << 8 | digest[2];
	return vni ? vni : 1;
}

int vxlan_encap(uint32_t vni, const uint8_t *frame, size_t frame_len,
		uint8_t *buf, size_t buf_len)
{
	if (vni > VXLAN_VNI_MAX)
		return VXLAN_ERR_BAD_VNI;
	if (frame_len < VXLAN_ETH_HLEN)
		return VXLAN_ERR_SHORT;
	if (frame_len > VXLAN_MAX_FRAME)
		return VXLAN_ERR_OVERSIZE;
	if (buf_len < VXLAN_HDR_LEN + frame_len)
		return VXLAN_ERR_NOSPACE;

	buf[0] = VXLAN_FLAG_I;
	buf[1] = buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(vni >> 16);
	buf[5] = (uint8_t)(vni >> 8);
	buf[6] = (uint8_t)vni;
	buf[7] = 0;
	memcpy(buf + VXLAN_HDR_LEN, frame, frame_len);
	return (int)(VXLAN_HDR_LEN + frame_len);
}

int vxlan_decap(const uint8_t *pkt, size_t len, uint32_t *vni,
		const uint8_t **frame, size_t *frame_len)
{
	if (len < VXLAN_HDR_LEN + VXLAN_ETH_HLEN)
		return VXLAN_ERR_SHORT;
	if (!(pkt[0] & VXLAN_FLAG_I))
		return VXLAN_ERR_NO_VNI;

	*vni = (uint32_t)pkt[4] << 16 | (uint32_t)pkt[5] << 8 | pkt[6];
	*frame = pkt + VXLAN_HDR_LEN;
	*frame_len = len - VXLAN_HDR_LEN;
	return VXLAN_OK;
}

bool vxlan_frame_dst_mac(const uint8_t *frame, size_t frame_len,
			 uint8_t mac[VXLAN_MAC_LEN])
{
	if (frame_len < VXLAN_ETH_HLEN)
		return false;
	memcpy(mac, frame, VXLAN_MAC_LEN);
	return true;
}

const char *vxlan_strerror(int err)
{
	switch (err) {
	case VXLAN_OK:
		return "ok";
	case VXLAN_ERR_SHORT:
		return "short";
	case VXLAN_ERR_NO_VNI:
		return "no-vni";
	case VXLAN_ERR_OVERSIZE:
		return "oversize";
	case VXLAN_ERR_NOSPACE:
		return "no-space";
	case VXLAN_ERR_BAD_VNI:
		return "bad-vni";
	default:
		return "unknown-error";
	}
}
