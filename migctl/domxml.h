/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * domxml.h - what migctl migrate reads from and adds to a libvirt domain
 * XML: identity, memory, NICs, and the handoff objects of QEMU's command
 * line (<qemu:commandline>).
 */
#ifndef DOMXML_H
#define DOMXML_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define DOMXML_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/**
 * struct domxml_nic - one <interface> of a domain
 * @mac:	MAC address, lower case
 * @alias:	device alias (net0, ...), empty in an inactive definition
 * @netdev:	QEMU netdev ID libvirt gives it: "host" + alias
 */
struct domxml_nic {
	char mac[18];
	char alias[64];
	char netdev[68];
};

/**
 * struct domxml - facts of a domain definition
 * @name:	domain name
 * @uuid:	domain UUID (the one QEMU gets with -uuid)
 * @emulator:	<emulator> path, or NULL
 * @memory_kib:	<memory> in KiB
 * @nics:	array of struct domxml_nic
 * @handoff_args:	a <qemu:arg> creates a filter-migration-handoff
 */
struct domxml {
	char *name;
	char *uuid;
	char *emulator;
	uint64_t memory_kib;
	GArray *nics;
	bool handoff_args;
};

/**
 * domxml_parse() - read a domain XML
 * @xml:	the XML document
 * @d:		filled in; release with domxml_clear() (also on failure)
 * @error:	set on failure
 *
 * Return: true on success, false (and @error) if @xml is not a domain.
 */
bool domxml_parse(const char *xml, struct domxml *d, GError **error);

/**
 * domxml_clear() - free what domxml_parse() allocated
 * @d:		the parsed domain
 */
void domxml_clear(struct domxml *d);

/**
 * domxml_filter_json() - a filter-migration-handoff object on a NIC's
 * netdev, as JSON (for -object and for QMP object-add)
 * @nic:	the NIC whose guest-bound frames are handed off
 *
 * Return: the JSON text (g_free); its id is "handoff-" + the NIC's alias.
 */
char *domxml_filter_json(const struct domxml_nic *nic);

/**
 * domxml_filter_args() - the QEMU arguments of the handoff filters of
 * every NIC (the destination's domain XML: the VM key and the manager
 * reach the destination QEMU in the migration stream)
 * @nics:	array of struct domxml_nic
 *
 * Return: NULL-terminated vector (g_strfreev): "-object", filter JSON,
 * once per NIC.
 */
char **domxml_filter_args(const GArray *nics);

/**
 * domxml_secret_json() - a secret object holding the VM key, as JSON for
 * QMP object-add (never on a command line: ps would show it)
 * @key_id:	ID of the secret object (QEMU's handoff-key parameter)
 * @key_b64:	the VM key in base64
 *
 * Return: the JSON text (g_free).
 */
char *domxml_secret_json(const char *key_id, const char *key_b64);

/**
 * domxml_add_qemu_args() - append arguments to QEMU's command line
 * @xml:	a domain XML
 * @args:	NULL-terminated arguments
 * @error:	set on failure
 *
 * Adds a <qemu:commandline> element with one <qemu:arg> per argument
 * (declaring the qemu namespace on <domain> if needed); the rest of the
 * document is unchanged.
 *
 * Return: the new XML (g_free), or NULL and @error.
 */
char *domxml_add_qemu_args(const char *xml, char *const *args, GError **error);

#endif /* DOMXML_H */
