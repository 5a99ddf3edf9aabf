// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services.c - migctl's service commands (see services.h).
 */
#include "services.h"

#include <stdio.h>
#include <string.h>

#include "admin-client.h"
#include "migrate.h"
#include "show.h"

/* One line of a service row. */
static void describe_row(JsonObject *r, GString *out)
{
	const char *err = json_str(r, "error");

	g_string_append_printf(out, "%s %s -> %s (%s), DNS %s", json_str(r, "id"),
			       json_str(r, "name"), json_str(r, "address"), json_str(r, "state"),
			       json_str(r, "dns"));
	if (json_int(r, "dns-tries") > 1)
		g_string_append_printf(out, " after %" G_GINT64_FORMAT " tries",
				       json_int(r, "dns-tries"));
	if (*err && strcmp(err, "-"))
		g_string_append_printf(out, ": %s", err);
}

void services_describe(JsonArray *a, GString *out, const char *indent)
{
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_OBJECT(n))
			continue;
		if (i)
			g_string_append_printf(out, "\n%s", indent);
		describe_row(json_node_get_object(n), out);
	}
}

static JsonNode *request(const char *cmd, const char *strs[][2], size_t n, char **ids)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, cmd);
	for (size_t i = 0; i < n; i++) {
		if (!strs[i][1])
			continue;
		json_builder_set_member_name(b, strs[i][0]);
		json_builder_add_string_value(b, strs[i][1]);
	}
	if (ids) {
		json_builder_set_member_name(b, "services");
		json_builder_begin_array(b);
		for (char **p = ids; *p; p++)
			json_builder_add_string_value(b, *p);
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static int print_rows(const struct migctl_opts *o, JsonNode *r)
{
	if (o->json || !JSON_NODE_HOLDS_ARRAY(r)) {
		show_json(r);
		return MIGCTL_OK;
	}
	for (unsigned int i = 0; i < json_array_get_length(json_node_get_array(r)); i++) {
		JsonNode *n = json_array_get_element(json_node_get_array(r), i);
		g_autoptr(GString) line = g_string_new(NULL);

		describe_row(json_node_get_object(n), line);
		printf("%s\n", line->str);
	}
	return MIGCTL_OK;
}

static int call(const struct migctl_opts *o, JsonNode *req, bool rows)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = admin_call(o->sock, req, &err);

	json_node_unref(req);
	if (!r)
		return migctl_fail(err);
	if (rows)
		return print_rows(o, r);
	if (o->json)
		show_json(r);
	else if (JSON_NODE_HOLDS_OBJECT(r))
		print_rows(o, r);
	return MIGCTL_OK;
}

static int cmd_add(const struct migctl_opts *o, int argc, char **argv)
{
	const char *strs[][2] = {
		{ "id", argc > 1 ? argv[1] : NULL }, { "name", NULL }, { "vm", NULL },
		{ "address", NULL },
	};

	if (argc < 2 || argv[1][0] == '-')
		return migctl_usage_error(argv[0], "service-add needs a service id first");
	for (int i = 2; i < argc; i += 2) {
		size_t k;

		if (i + 1 >= argc)
			return migctl_usage_error(argv[0], "%s needs a value", argv[i]);
		for (k = 1; k < G_N_ELEMENTS(strs); k++)
			if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, strs[k][0]))
				break;
		if (k == G_N_ELEMENTS(strs))
			return migctl_usage_error(argv[0], "service-add: unknown option '%s'",
						  argv[i]);
		strs[k][1] = argv[i + 1];
	}
	if (!strs[1][1] || !strs[2][1])
		return migctl_usage_error(argv[0], "service-add needs --name and --vm");
	return call(o, request("service-add", strs, G_N_ELEMENTS(strs), NULL), false);
}

static int cmd_scope(const struct migctl_opts *o, int argc, char **argv)
{
	const char *strs[][2] = { { "vm", argc > 1 ? argv[1] : NULL } };
	g_autoptr(GPtrArray) ids = g_ptr_array_new();

	if (argc < 2 || argv[1][0] == '-')
		return migctl_usage_error(argv[0], "service-scope needs a VM first");
	for (int i = 2; i < argc; i += 2) {
		if (strcmp(argv[i], "--service") || i + 1 >= argc)
			return migctl_usage_error(argv[0], "service-scope: unexpected '%s'",
						  argv[i]);
		g_ptr_array_add(ids, argv[i + 1]);
	}
	g_ptr_array_add(ids, NULL);
	return call(o, request("service-scope", strs, 1, (char **)ids->pdata), false);
}

/* The VM of service @id, from the manager's inventory (g_free()), or NULL. */
static char *vm_of(const struct migctl_opts *o, const char *id, GError **error)
{
	g_autoptr(JsonNode) req = admin_request("services", NULL);
	g_autoptr(JsonNode) r = admin_call(o->sock, req, error);

	if (!r)
		return NULL;
	for (unsigned int i = 0; JSON_NODE_HOLDS_ARRAY(r) &&
	     i < json_array_get_length(json_node_get_array(r)); i++) {
		JsonObject *s = json_array_get_object_element(json_node_get_array(r), i);

		if (!strcmp(json_str(s, "id"), id))
			return g_strdup(json_str(s, "vm"));
	}
	g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED, "no service '%s' in the inventory", id);
	return NULL;
}

/*
 * migrate-service SERVICE DEST-URI [options]: the single migration of seed
 * 003: only this service's row and name follow the VM.
 */
static int cmd_migrate_service(const struct migctl_opts *o, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *vm = NULL;
	g_autofree char **args = NULL;
	char *ids[] = { NULL, NULL };
	const char *strs[][2] = { { "vm", NULL } };
	g_autoptr(JsonNode) r = NULL;
	JsonNode *req;

	if (argc < 3 || argv[1][0] == '-')
		return migctl_usage_error(argv[0], "migrate-service needs a service and a "
					  "destination URI");
	vm = vm_of(o, argv[1], &err);
	if (!vm)
		return migctl_fail(err);
	strs[0][1] = vm;
	ids[0] = argv[1];
	req = request("service-scope", strs, 1, ids);
	r = admin_call(o->sock, req, &err);
	json_node_unref(req);
	if (!r)
		return migctl_fail(err);
	printf("migctl: service %s runs on %s: migrating %s, only %s's name follows\n",
	       argv[1], vm, vm, argv[1]);
	args = g_new0(char *, argc + 1);
	args[0] = (char *)"migrate";
	args[1] = vm;
	for (int i = 2; i < argc; i++)
		args[i] = argv[i];
	return migrate_main(o, argc, args);
}

int services_main(const struct migctl_opts *o, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "services")) {
		if (argc > 2)
			return migctl_usage_error(cmd, "services takes at most one VM");
		return call(o, admin_request("services", argc == 2 ? argv[1] : NULL), true);
	}
	if (!strcmp(cmd, "service-add"))
		return cmd_add(o, argc, argv);
	if (!strcmp(cmd, "service-remove")) {
		const char *strs[][2] = { { "id", argc == 2 ? argv[1] : NULL } };

		if (argc != 2)
			return migctl_usage_error(cmd, "service-remove needs exactly one service id");
		return call(o, request("service-remove", strs, 1, NULL), false);
	}
	if (!strcmp(cmd, "service-scope"))
		return cmd_scope(o, argc, argv);
	return cmd_migrate_service(o, argc, argv);
}
