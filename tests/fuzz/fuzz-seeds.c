// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-seeds - writes the seed corpora of the libFuzzer targets (authentic
 * datagrams of the world of fuzz-common.c, in the targets' record
 * formats) so that a short run starts from the interesting states:
 *
 *   fuzz-seeds DIR    writes the files of DIR/control, DIR/frame, DIR/section
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fuzz-common.h"

static void put(const char *dir, const char *kind, int n, const GByteArray *b)
{
	g_autofree char *d = g_build_filename(dir, kind, NULL);
	g_autofree char *name = g_strdup_printf("%s/seed-%02d", d, n);

	g_mkdir_with_parents(d, 0755);
	if (!g_file_set_contents(name, (const char *)b->data, b->len, NULL)) {
		fprintf(stderr, "fuzz-seeds: cannot write %s\n", name);
		exit(1);
	}
}

/* A record of fuzz-control / fuzz-frame: flags, length, bytes. */
static void record(GByteArray *b, uint8_t flags, const uint8_t *p, size_t len)
{
	uint8_t hdr[3] = { flags, (uint8_t)(len >> 8), (uint8_t)len };

	g_byte_array_append(b, hdr, 3);
	g_byte_array_append(b, p, (guint)len);
}

static void control_seeds(const char *dir)
{
	struct fuzz_world w;
	uint8_t buf[HANDOFF_MAX_LEN];
	int (*const msgs[])(struct simq *, uint8_t *) = {
		simq_suspending, simq_activated, simq_end, simq_aborted,
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(msgs); i++) {
		g_autoptr(GByteArray) b = g_byte_array_new();
		int n;

		fuzz_world_init(&w);
		n = msgs[i](i == 1 ? &w.dst : &w.src, buf);
		/* Bit 0: re-sealed with the time of the run. */
		record(b, (uint8_t)(1 | (i == 1 ? 2 : 0)), buf, (size_t)n);
		if (i == 1) {
			n = simq_end(&w.src, buf);
			record(b, 1 | 4, buf, (size_t)n);
		}
		put(dir, "control", (int)i, b);
		fuzz_world_free(&w);
	}
}

static void frame_seeds(const char *dir)
{
	struct fuzz_world w;
	uint8_t pkt[HANDOFF_FRAME_HDR_LEN + 128], f[64];

	fuzz_world_init(&w);
	for (int i = 0; i < 4; i++) {
		g_autoptr(GByteArray) b = g_byte_array_new();

		memset(f, 0, sizeof(f));
		memcpy(f, w.src.nics[i & 1].mac, 6);
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
		/* sealed by the target (bit 0), and a whole sealed datagram */
		record(b, (uint8_t)(1 | (i & 1) << 1 | i << 2), f, sizeof(f));
		record(b, (uint8_t)((i & 1) << 1), pkt,
		       (size_t)simq_frame(&w.src, (unsigned int)(i & 1), (uint32_t)i, 40, pkt));
		put(dir, "frame", i, b);
	}
	fuzz_world_free(&w);
}

static void section_seeds(const char *dir)
{
	HandoffSection s = { 0 };
	uint8_t buf[HANDOFF_SECTION_MAX_LEN];
	g_autoptr(GByteArray) b = g_byte_array_new();
	int n;

	strcpy(s.manager, "manager.example:7790");
	s.data_port = 6081;
	memset(s.key, 0x42, sizeof(s.key));
	memset(s.migration_id, 0x17, sizeof(s.migration_id));
	n = handoff_section_encode(&s, buf, sizeof(buf));
	if (n < 0)
		exit(1);
	g_byte_array_append(b, buf, (guint)n);
	put(dir, "section", 0, b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	control_seeds(argv[1]);
	frame_seeds(argv[1]);
	section_seeds(argv[1]);
	return 0;
}
