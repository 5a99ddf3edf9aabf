// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conntrack.c - a VM's conntrack entries with libnetfilter_conntrack (see
 * conntrack.h).
 */
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

static GQuark ct_quark(void)
{
	return g_quark_from_static_string("mig-agent-conntrack");
}

/* An address in the set @ips (text forms compared after parsing). */
struct addr_set {
	struct in_addr v4[64];
	unsigned int n4;
	struct in6_addr v6[64];
	unsigned int n6;
};

static bool set_from(const char *const *ips, struct addr_set *s, GError **error)
{
	memset(s, 0, sizeof(*s));
	for (const char *const *ip = ips; ip && *ip; ip++) {
		if (s->n4 < G_N_ELEMENTS(s->v4) && inet_pton(AF_INET, *ip, &s->v4[s->n4]) == 1)
			s->n4++;
		else if (s->n6 < G_N_ELEMENTS(s->v6) && inet_pton(AF_INET6, *ip, &s->v6[s->n6]) == 1)
			s->n6++;
		else {
			g_set_error(error, ct_quark(), EINVAL, "'%s' is not an IP address", *ip);
			return false;
		}
	}
	return true;
}

static bool is_ours(const struct nf_conntrack *ct, const struct addr_set *s)
{
	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) == AF_INET) {
		uint32_t src = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
		uint32_t dst = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);

		for (unsigned int i = 0; i < s->n4; i++)
			if (s->v4[i].s_addr == src || s->v4[i].s_addr == dst)
				return true;
		return false;
	}
	for (unsigned int i = 0; i < s->n6; i++) {
		if (!memcmp(nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), &s->v6[i], 16) ||
		    !memcmp(nfct_get_attr(ct, ATTR_ORIG_IPV6_DST), &s->v6[i], 16))
			return true;
	}
	return false;
}

/* --- one entry <-> JSON ------------------------------------------------------ */

static void put_ip(JsonBuilder *b, const char *name, const struct nf_conntrack *ct,
		   int family, int a4, int a6)
{
	char s[INET6_ADDRSTRLEN];

	if (family == AF_INET) {
		uint32_t v = nfct_get_attr_u32(ct, a4);

		inet_ntop(AF_INET, &v, s, sizeof(s));
	} else {
		inet_ntop(AF_INET6, nfct_get_attr(ct, a6), s, sizeof(s));
	}
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, s);
}

static void put_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void entry_json(JsonBuilder *b, const struct nf_conntrack *ct)
{
	int family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	int proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);

	json_builder_begin_object(b);
	put_int(b, "family", family == AF_INET ? 4 : 6);
	put_int(b, "proto", proto);
	put_ip(b, "src", ct, family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC);
	put_ip(b, "dst", ct, family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST);
	put_ip(b, "reply-src", ct, family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC);
	put_ip(b, "reply-dst", ct, family, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		put_int(b, "sport", ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC)));
		put_int(b, "dport", ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)));
		put_int(b, "reply-sport", ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC)));
		put_int(b, "reply-dport", ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST)));
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		put_int(b, "icmp-type", nfct_get_attr_u8(ct, ATTR_ICMP_TYPE));
		put_int(b, "icmp-code", nfct_get_attr_u8(ct, ATTR_ICMP_CODE));
		put_int(b, "icmp-id", ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID)));
	}
	if (proto == IPPROTO_TCP) {
		put_int(b, "tcp-state", nfct_get_attr_u8(ct, ATTR_TCP_STATE));
		put_int(b, "wscale-orig", nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_ORIG));
		put_int(b, "wscale-reply", nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_REPL));
	}
	put_int(b, "timeout", nfct_get_attr_u32(ct, ATTR_TIMEOUT));
	put_int(b, "mark", nfct_get_attr_u32(ct, ATTR_MARK));
	put_int(b, "status", nfct_get_attr_u32(ct, ATTR_STATUS));
	put_int(b, "zone", nfct_get_attr_u16(ct, ATTR_ZONE));
	json_builder_end_object(b);
}

static bool get_ip(JsonObject *o, const char *name, int family, struct nf_conntrack *ct,
		   int a4, int a6)
{
	const char *s = json_object_get_string_member_with_default(o, name, "");
	uint8_t buf[16];

	if (inet_pton(family, s, buf) != 1)
		return false;
	if (family == AF_INET)
		nfct_set_attr_u32(ct, a4, *(uint32_t *)buf);
	else
		nfct_set_attr(ct, a6, buf);
	return true;
}

static struct nf_conntrack *entry_from_json(JsonObject *o)
{
	struct nf_conntrack *ct = nfct_new();
	int family = json_object_get_int_member_with_default(o, "family", 0) == 6 ? AF_INET6
										    : AF_INET;
	int proto = (int)json_object_get_int_member_with_default(o, "proto", -1);
	uint8_t liberal = IP_CT_TCP_FLAG_BE_LIBERAL;
	bool ok;

	if (!ct || proto < 0 || proto > 255) {
		nfct_destroy(ct);
		return NULL;
	}
	nfct_set_attr_u8(ct, ATTR_L3PROTO, (uint8_t)family);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, (uint8_t)proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, (uint8_t)family);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, (uint8_t)proto);
	ok = get_ip(o, "src", family, ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC) &&
	     get_ip(o, "dst", family, ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST) &&
	     get_ip(o, "reply-src", family, ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC) &&
	     get_ip(o, "reply-dst", family, ct, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST);
	if (!ok) {
		nfct_destroy(ct);
		return NULL;
	}
#define U16(attr, member) nfct_set_attr_u16(ct, attr, \
	htons((uint16_t)json_object_get_int_member_with_default(o, member, 0)))
#define U8(attr, member) nfct_set_attr_u8(ct, attr, \
	(uint8_t)json_object_get_int_member_with_default(o, member, 0))
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		U16(ATTR_ORIG_PORT_SRC, "sport");
		U16(ATTR_ORIG_PORT_DST, "dport");
		U16(ATTR_REPL_PORT_SRC, "reply-sport");
		U16(ATTR_REPL_PORT_DST, "reply-dport");
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		U8(ATTR_ICMP_TYPE, "icmp-type");
		U8(ATTR_ICMP_CODE, "icmp-code");
		U16(ATTR_ICMP_ID, "icmp-id");
	}
	if (proto == IPPROTO_TCP) {
		U8(ATTR_TCP_STATE, "tcp-state");
		U8(ATTR_TCP_WSCALE_ORIG, "wscale-orig");
		U8(ATTR_TCP_WSCALE_REPL, "wscale-reply");
		nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, liberal);
		nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, liberal);
		nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, liberal);
		nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, liberal);
	}
#undef U16
#undef U8
	nfct_set_attr_u32(ct, ATTR_TIMEOUT,
			  (uint32_t)json_object_get_int_member_with_default(o, "timeout", 60));
	nfct_set_attr_u32(ct, ATTR_MARK,
			  (uint32_t)json_object_get_int_member_with_default(o, "mark", 0));
	nfct_set_attr_u16(ct, ATTR_ZONE,
			  (uint16_t)json_object_get_int_member_with_default(o, "zone", 0));
	/* Only what a new entry may say of itself: it has seen replies, it
	 * is assured (the kernel manages the other bits) */
	nfct_set_attr_u32(ct, ATTR_STATUS,
			  (uint32_t)json_object_get_int_member_with_default(o, "status", 0) &
			  (IPS_SEEN_REPLY | IPS_ASSURED));
	return ct;
}

/* --- dump ------------------------------------------------------------------------ */

struct dump {
	struct addr_set set;
	unsigned int max;
	struct ct_result *r;
	JsonBuilder *b;               /* export */
	GPtrArray *matches;           /* delete: clones */
};

static int on_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct dump *d = data;

	(void)type;
	if (!is_ours(ct, &d->set))
		return NFCT_CB_CONTINUE;
	if (d->b) {
		if (d->r->entries >= d->max) {
			d->r->skipped++;
			return NFCT_CB_CONTINUE;
		}
		entry_json(d->b, ct);
		d->r->entries++;
	} else {
		g_ptr_array_add(d->matches, nfct_clone(ct));
	}
	return NFCT_CB_CONTINUE;
}

static bool dump(struct dump *d, GError **error)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	uint32_t family = AF_UNSPEC;
	int r;

	if (!h) {
		g_set_error(error, ct_quark(), errno, "nfct_open: %s", g_strerror(errno));
		return false;
	}
	nfct_callback_register(h, NFCT_T_ALL, on_entry, d);
	r = nfct_query(h, NFCT_Q_DUMP, &family);
	nfct_close(h);
	if (r < 0) {
		g_set_error(error, ct_quark(), errno, "conntrack dump: %s", g_strerror(errno));
		return false;
	}
	return true;
}

JsonNode *ct_export(const char *const *ips, unsigned int max,
		    struct ct_result *r, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct dump d = { .max = max, .r = r, .b = b };

	memset(r, 0, sizeof(*r));
	if (!set_from(ips, &d.set, error))
		return NULL;
	json_builder_begin_array(b);
	if (!dump(&d, error))
		return NULL;
	json_builder_end_array(b);
	return json_builder_get_root(b);
}

bool ct_import(JsonArray *entries, struct ct_result *r, GError **error)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);

	memset(r, 0, sizeof(*r));
	if (!h) {
		g_set_error(error, ct_quark(), errno, "nfct_open: %s", g_strerror(errno));
		return false;
	}
	for (unsigned int i = 0; i < json_array_get_length(entries); i++) {
		JsonNode *n = json_array_get_element(entries, i);
		struct nf_conntrack *ct = JSON_NODE_HOLDS_OBJECT(n) ?
			entry_from_json(json_node_get_object(n)) : NULL;

		if (!ct) {
			r->failed++;
			continue;
		}
		if (nfct_query(h, NFCT_Q_CREATE, ct) == 0) {
			r->entries++;
		} else if (errno == EEXIST && nfct_query(h, NFCT_Q_UPDATE, ct) == 0) {
			r->updated++;
		} else {
			r->failed++;
			g_debug("conntrack entry %u not imported: %s", i, g_strerror(errno));
		}
		nfct_destroy(ct);
	}
	nfct_close(h);
	return true;
}

bool ct_delete(const char *const *ips, struct ct_result *r, GError **error)
{
	struct dump d = { .r = r };
	struct nfct_handle *h;
	bool ok;

	memset(r, 0, sizeof(*r));
	if (!set_from(ips, &d.set, error))
		return false;
	d.matches = g_ptr_array_new_with_free_func((GDestroyNotify)nfct_destroy);
	ok = dump(&d, error);
	h = ok ? nfct_open(CONNTRACK, 0) : NULL;
	for (unsigned int i = 0; h && i < d.matches->len; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, d.matches->pdata[i]) == 0)
			r->entries++;
		else
			r->failed++;
	}
	if (h)
		nfct_close(h);
	g_ptr_array_unref(d.matches);
	return ok;
}
