// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-control - libFuzzer target of control-message handling: the input
 * is a sequence of datagrams, each handoff_msg_decode()d and fed to the
 * manager's mgr_control_input() (from the source's or the destination's
 * control endpoint), with the clock moving and timers run in between.
 *
 * Input: records of [flags (1 byte) | length (2 bytes, big-endian) |
 * datagram];
 * flag bit 0 sets the header's timestamp to now and replaces the last 32
 * bytes with the right HMAC under the VM key, so the TLV parser, the
 * replay cache and the state machine are reached, not only the MAC
 * check; bit 1 sends it from the destination's endpoint; bits 2-7
 * advance the clock by that many milliseconds first.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world w;
	int64_t mono = 1000000000, real = INT64_C(1700000000000000);

	fuzz_world_init(&w);
	while (size >= 3) {
		uint8_t flags = data[0], buf[HANDOFF_MAX_LEN + 64];
		size_t len = MIN((size_t)data[1] << 8 | data[2], size - 3);
		struct simq *q = flags & 2 ? &w.dst : &w.src;
		struct mig_addr from;
		HandoffMsg msg;

		memcpy(buf, data + 3, MIN(len, sizeof(buf)));
		len = MIN(len, sizeof(buf));
		data += 3 + len;
		size -= 3 + len;
		mono += (flags >> 2) * 1000;
		real += (flags >> 2) * 1000;
		if ((flags & 1) && len >= HANDOFF_MIN_LEN) {
			for (int i = 0; i < 8; i++)
				buf[16 + i] = (uint8_t)((uint64_t)real >> (56 - 8 * i));
			struct iovec iov = { buf, len - HANDOFF_HMAC_LEN };

			handoff_crypto_hmac_sha256(q->key, HANDOFF_KEY_LEN, &iov, 1,
						   buf + len - HANDOFF_HMAC_LEN);
		}
		(void)handoff_msg_decode(buf, len, q->key, HANDOFF_KEY_LEN, &msg);
		mgr_set_time(w.m, mono, real);
		addr_from_endpoint(&q->control, &from);
		mgr_control_input(w.m, buf, len, &from);
		mgr_poll(w.m);
		mgr_outbox_done(w.m, w.m->n_out);
	}
	fuzz_world_check(&w);
	fuzz_world_free(&w);
	return 0;
}
