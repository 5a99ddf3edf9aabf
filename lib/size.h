/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * size.h - byte counts as operators write them: digits with an optional
 * K, M, G or T suffix (powers of 1024), optionally followed by "i" and
 * "B" ("64M", "64MiB" and "64MB" are the same).
 */
#ifndef MIG_SIZE_H
#define MIG_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * size_parse() - parse a byte count.
 * @text: the text; leading and trailing blanks are not allowed.
 * @max: largest accepted value.
 * @out: set on success.
 *
 * A value whose suffix would overflow 64 bits, or above @max, is refused
 * (never wrapped).
 *
 * Return: true on success.
 */
bool size_parse(const char *text, uint64_t max, uint64_t *out);

#endif /* MIG_SIZE_H */
