/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services.h - "migctl services", "service-add", "service-remove",
 * "service-scope" and "migrate-service": the services a VM offers, kept
 * by mig-manager in its inventory; after a migration their rows and DNS
 * names follow the VM to its new address (docs/services.md).
 */
#ifndef MIGCTL_SERVICES_H
#define MIGCTL_SERVICES_H

#include <json-glib/json-glib.h>

#include "migctl.h"

/**
 * services_describe() - one line per service of migctl show's VM.
 * @a: the "services" member of the VM (an array of rows).
 * @out: the lines are appended here, each with @indent before it.
 * @indent: text before each line after the first.
 */
void services_describe(JsonArray *a, GString *out, const char *indent);

/**
 * services_main() - the commands services, service-add, service-remove,
 * service-scope and migrate-service.
 * @o: migctl's options.
 * @argc: arguments, argv[0] the command.
 * @argv: them.
 *
 * Return: the exit status.
 */
int services_main(const struct migctl_opts *o, int argc, char **argv);

#define SERVICES_ARGS "[VM]"
#define SERVICE_ADD_ARGS "ID --name DNS-NAME --vm VM [--address A]"
#define SERVICE_SCOPE_ARGS "VM [--service ID ...]"
#define MIGRATE_SERVICE_ARGS "SERVICE DEST-URI [migctl migrate options...]"

#endif /* MIGCTL_SERVICES_H */
