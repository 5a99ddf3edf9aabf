// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * provision.c - migctl prepare, commit and abort (see provision.h).
 */
#include "provision.h"

#include <stdio.h>
#include <string.h>

#include "admin-client.h"
#include "show.h"
#include "size.h"

JsonNode *migctl_prepare(const char *sock, const struct prepare_args *a, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) req = NULL;
	const struct { const char *name, *v; } strs[] = {
		{ "cmd", "prepare" }, { "vm", a->vm }, { "to", a->to }, { "from", a->from },
		{ "port", a->port }, { "src-port", a->src_port },
	};

	json_builder_begin_object(b);
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++) {
		if (!strs[i].v)
			continue;
		json_builder_set_member_name(b, strs[i].name);
		json_builder_add_string_value(b, strs[i].v);
	}
	if (a->min_bw > 0) {
		json_builder_set_member_name(b, "min-bandwidth");
		json_builder_add_int_value(b, a->min_bw);
	}
	json_builder_end_object(b);
	req = json_builder_get_root(b);
	return admin_call(sock, req, error);
}

JsonNode *migctl_finish(const char *sock, const char *cmd, const char *vm, GError **error)
{
	return admin_simple(sock, cmd, vm, error);
}

char *provision_describe(JsonObject *r)
{
	GString *s = g_string_new(NULL);
	const char *err = json_str(r, "error");
	gint64 cap = json_int(r, "capacity"), probe = json_int(r, "probe-ms");

	g_string_append_printf(s, "%s (%s -> %s): %" G_GINT64_FORMAT " rules, channel %s",
			       json_str(r, "state"), json_str(r, "from"), json_str(r, "to"),
			       json_int(r, "rules"), *json_str(r, "channel") ?
			       json_str(r, "channel") : "none");
	if (probe >= 0)
		g_string_append_printf(s, " (probe %" G_GINT64_FORMAT " ms)", probe);
	if (cap >= 0)
		g_string_append_printf(s, ", migration channel %.1f Mbit/s", cap * 8 / 1e6);
	g_string_append_printf(s, ", %" G_GINT64_FORMAT " ms", json_int(r, "ms"));
	if (*err)
		g_string_append_printf(s, ": %s [%s]", err, json_str(r, "code"));
	return g_string_free(s, FALSE);
}

static int print_record(const struct migctl_opts *o, JsonNode *r, const char *vm)
{
	g_autofree char *line = NULL;

	if (o->json) {
		show_json(r);
		return MIGCTL_OK;
	}
	line = provision_describe(json_node_get_object(r));
	printf("%s: %s\n", vm, line);
	return MIGCTL_OK;
}

static int cmd_prepare(const struct migctl_opts *o, int argc, char **argv)
{
	struct prepare_args a = { .vm = argc > 1 ? argv[1] : NULL };
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;

	if (!a.vm || a.vm[0] == '-')
		return migctl_usage_error(argv[0], "prepare needs a VM first");
	for (int i = 2; i < argc; i += 2) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

		if (!v)
			return migctl_usage_error(argv[0], "%s needs a value", opt);
		if (!strcmp(opt, "--to"))
			a.to = v;
		else if (!strcmp(opt, "--from"))
			a.from = v;
		else if (!strcmp(opt, "--port"))
			a.port = v;
		else if (!strcmp(opt, "--src-port"))
			a.src_port = v;
		else if (!strcmp(opt, "--min-bandwidth") && size_parse(v, G_MAXINT64, &n))
			a.min_bw = (gint64)n;
		else if (!strcmp(opt, "--min-bandwidth"))
			return migctl_usage_error(argv[0], "--min-bandwidth '%s' is not a byte count", v);
		else
			return migctl_usage_error(argv[0], "prepare: unknown option '%s'", opt);
	}
	if (!a.to)
		return migctl_usage_error(argv[0], "prepare needs --to HOST");
	r = migctl_prepare(o->sock, &a, &err);
	if (!r)
		return migctl_fail(err);
	return print_record(o, r, a.vm);
}

static int cmd_finish(const struct migctl_opts *o, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;

	if (argc != 2)
		return migctl_usage_error(argv[0], "%s needs exactly one VM", argv[0]);
	r = migctl_finish(o->sock, argv[0], argv[1], &err);
	if (!r)
		return migctl_fail(err);
	return print_record(o, r, argv[1]);
}

int provision_main(const struct migctl_opts *o, int argc, char **argv)
{
	return !strcmp(argv[0], "prepare") ? cmd_prepare(o, argc, argv) :
	       cmd_finish(o, argc, argv);
}
