// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * size.c - parse byte counts with K/M/G/T suffixes, without overflow.
 */
#include "size.h"

#include <errno.h>

#include <glib.h>

bool size_parse(const char *text, uint64_t max, uint64_t *out)
{
	unsigned int shift = 0;
	guint64 v;
	char *end;

	if (!text || !g_ascii_isdigit(*text))
		return false;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return false;
	switch (g_ascii_toupper(*end)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (UINT64_MAX >> shift) || (v << shift) > max)
		return false;
	*out = v << shift;
	return true;
}
