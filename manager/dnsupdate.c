// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsupdate.c - RFC 2136 dynamic update with TSIG (see dnsupdate.h).
 *
 * libldns builds the UPDATE message, signs it and verifies the answer's
 * TSIG; the exchange itself (one UDP datagram, TCP if the answer is
 * truncated) is on GSocket: connected sockets, so an ICMP "port
 * unreachable" ends the wait and only the server's datagrams are read,
 * MSG_NOSIGNAL on TCP, close-on-exec, and one deadline per try (ldns's
 * own senders have none of these).
 */
#include "dnsupdate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <ldns/ldns.h>

G_DEFINE_QUARK(mig-dnsupd-key-error-quark, dnsupd_key_error)

/* RFC 8945 §5.2.3: the fudge of the requests, and of answers we accept */
#define TSIG_FUDGE 300

/**
 * struct dnsupd_key - a TSIG key.
 * @name: its name, absolute.
 * @algorithm: the algorithm, as named in key files ("hmac-sha256").
 * @ldns_alg: its name for libldns ("hmac-sha256.").
 * @secret: the secret, base64 (libldns takes it so).
 */
struct dnsupd_key {
	char *name;
	const char *algorithm;
	const char *ldns_alg;
	char *secret;
};

static const struct {
	const char *name, *ldns;
} algorithms[] = {
	{ "hmac-sha256", "hmac-sha256." },
	{ "hmac-sha512", "hmac-sha512." },
	{ "hmac-sha1", "hmac-sha1." },
};

/*
 * The words of a key file: quoted strings, "{", "}", and runs of other
 * characters, split at white space and ; { }, without comments.
 */
static GPtrArray *key_file_words(const char *s)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);

	while (*s) {
		const char *e;

		if (*s == '{' || *s == '}') {
			g_ptr_array_add(w, g_strndup(s, 1));
			s++;
		} else if (g_ascii_isspace(*s) || *s == ';') {
			s++;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			s += strcspn(s, "\n");
		} else if (*s == '"') {
			e = strchr(s + 1, '"');
			e = e ? e : s + strlen(s);
			g_ptr_array_add(w, g_strndup(s + 1, e - s - 1));
			s = *e ? e + 1 : e;
		} else {
			e = s + strcspn(s, " \t\r\n;{}\"#");
			g_ptr_array_add(w, g_strndup(s, e - s));
			s = e;
		}
	}
	return w;
}

/* BIND: key NAME { algorithm ALG; secret "S"; };  (the first one) */
static void bind_key(GPtrArray *w, const char **name, const char **alg, const char **secret)
{
	char **t = (char **)w->pdata;

	for (guint i = 0; i + 2 < w->len; i++) {
		if (strcmp(t[i], "key") || strcmp(t[i + 2], "{"))
			continue;
		*name = t[i + 1];
		for (i += 3; i + 1 < w->len && strcmp(t[i], "}"); i++)
			if (!strcmp(t[i], "algorithm"))
				*alg = t[++i];
			else if (!strcmp(t[i], "secret"))
				*secret = t[++i];
		return;
	}
}

/* Knot: key: - id: NAME algorithm: ALG secret: S  (the first one) */
static void knot_key(GPtrArray *w, const char **name, const char **alg, const char **secret)
{
	char **t = (char **)w->pdata;

	for (guint i = 0; i + 1 < w->len; i++) {
		if (strcmp(t[i], "key:"))
			continue;
		/* the section's items, up to the next key or section */
		for (i++; i + 1 < w->len; i++) {
			if (!strcmp(t[i], "id:") && !*name)
				*name = t[++i];
			else if (!strcmp(t[i], "algorithm:") && *name)
				*alg = t[++i];
			else if (!strcmp(t[i], "secret:") && *name)
				*secret = t[++i];
			else if (g_str_has_suffix(t[i], ":"))
				break;
		}
		if (*name)
			return;
	}
}

struct dnsupd_key *dnsupd_key_load(const char *path, GError **err)
{
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) w = NULL;
	const char *name = NULL, *alg = NULL, *secret = NULL;
	g_autofree char *alg_lc = NULL;
	ldns_rdf *rdf = NULL;
	struct dnsupd_key *k;
	char *rdf_str;
	size_t a;

	if (!g_file_get_contents(path, &text, NULL, err)) {
		g_prefix_error(err, "TSIG key: ");
		return NULL;
	}
	w = key_file_words(text);
	bind_key(w, &name, &alg, &secret);
	if (!name)
		knot_key(w, &name, &alg, &secret);
	if (!name) {
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: no key (neither Knot's \"key: - id:\" nor BIND's "
			    "\"key NAME { ... };\")", path);
		return NULL;
	}
	if (!alg) {
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: key %s has no algorithm", path, name);
		return NULL;
	}
	alg_lc = g_ascii_strdown(alg, -1);
	if (g_str_has_suffix(alg_lc, "."))
		alg_lc[strlen(alg_lc) - 1] = '\0';
	for (a = 0; a < G_N_ELEMENTS(algorithms); a++)
		if (!strcmp(alg_lc, algorithms[a].name))
			break;
	if (a == G_N_ELEMENTS(algorithms)) {
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: key %s: unknown algorithm '%s' "
			    "(hmac-sha256, hmac-sha512 or hmac-sha1)", path, name, alg);
		return NULL;
	}
	if (!secret || !*secret) {
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: key %s has no secret", path, name);
		return NULL;
	}
	if (ldns_str2rdf_b64(&rdf, secret) != LDNS_STATUS_OK || !ldns_rdf_size(rdf)) {
		ldns_rdf_deep_free(rdf);
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: key %s: the secret is not base64", path, name);
		return NULL;
	}
	ldns_rdf_deep_free(rdf);
	rdf = ldns_dname_new_frm_str(name);
	if (!rdf) {
		g_set_error(err, DNSUPD_KEY_ERROR, DNSUPD_KEY_INVALID,
			    "TSIG key %s: '%s' is not a domain name", path, name);
		return NULL;
	}
	k = g_new0(struct dnsupd_key, 1);
	rdf_str = ldns_rdf2str(rdf);
	k->name = g_strdup(rdf_str);
	free(rdf_str);
	ldns_rdf_deep_free(rdf);
	k->algorithm = algorithms[a].name;
	k->ldns_alg = algorithms[a].ldns;
	k->secret = g_strdup(secret);
	return k;
}

const char *dnsupd_key_name(const struct dnsupd_key *k)
{
	return k->name;
}

const char *dnsupd_key_algorithm(const struct dnsupd_key *k)
{
	return k->algorithm;
}

void dnsupd_key_free(struct dnsupd_key *k)
{
	if (!k)
		return;
	g_free(k->name);
	memset(k->secret, 0, strlen(k->secret));
	g_free(k->secret);
	g_free(k);
}

const char *dnsupd_status_str(enum dnsupd_status s)
{
	static const char *const names[] = {
		[DNSUPD_OK] = "ok",		[DNSUPD_UNREACHABLE] = "unreachable",
		[DNSUPD_AUTH] = "auth",		[DNSUPD_REFUSED] = "refused",
		[DNSUPD_SERVFAIL] = "servfail",	[DNSUPD_INVALID] = "invalid",
	};

	return (unsigned int)s < G_N_ELEMENTS(names) ? names[s] : "?";
}

static enum dnsupd_status G_GNUC_PRINTF(4, 5)
fail(char *errbuf, size_t errlen, enum dnsupd_status st, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		g_vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* The TSIG error names of RFC 8945 and RFC 7873 (16 ...). */
static const char *tsig_error_str(uint16_t e)
{
	static const char *const names[] = {
		"BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG",
		"BADTRUNC", "BADCOOKIE",
	};

	return e >= 16 && e - 16 < (int)G_N_ELEMENTS(names) ? names[e - 16] : NULL;
}

static const char *rcode_str(uint8_t rcode, char *buf, size_t len)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	if (lt)
		return lt->name;
	g_snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

/* Wait until @s is ready for @cond, at most until @deadline. */
static bool wait_for(GSocket *s, GIOCondition cond, gint64 deadline, GError **err)
{
	gint64 left = deadline - g_get_monotonic_time();

	if (left <= 0) {
		g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
		return false;
	}
	return g_socket_condition_timed_wait(s, cond, left, NULL, err);
}

/* Send or receive exactly @len bytes on stream socket @s. */
static bool stream_io(GSocket *s, bool out, uint8_t *buf, size_t len, gint64 deadline,
		      GError **err)
{
	while (len) {
		gssize n;

		if (!wait_for(s, out ? G_IO_OUT : G_IO_IN, deadline, err))
			return false;
		n = out ? g_socket_send(s, (const char *)buf, len, NULL, err)
			: g_socket_receive(s, (char *)buf, len, NULL, err);
		if (n < 0)
			return false;
		if (n == 0) {
			g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
					    "connection closed");
			return false;
		}
		buf += n;
		len -= n;
	}
	return true;
}

/*
 * Send @q (@qlen bytes) to @to over UDP or TCP and receive the answer
 * with the query's ID, within @timeout_ms.  Return: the answer
 * (g_free()), its length in @alen, or NULL and @err.
 */
static uint8_t *exchange(GSocketAddress *to, bool tcp, const uint8_t *q, size_t qlen,
			 int timeout_ms, size_t *alen, GError **err)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_autoptr(GSocket) s = NULL;
	g_autofree uint8_t *buf = NULL;
	uint8_t len[2];
	gssize n;

	s = g_socket_new(g_socket_address_get_family(to),
			 tcp ? G_SOCKET_TYPE_STREAM : G_SOCKET_TYPE_DATAGRAM,
			 tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, err);
	if (!s)
		return NULL;
	g_socket_set_blocking(s, FALSE);
	if (!g_socket_connect(s, to, NULL, err)) {
		if (!g_error_matches(*err, G_IO_ERROR, G_IO_ERROR_PENDING))
			return NULL;
		g_clear_error(err);
		if (!wait_for(s, G_IO_OUT, deadline, err) ||
		    !g_socket_check_connect_result(s, err))
			return NULL;
	}
	if (tcp) {
		len[0] = qlen >> 8;
		len[1] = qlen & 0xff;
		if (!stream_io(s, true, len, 2, deadline, err) ||
		    !stream_io(s, true, (uint8_t *)q, qlen, deadline, err) ||
		    !stream_io(s, false, len, 2, deadline, err))
			return NULL;
		*alen = (size_t)len[0] << 8 | len[1];
		if (*alen < LDNS_HEADER_SIZE) {
			g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "short answer");
			return NULL;
		}
		buf = g_malloc(*alen);
		if (!stream_io(s, false, buf, *alen, deadline, err))
			return NULL;
		if (LDNS_ID_WIRE(buf) != LDNS_ID_WIRE(q) || !LDNS_QR_WIRE(buf)) {
			g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "answer with another ID");
			return NULL;
		}
		return g_steal_pointer(&buf);
	}
	if (g_socket_send(s, (const char *)q, qlen, NULL, err) < 0)
		return NULL;
	buf = g_malloc(65535);
	for (;;) {
		if (!wait_for(s, G_IO_IN, deadline, err))
			return NULL;
		n = g_socket_receive(s, (char *)buf, 65535, NULL, err);
		if (n < 0) {
			if (!g_error_matches(*err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return NULL;
			g_clear_error(err);
		} else if (n >= LDNS_HEADER_SIZE && LDNS_ID_WIRE(buf) == LDNS_ID_WIRE(q) &&
			   LDNS_QR_WIRE(buf)) {
			*alen = n;
			return g_steal_pointer(&buf);
		}
	}
}

/* Check the answer's TSIG against @key and the request's MAC. */
static enum dnsupd_status check_tsig(ldns_pkt *ans, const uint8_t *wire, size_t len,
				     const struct dnsupd_key *key, const ldns_rdf *req_mac,
				     const char *who, char *errbuf, size_t errlen)
{
	ldns_rr *tsig = ldns_pkt_tsig(ans);
	ldns_rdf *kname = ldns_dname_new_frm_str(key->name);
	ldns_rdf *alg = ldns_dname_new_frm_str(key->ldns_alg);
	bool same = kname && alg && !ldns_dname_compare(ldns_rr_owner(tsig), kname) &&
		    !ldns_dname_compare(ldns_rr_rdf(tsig, 0), alg);
	const uint8_t *t;
	int64_t signed_at, off;

	ldns_rdf_deep_free(kname);
	ldns_rdf_deep_free(alg);
	/* (ldns_pkt_tsig_verify() leaks the TSIG RR on an unknown algorithm) */
	if (!same)
		return fail(errbuf, errlen, DNSUPD_AUTH,
			    "answer from %s is signed with another key or algorithm", who);
	if (!ldns_pkt_tsig_verify(ans, wire, len, key->name, key->secret, req_mac))
		return fail(errbuf, errlen, DNSUPD_AUTH,
			    "TSIG of the answer from %s does not verify", who);
	if (ldns_rdf_size(ldns_rr_rdf(tsig, 1)) != 6)
		return fail(errbuf, errlen, DNSUPD_AUTH, "malformed TSIG from %s", who);
	t = ldns_rdf_data(ldns_rr_rdf(tsig, 1));
	signed_at = (int64_t)t[0] << 40 | (int64_t)t[1] << 32 | (int64_t)t[2] << 24 |
		    (int64_t)t[3] << 16 | (int64_t)t[4] << 8 | t[5];
	off = signed_at - (int64_t)time(NULL);
	if (off > TSIG_FUDGE || off < -TSIG_FUDGE)
		return fail(errbuf, errlen, DNSUPD_AUTH,
			    "TSIG of the answer from %s: its time is off by %" G_GINT64_FORMAT
			    " s", who, off);
	return DNSUPD_OK;
}

/* What the answer @wire to @req says. */
static enum dnsupd_status judge(const uint8_t *wire, size_t len, const ldns_pkt *req,
				const struct dnsupd_key *key, const char *who,
				char *errbuf, size_t errlen)
{
	ldns_pkt *ans = NULL;
	enum dnsupd_status st = DNSUPD_OK;
	ldns_status ls = ldns_wire2pkt(&ans, wire, len);
	uint8_t rcode;
	ldns_rr *tsig;
	char buf[16];

	if (ls != LDNS_STATUS_OK)
		return fail(errbuf, errlen, DNSUPD_UNREACHABLE, "malformed answer from %s: %s",
			    who, ldns_get_errorstr_by_id(ls));
	rcode = ldns_pkt_get_rcode(ans);
	tsig = ldns_pkt_tsig(ans);
	if (tsig && ldns_rr_rd_count(tsig) >= 7 &&
	    ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5))) {
		uint16_t e = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
		const char *n = tsig_error_str(e);

		if (n)
			st = fail(errbuf, errlen, DNSUPD_AUTH, "TSIG %s from %s", n, who);
		else
			st = fail(errbuf, errlen, DNSUPD_AUTH, "TSIG error %u from %s", e, who);
	} else if (key && tsig) {
		if (ldns_rr_rd_count(tsig) < 7)
			st = fail(errbuf, errlen, DNSUPD_AUTH, "malformed TSIG from %s", who);
		else
			st = check_tsig(ans, wire, len, key,
					ldns_rr_rdf(ldns_pkt_tsig(req), 3), who, errbuf, errlen);
	} else if (key && rcode == LDNS_RCODE_NOERROR) {
		/* errors may come unsigned (RFC 8945 §5.3), a success may not */
		st = fail(errbuf, errlen, DNSUPD_AUTH, "answer from %s is not signed", who);
	}
	if (st == DNSUPD_OK && rcode != LDNS_RCODE_NOERROR)
		st = fail(errbuf, errlen,
			  rcode == LDNS_RCODE_SERVFAIL ? DNSUPD_SERVFAIL : DNSUPD_REFUSED,
			  "%s from %s", rcode_str(rcode, buf, sizeof(buf)), who);
	ldns_pkt_free(ans);
	return st;
}

/* An RR of @owner; for "delete the RRset" (class ANY, TTL 0, no data). */
static ldns_rr *rr_new(const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class class,
		       uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, class);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* @name as an absolute name in @zone, or NULL. */
static ldns_rdf *owner_in_zone(const char *name, const ldns_rdf *zone)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name), *abs;

	if (!n || !*name || g_str_has_suffix(name, "."))
		abs = n;
	else {
		abs = ldns_dname_cat_clone(n, zone);
		ldns_rdf_deep_free(n);
	}
	if (abs && (ldns_dname_compare(abs, zone) == 0 || ldns_dname_is_subdomain(abs, zone)))
		return abs;
	ldns_rdf_deep_free(abs);
	return NULL;
}

enum dnsupd_status dnsupd_replace(const char *server, uint16_t port,
				  const struct dnsupd_key *key,
				  const char *zone, const char *name,
				  const struct mig_addr *addr, uint32_t ttl,
				  int timeout_ms, char *errbuf, size_t errlen)
{
	g_autoptr(GSocketAddress) to = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *who = NULL;
	g_autofree uint8_t *answer = NULL;
	enum dnsupd_status st;
	struct mig_addr sa;
	ldns_rdf *zone_rdf = NULL, *owner = NULL;
	ldns_rr_list *up = NULL;
	ldns_pkt *req = NULL;
	uint8_t *wire = NULL;
	size_t wlen, alen;
	ldns_status ls;

	if (errbuf && errlen)
		*errbuf = '\0';
	if (!server || !addr_parse_host(server, &sa))
		return fail(errbuf, errlen, DNSUPD_INVALID, "DNS server '%s' is not an address",
			    server ? server : "");
	if (sa.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&sa.ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&sa.ss)->sin6_port = htons(port);
	to = g_socket_address_new_from_native(&sa.ss, sa.len);
	who = g_strdup_printf("%s#%u", server, port);
	if (!zone || !(zone_rdf = ldns_dname_new_frm_str(zone)))
		return fail(errbuf, errlen, DNSUPD_INVALID, "bad zone '%s'", zone ? zone : "");
	owner = name ? owner_in_zone(name, zone_rdf) : NULL;
	if (!owner) {
		ldns_rdf_deep_free(zone_rdf);
		return fail(errbuf, errlen, DNSUPD_INVALID, "'%s' is not a name in zone %s",
			    name ? name : "", zone);
	}
	if (addr && !(addr->ss.ss_family == AF_INET || addr->ss.ss_family == AF_INET6)) {
		ldns_rdf_deep_free(zone_rdf);
		ldns_rdf_deep_free(owner);
		return fail(errbuf, errlen, DNSUPD_INVALID, "not an IPv4 or IPv6 address");
	}

	up = ldns_rr_list_new();
	ldns_rr_list_push_rr(up, rr_new(owner, LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0));
	ldns_rr_list_push_rr(up, rr_new(owner, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY, 0));
	if (addr) {
		bool v4 = addr->ss.ss_family == AF_INET;
		ldns_rr *rr = rr_new(owner, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA,
				     LDNS_RR_CLASS_IN, ttl);

		ldns_rr_push_rdf(rr, v4 ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4,
				&((const struct sockaddr_in *)&addr->ss)->sin_addr)
				: ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16,
				&((const struct sockaddr_in6 *)&addr->ss)->sin6_addr));
		ldns_rr_list_push_rr(up, rr);
	}
	ldns_rdf_deep_free(owner);
	req = ldns_update_pkt_new(zone_rdf, LDNS_RR_CLASS_IN, NULL, up, NULL); /* takes zone_rdf */
	ldns_rr_list_deep_free(up);
	ldns_pkt_set_rd(req, false);
	ldns_pkt_set_random_id(req);
	if (key && (ls = ldns_pkt_tsig_sign(req, key->name, key->secret, TSIG_FUDGE,
					    key->ldns_alg, NULL)) != LDNS_STATUS_OK) {
		st = fail(errbuf, errlen, DNSUPD_INVALID, "TSIG signing: %s",
			  ldns_get_errorstr_by_id(ls));
		goto out;
	}
	if ((ls = ldns_pkt2wire(&wire, req, &wlen)) != LDNS_STATUS_OK) {
		st = fail(errbuf, errlen, DNSUPD_INVALID, "UPDATE message: %s",
			  ldns_get_errorstr_by_id(ls));
		goto out;
	}

	answer = exchange(to, false, wire, wlen, timeout_ms, &alen, &err);
	if (answer && LDNS_TC_WIRE(answer)) {
		g_clear_pointer(&answer, g_free);
		answer = exchange(to, true, wire, wlen, timeout_ms, &alen, &err);
	}
	if (!answer)
		st = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
		     ? fail(errbuf, errlen, DNSUPD_UNREACHABLE,
			    "no answer from %s within %d ms", who, timeout_ms)
		     : fail(errbuf, errlen, DNSUPD_UNREACHABLE, "no answer from %s: %s", who,
			    err->message);
	else
		st = judge(answer, alen, req, key, who, errbuf, errlen);
out:
	free(wire);
	ldns_pkt_free(req);
	return st;
}
