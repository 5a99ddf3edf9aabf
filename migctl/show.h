/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * show.h - migctl's text output of the daemon's JSON answers.
 */
#ifndef MIGCTL_SHOW_H
#define MIGCTL_SHOW_H

#include <json-glib/json-glib.h>

/**
 * show_status() - print "migctl status".
 * @r: the daemon's status object.
 */
void show_status(JsonObject *r);

/**
 * show_vms() - print "migctl vms": one line per VM.
 * @a: the daemon's array of VM objects.
 */
void show_vms(JsonArray *a);

/**
 * show_vm() - print "migctl show VM" (also after register).
 * @v: the daemon's VM object.
 */
void show_vm(JsonObject *v);

/**
 * show_json() - print a JSON answer, indented.
 * @n: the answer.
 */
void show_json(JsonNode *n);

/**
 * json_int() - an integer member, 0 when absent.
 * @o: object, or NULL.
 * @k: member name.
 *
 * Return: the value.
 */
gint64 json_int(JsonObject *o, const char *k);

/**
 * json_str() - a string member, "-" when absent or null.
 * @o: object, or NULL.
 * @k: member name.
 *
 * Return: the value (owned by @o) or "-".
 */
const char *json_str(JsonObject *o, const char *k);

/**
 * json_obj() - an object member, NULL when absent.
 * @o: object, or NULL.
 * @k: member name.
 *
 * Return: the member (owned by @o) or NULL.
 */
JsonObject *json_obj(JsonObject *o, const char *k);

#endif /* MIGCTL_SHOW_H */
