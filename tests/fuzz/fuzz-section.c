// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-section - libFuzzer target of the migration-stream section
 * (handoff_section_decode()): the destination QEMU decodes it from a
 * stream it did not write.  Whatever decodes must encode again and
 * decode to the same values.
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	HandoffSection a = { 0 }, b = { 0 };
	uint8_t buf[4096];
	int n;

	if (handoff_section_decode(data, size, &a))
		return 0;
	n = handoff_section_encode(&a, buf, sizeof(buf));
	if (n < 0)
		return 0; /* decodable but not encodable: e.g. an empty field */
	if (handoff_section_decode(buf, (size_t)n, &b) || memcmp(&a, &b, sizeof(a)))
		abort();
	return 0;
}
