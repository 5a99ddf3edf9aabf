// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ids.c - text forms of the identifiers every program handles: VM UUIDs
 * and MAC addresses.
 */
#include "ids.h"

#include <stdio.h>

#include <glib.h>

char *uuid_format(const uint8_t uuid[16], char buf[37])
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6],
		 uuid[7], uuid[8], uuid[9], uuid[10], uuid[11], uuid[12],
		 uuid[13], uuid[14], uuid[15]);
	return buf;
}

bool uuid_parse(const char *text, uint8_t uuid[16])
{
	unsigned int n = 0;

	if (!text || strlen(text) != 36)
		return false;
	for (unsigned int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return false;
			i++;
			continue;
		}
		if (!g_ascii_isxdigit(text[i]) || !g_ascii_isxdigit(text[i + 1]))
			return false;
		uuid[n++] = (uint8_t)(g_ascii_xdigit_value(text[i]) << 4 |
				      g_ascii_xdigit_value(text[i + 1]));
		i += 2;
	}
	return n == 16;
}

bool mac_parse(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;

		if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) ||
		    p[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 |
				   g_ascii_xdigit_value(p[1]));
	}
	return true;
}

char *mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
