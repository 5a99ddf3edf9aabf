/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ids.h - text forms of VM UUIDs (8-4-4-4-12 hex) and MAC addresses
 * (aa:bb:cc:dd:ee:ff).
 */
#ifndef MIG_IDS_H
#define MIG_IDS_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STRLEN 37
#define MAC_STRLEN 18

/**
 * uuid_format() - print a UUID as 8-4-4-4-12 lower-case hex.
 * @uuid: 16 bytes.
 * @buf: output, at least 37 bytes.
 *
 * Return: @buf.
 */
char *uuid_format(const uint8_t uuid[16], char buf[37]);

/**
 * uuid_parse() - parse a UUID in 8-4-4-4-12 hex form (any case).
 * @text: string.
 * @uuid: set on success.
 *
 * Return: true on success.
 */
bool uuid_parse(const char *text, uint8_t uuid[16]);

/**
 * mac_parse() - parse "aa:bb:cc:dd:ee:ff".
 * @text: string.
 * @mac: set on success.
 *
 * Return: true on success.
 */
bool mac_parse(const char *text, uint8_t mac[6]);

/**
 * mac_format() - print a MAC as "aa:bb:cc:dd:ee:ff".
 * @mac: 6 bytes.
 * @buf: output, at least 18 bytes.
 *
 * Return: @buf.
 */
char *mac_format(const uint8_t mac[6], char buf[18]);

#endif /* MIG_IDS_H */
