// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-frame - libFuzzer target of data-frame handling: the input is a
 * sequence of datagrams, each run through handoff_frame_parse(),
 * handoff_frame_verify() and an anti-replay window, and fed to the
 * manager's mgr_data_input() for a VM whose window is open.
 *
 * Input: records of [flags (1 byte) | length (2 bytes, big-endian) |
 * bytes]; flag
 * bit 0 seals the bytes as an inner frame under the capture key of NIC
 * (bit 1) with the sequence number of bits 2-7 (so queueing, caps and
 * the sequence window are reached), else the bytes are the datagram;
 * bit 1 also picks which NIC's endpoint it comes from.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[HANDOFF_FRAME_HDR_LEN + 2048];
	struct fuzz_world w;
	HandoffSeqWindow win;

	fuzz_world_init(&w);
	handoff_seq_init(&win);
	while (size >= 3) {
		uint8_t flags = data[0];
		unsigned int nic = (flags >> 1) & 1;
		size_t len = MIN((size_t)data[1] << 8 | data[2], size - 3);
		const uint8_t *frame;
		struct mig_addr from;
		size_t flen, plen;
		uint64_t seq;
		uint32_t vni;
		bool reordered;

		if (flags & 1) {
			int n = handoff_frame_seal(w.src.nics[nic].tx_key, w.src.nics[nic].vni,
						   (uint64_t)(flags >> 2) + 1, data + 3,
						   MIN(len, 2048), pkt, sizeof(pkt));

			plen = n > 0 ? (size_t)n : 0;
		} else {
			plen = MIN(len, sizeof(pkt));
			memcpy(pkt, data + 3, plen);
		}
		data += 3 + len;
		size -= 3 + len;
		if (!handoff_frame_parse(pkt, plen, &vni, &seq, &frame, &flen) &&
		    !handoff_frame_verify(w.src.nics[nic].tx_key, pkt, plen))
			(void)handoff_seq_accept(&win, seq, &reordered);
		addr_from_endpoint(&w.src.nics[nic].ep, &from);
		mgr_data_input(w.m, pkt, plen, &from);
		mgr_poll(w.m);
		mgr_outbox_done(w.m, w.m->n_out);
	}
	fuzz_world_check(&w);
	fuzz_world_free(&w);
	return 0;
}
