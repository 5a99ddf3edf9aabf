// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-dirty - keep dirtying guest memory at a steady rate, so that live
 * migration has to resend pages.
 *
 * Allocates MiB of working set, touches all of it once, then writes one
 * byte per page, round-robin, at a paced rate (or as fast as possible).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "numarg.h"

#define MIB            (UINT64_C(1) << 20)
#define SLICE_NS       (10 * UINT64_C(1000000)) /* pacing granularity */
#define MAX_BEHIND_NS  (100 * UINT64_C(1000000)) /* then stop catching up */
#define REPORT_NS      (5 * NSEC_PER_SEC)
#define FAST_BATCH     4096 /* pages between clock reads when unpaced */

/**
 * struct dirtier - the working set and progress.
 * @mem: working set.
 * @page_size: bytes per page.
 * @npages: pages in @mem.
 * @next: index of the next page to write.
 * @pass: incremented at each wrap, written into the pages.
 * @written: pages written since start.
 * @quiet: no progress lines.
 * @report_at: time of the next progress line.
 * @reported: @written at the previous progress line.
 * @reported_ns: time of the previous progress line.
 */
struct dirtier {
	unsigned char *mem;
	size_t page_size;
	size_t npages;
	size_t next;
	unsigned char pass;
	uint64_t written;
	bool quiet;
	uint64_t report_at;
	uint64_t reported;
	uint64_t reported_ns;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s -m MiB [-r MiB_PER_S] [-q]\n"
		"Dirty guest memory: touch MiB once, then write one byte per page\n"
		"round-robin at the given rate.\n"
		"\n"
		"  -m, --mem MiB       working set size in MiB (required, >= 1)\n"
		"  -r, --rate MiB/s    dirtying rate; 0 or absent: as fast as possible\n"
		"  -q, --quiet         no progress line every 5 s\n"
		"  -h, --help          show this help\n",
		prog);
}

static void write_pages(struct dirtier *d, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		/* volatile: the stores are the point, never read back */
		((volatile unsigned char *)d->mem)[d->next * d->page_size] =
			d->pass;
		if (++d->next == d->npages) {
			d->next = 0;
			d->pass++;
		}
	}
	d->written += n;
}

static void maybe_report(struct dirtier *d, uint64_t now)
{
	double secs, mibps;
	uint64_t pages;

	if (now < d->report_at)
		return;
	pages = d->written - d->reported;
	secs = (double)(now - d->reported_ns) / 1e9;
	mibps = (double)pages * (double)d->page_size / (double)MIB / secs;
	if (!d->quiet) {
		printf("mig-dirty: %llu pages written in %.1f s (%.1f MiB/s), total %llu\n",
		       (unsigned long long)pages, secs, mibps,
		       (unsigned long long)d->written);
		fflush(stdout);
	}
	d->reported = d->written;
	d->reported_ns = now;
	d->report_at = now + REPORT_NS;
}

static void run_unpaced(struct dirtier *d)
{
	for (;;) {
		write_pages(d, FAST_BATCH);
		maybe_report(d, mono_ns());
	}
}

static void run_paced(struct dirtier *d, double pages_per_s)
{
	double per_slice = pages_per_s * (double)SLICE_NS / 1e9;
	double credit = 0;
	uint64_t next = mono_ns();

	for (;;) {
		uint64_t now, n;

		credit += per_slice;
		n = (uint64_t)credit;
		credit -= (double)n;
		write_pages(d, n);

		next += SLICE_NS;
		now = mono_ns();
		maybe_report(d, now);
		/* After a long stall (e.g. the VM was paused) do not burst. */
		if (now > next + MAX_BEHIND_NS)
			next = now;
		sleep_until_ns(next);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct dirtier d = { 0 };
	uint64_t mib = 0;
	double rate = 0;
	long ps;
	size_t bytes;
	int c;

	while ((c = getopt_long(argc, argv, "m:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (numarg_u64(optarg, 1, SIZE_MAX / MIB, &mib) < 0) {
				fprintf(stderr, "mig-dirty: invalid size '%s' (expected a whole number of MiB >= 1)\n",
					optarg);
				return 1;
			}
			break;
		case 'r':
			if (numarg_double(optarg, 0, 1e6, &rate) < 0) {
				fprintf(stderr, "mig-dirty: invalid rate '%s' (expected MiB/s, 0-1000000)\n",
					optarg);
				return 1;
			}
			break;
		case 'q':
			d.quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mig-dirty: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr, argv[0]);
		return 1;
	}
	if (mib == 0) {
		fprintf(stderr, "mig-dirty: -m MiB is required\n");
		usage(stderr, argv[0]);
		return 1;
	}

	ps = sysconf(_SC_PAGESIZE);
	d.page_size = ps > 0 ? (size_t)ps : 4096;
	bytes = (size_t)mib * MIB;
	d.npages = bytes / d.page_size;
	d.mem = malloc(bytes);
	if (!d.mem) {
		fprintf(stderr, "mig-dirty: cannot allocate %llu MiB\n",
			(unsigned long long)mib);
		return 1;
	}
	memset(d.mem, 0x5a, bytes);

	d.reported_ns = mono_ns();
	d.report_at = d.reported_ns + REPORT_NS;
	if (!d.quiet) {
		printf("mig-dirty: %llu MiB touched (%zu pages), dirtying ",
		       (unsigned long long)mib, d.npages);
		if (rate > 0)
			printf("at %.1f MiB/s\n", rate);
		else
			printf("as fast as possible\n");
		fflush(stdout);
	}
	if (rate > 0)
		run_paced(&d, rate * (double)MIB / (double)d.page_size);
	else
		run_unpaced(&d);
	return 0;
}
