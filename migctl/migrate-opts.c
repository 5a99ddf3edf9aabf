// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migrate-opts.c - the command line of "migctl migrate" and the governor
 * defaults that depend on it.
 *
 * migctl's own options are taken out; everything else goes to virsh
 * migrate unchanged and in the same order (a few are noted on the way:
 * --xml, --bandwidth, --auto-converge).
 */
#include <string.h>

#include "migrate-internal.h"
#include "size.h"

/* h when neither --remaining nor virsh --bandwidth is given: 300 ms (QEMU's
 * downtime-limit) at 1 Gbit/s, rounded down to 32 MiB; see migrate_defaults() */
#define DEFAULT_REMAINING (32 * 1024 * 1024LL)
#define DEFAULT_MIN_BANDWIDTH 12500000LL	/* QEMU's bandwidth-min default */
#define DEFAULT_MAX_ROUNDS 30			/* QEMU's bandwidth-max-rounds default */

static bool usage_err(GError **error, const char *fmt, const char *a)
{
	g_set_error(error, MIGCTL_ERROR, MIGCTL_USAGE, fmt, a);
	return false;
}

/*
 * --name VALUE or --name=VALUE at argv[*i]: true and *value set (*i past
 * it) if argv[*i] is that option; a missing VALUE is a usage error
 * (*missing set).
 */
static bool opt_value(int argc, char **argv, int *i, const char *name,
		      const char **value, bool *missing)
{
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return true;
		}
		*value = argv[++*i];
		return true;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return true;
	}
	return false;
}

static bool parse_bytes(const char *what, const char *v, gint64 *out,
			GError **error)
{
	uint64_t n;

	if (!size_parse(v, G_MAXINT64, &n)) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_USAGE,
			    "%s '%s' is not a byte count (digits, optional K/M/G/T)",
			    what, v);
		return false;
	}
	*out = (gint64)n;
	return true;
}

/* A virsh option: passed on verbatim, a few noted. */
static bool virsh_option(struct migrate *l, int argc, char **argv, int i,
			 GError **error)
{
	uint64_t n;

	if (!strcmp(argv[i], "--auto-converge"))
		l->auto_converge = true;
	if (!strcmp(argv[i], "--xml") && i + 1 < argc)
		l->xml_arg = (int)l->virsh->len + 1;
	if (!strcmp(argv[i], "--bandwidth") && i + 1 < argc)
		l->bandwidth_mib = size_parse(argv[i + 1], G_MAXINT64 >> 20, &n) ?
			(gint64)n : -1;
	if (g_str_has_prefix(argv[i], "--xml=") ||
	    g_str_has_prefix(argv[i], "--bandwidth="))
		return usage_err(error, "write %s as two arguments (option, value)",
				 argv[i]);
	g_ptr_array_add(l->virsh, g_strdup(argv[i]));
	return true;
}

/* migctl's own option at argv[*i]: true if it was one (or an error). */
static bool own_option(struct migrate *l, int argc, char **argv, int *i,
		       bool *handled, GError **error)
{
	const char *v = NULL;
	bool missing = false;
	char *end;

	*handled = true;
	if (opt_value(argc, argv, i, "--connect", &v, &missing) ||
	    opt_value(argc, argv, i, "-c", &v, &missing)) {
		l->connect = v;
	} else if (opt_value(argc, argv, i, "--policy", &v, &missing)) {
		if (v && strcmp(v, "dirty-factor") && strcmp(v, "xen-adaptive") &&
		    strcmp(v, "none"))
			return usage_err(error, "--policy '%s': expected dirty-factor, xen-adaptive or none", v);
		l->policy = v;
	} else if (opt_value(argc, argv, i, "--max-rounds", &v, &missing)) {
		l->max_rounds = v ? g_ascii_strtoll(v, &end, 10) : 0;
		if (v && (*end || !*v || l->max_rounds < 1 || l->max_rounds > 1000))
			return usage_err(error, "--max-rounds '%s': expected 1 to 1000", v);
	} else if (opt_value(argc, argv, i, "--remaining", &v, &missing)) {
		if (v && !parse_bytes("--remaining", v, &l->remaining, error))
			return false;
	} else if (opt_value(argc, argv, i, "--min-bandwidth", &v, &missing)) {
		if (v && !parse_bytes("--min-bandwidth", v, &l->min_bw, error))
			return false;
	} else if (opt_value(argc, argv, i, "--manager", &v, &missing)) {
		l->manager = v;
	} else if (opt_value(argc, argv, i, "--key-file", &v, &missing)) {
		l->key_file = v;
	} else if (opt_value(argc, argv, i, "--provision", &v, &missing)) {
		l->provision_to = v;
	} else if (opt_value(argc, argv, i, "--provision-from", &v, &missing)) {
		l->provision_from = v;
	} else if (opt_value(argc, argv, i, "--new-ip", &v, &missing)) {
		l->new_ip = v;
	} else if (opt_value(argc, argv, i, "--new-mac", &v, &missing)) {
		l->new_mac = v;
	} else if (!strcmp(argv[*i], "--no-register")) {
		l->no_register = true;
	} else {
		*handled = false;
	}
	if (missing)
		return usage_err(error, "%s needs a value", argv[*i]);
	return true;
}

bool migrate_parse_args(struct migrate *l, int argc, char **argv,
			GError **error)
{
	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_err(error, "%s", "migrate needs DOMAIN and DEST-URI first");
	l->domain = argv[1];
	l->desturi = argv[2];
	for (int i = 3; i < argc; i++) {
		bool own;

		if (!own_option(l, argc, argv, &i, &own, error))
			return false;
		if (own)
			continue;
		if (!strcmp(argv[i], "--domain") || !strcmp(argv[i], "--desturi") ||
		    g_str_has_prefix(argv[i], "--domain=") ||
		    g_str_has_prefix(argv[i], "--desturi="))
			return usage_err(error, "give DOMAIN and DEST-URI as the first two arguments, not %s",
					 argv[i]);
		if (!virsh_option(l, argc, argv, i, error))
			return false;
	}
	if ((l->new_ip || l->new_mac) && (l->no_register || !l->manager))
		return usage_err(error, "%s",
				 "--new-ip and --new-mac are told to mig-manager: they need --manager, without --no-register");
	if (l->auto_converge && strcmp(l->policy, "none")) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_USAGE,
			    "virsh's --auto-converge and --policy %s exclude each other (QEMU refuses both at once); use --policy none for auto-converge",
			    l->policy);
		return false;
	}
	return true;
}

/*
 * Every governor parameter gets a value, so that a migration does not
 * inherit what an earlier migctl migrate of the same QEMU set; the
 * defaults depend on the user's virsh options (docs/libvirt.md).
 */
bool migrate_defaults(struct migrate *l, GError **error)
{
	gint64 ram = (gint64)l->dx.memory_kib * 1024;
	gint64 max = l->bandwidth_mib > 0 ? l->bandwidth_mib << 20 : -1;

	if (l->max_rounds < 0)
		l->max_rounds = DEFAULT_MAX_ROUNDS;
	/* libvirt migrates at "unlimited" max-bandwidth unless --bandwidth is
	 * given; QEMU's estimate of h (max-bandwidth x downtime-limit) would
	 * then be the whole RAM and the target factor 1.  With --bandwidth,
	 * QEMU's estimate (0). */
	if (l->remaining < 0)
		l->remaining = max > 0 ? 0 :
			ram > 0 ? MIN(DEFAULT_REMAINING, ram / 2) : DEFAULT_REMAINING;
	/* QEMU refuses a max-bandwidth below bandwidth-min while a policy is
	 * set: libvirt's --bandwidth must stay valid. */
	if (l->min_bw < 0)
		l->min_bw = max > 0 && max < DEFAULT_MIN_BANDWIDTH ? max :
			DEFAULT_MIN_BANDWIDTH;
	if (l->min_bw > 0 && max > 0 && l->min_bw > max) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "--min-bandwidth %" G_GINT64_FORMAT " is above virsh's --bandwidth %"
			    G_GINT64_FORMAT " MiB/s", l->min_bw, l->bandwidth_mib);
		return false;
	}
	return true;
}
