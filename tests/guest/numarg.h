/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * numarg.h - strict parsing of numeric command line arguments.
 */
#ifndef MIG_NUMARG_H
#define MIG_NUMARG_H

#include <stdint.h>

/**
 * numarg_u64() - parse a whole decimal number within [@min, @max].
 * @s: the argument text.
 * @min: smallest accepted value.
 * @max: largest accepted value.
 * @out: result on success.
 *
 * Rejects empty strings, signs, trailing garbage and overflow.
 *
 * Return: 0 on success, -1 (with *@out untouched) otherwise.
 */
int numarg_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * numarg_double() - parse a finite decimal number within [@min, @max].
 * @s: the argument text.
 * @min: smallest accepted value.
 * @max: largest accepted value.
 * @out: result on success.
 *
 * Return: 0 on success, -1 (with *@out untouched) otherwise.
 */
int numarg_double(const char *s, double min, double max, double *out);

#endif /* MIG_NUMARG_H */
