/* registry/validation/net: NetworkPolicy (networking.k8s.io), EndpointSlice
 * (discovery.k8s.io) and Node (core), with the IP and CIDR parsing they
 * share. IPs and CIDRs are parsed the way Go's net package does it in
 * k8s.io/utils' "sloppy" mode (IPv4 octets may carry leading zeros). */
#include "validation_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- IP / CIDR parsing. */

struct kv_ip {
    unsigned char b[16]; /* IPv4 in b[12..15] with b[10..11] = 0xff (Go's 16-byte form) */
    bool v4;             /* written as a dotted quad, or an IPv4-mapped IPv6 address */
    bool v4_literal;     /* written as a dotted quad */
};

static bool parse_v4(const char *s, size_t n, unsigned char out[4], bool *leading_zero)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255)
                return false;
            i++;
        }
        if (i == start)
            return false;
        if (i - start > 1 && s[start] == '0' && leading_zero)
            *leading_zero = true;
        out[part] = (unsigned char)v;
    }
    return i == n;
}

static bool parse_ip(const char *s, size_t n, struct kv_ip *ip, bool *leading_zero)
{
    memset(ip, 0, sizeof(*ip));
    if (n == 0 || n > 63)
        return false;
    if (!memchr(s, ':', n)) {
        if (!parse_v4(s, n, ip->b + 12, leading_zero))
            return false;
        ip->b[10] = ip->b[11] = 0xff;
        ip->v4 = ip->v4_literal = true;
        return true;
    }
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (strchr(tmp, '%') || inet_pton(AF_INET6, tmp, ip->b) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip->v4 = memcmp(ip->b, mapped, 12) == 0;
    return true;
}

struct kv_cidr {
    struct kv_ip ip;
    int bits, len; /* prefix length; address length in bits (32 or 128) */
};

static bool parse_cidr(const char *s, struct kv_cidr *c, bool *leading_zero)
{
    const char *slash = strchr(s, '/');
    if (!slash || !slash[1])
        return false;
    if (!parse_ip(s, (size_t)(slash - s), &c->ip, leading_zero))
        return false;
    c->len = c->ip.v4_literal ? 32 : 128;
    int bits = 0;
    const char *p = slash + 1;
    if (p[0] == '0' && p[1] && leading_zero)
        *leading_zero = true;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        bits = bits * 10 + (*p - '0');
        if (bits > c->len)
            return false;
    }
    c->bits = bits;
    return true;
}

/* Address bytes of the CIDR's own family (4 or 16) and their count. */
static const unsigned char *cidr_bytes(const struct kv_cidr *c, int *nbytes)
{
    *nbytes = c->len / 8;
    return c->len == 32 ? c->ip.b + 12 : c->ip.b;
}

static bool bit_at(const unsigned char *b, int i)
{
    return (b[i / 8] >> (7 - i % 8)) & 1;
}

static const char MSG_CIDR[] = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/* Go's IPNet.String() of the masked network. */
static const char *cidr_canonical(struct kv_ctx *c, const struct kv_cidr *cd)
{
    int nb;
    const unsigned char *src = cidr_bytes(cd, &nb);
    unsigned char b[16] = {0};
    for (int i = 0; i < cd->bits; i++)
        if (bit_at(src, i))
            b[i / 8] |= (unsigned char)(0x80 >> (i % 8));
    char buf[64];
    if (nb == 4)
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    else
        inet_ntop(AF_INET6, b, buf, sizeof(buf));
    return kapi_pool_printf(c->pool, "%s/%d", buf, cd->bits);
}

/* apimachinery IsValidCIDR: strict parsing plus canonical form. */
static void valid_cidr_strict(struct kv_ctx *c, const char *fld, const char *v)
{
    struct kv_cidr cd;
    bool lz = false;
    if (!parse_cidr(v, &cd, &lz)) {
        kapi_ferr_invalid(c->pool, c->errs, fld, v, MSG_CIDR);
        return;
    }
    int nb;
    const unsigned char *src = cidr_bytes(&cd, &nb);
    bool beyond = false;
    for (int i = cd.bits; i < cd.len; i++)
        beyond = beyond || bit_at(src, i);
    if (lz) {
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must not have leading 0s in IP or prefix length");
        return;
    }
    if (!cd.ip.v4_literal && cd.ip.v4) {
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must not have an IPv4-mapped IPv6 address");
        return;
    }
    if (beyond) {
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must not have bits set beyond the prefix length");
        return;
    }
    const char *canon = cidr_canonical(c, &cd);
    if (strcmp(canon, v))
        kapi_ferr_invalid(c->pool, c->errs, fld, v,
                          kapi_pool_printf(c->pool, "must be in canonical form (%s)",
                                           kapi_go_quote(c->pool, canon, strlen(canon))));
}

/* ---- NetworkPolicy. */

static void np_port(struct kv_ctx *c, const struct kapi_value *p, const char *fld)
{
    static const char *const protos[] = {"TCP", "UDP", "SCTP"};
    const char *proto = kv_str(p, "protocol");
    if (proto && !kv_in(proto, protos, N(protos)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.protocol", fld), proto, protos, N(protos));
    const struct kapi_value *port = kv_get(p, "port");
    int64_t end = 0;
    bool has_end = kv_int(p, "endPort", &end);
    const char *ep = kv_path(c, "%s.endPort", fld);
    if (port && port->type == KAPI_V_INT) {
        kv_port_num(c, kv_path(c, "%s.port", fld), port->u.i);
        if (has_end) {
            if (end < port->u.i)
                kapi_ferr_invalid_int(c->pool, c->errs, ep, end, "must be greater than or equal to `port`");
            kv_port_num(c, ep, end);
        }
    } else if (port && port->type == KAPI_V_STRING) {
        if (has_end)
            kapi_ferr_invalid_int(c->pool, c->errs, ep, end, "may not be specified when `port` is non-numeric");
        kv_port_name_msgs(c, kv_path(c, "%s.port", fld), port->u.str.s);
    } else if (has_end) {
        kapi_ferr_invalid_int(c->pool, c->errs, ep, end, "may not be specified when `port` is not specified");
    }
}

/* A CIDR used by the old object is accepted again unchanged. */
static bool cidr_was_used(const struct kapi_value *old, const char *v)
{
    static const char *const dirs[][2] = {{"ingress", "from"}, {"egress", "to"}};
    const struct kapi_value *spec = kv_get(old, "spec");
    for (size_t d = 0; d < 2; d++) {
        const struct kapi_value *rules = kv_get(spec, dirs[d][0]);
        for (size_t i = 0; i < kv_len(rules); i++) {
            const struct kapi_value *peers = kv_get(kv_item(rules, i), dirs[d][1]);
            for (size_t j = 0; j < kv_len(peers); j++) {
                const struct kapi_value *ipb = kv_get(kv_item(peers, j), "ipBlock");
                if (!strcmp(kv_str0(ipb, "cidr"), v))
                    return true;
                const struct kapi_value *ex = kv_get(ipb, "except");
                for (size_t k = 0; k < kv_len(ex); k++) {
                    const char *e = kapi_value_cstr(kv_item(ex, k));
                    if (e && !strcmp(e, v))
                        return true;
                }
            }
        }
    }
    return false;
}

static bool legacy_cidr(struct kv_ctx *c, const char *fld, const char *v, const struct kapi_value *old,
                        struct kv_cidr *out)
{
    /* 1.33 runs without StrictIPCIDRValidation: only parseability counts */
    if (parse_cidr(v, out, NULL))
        return true;
    if (!old || !cidr_was_used(old, v))
        kapi_ferr_invalid(c->pool, c->errs, fld, v, MSG_CIDR);
    return false;
}

/* Go's IPNet.Contains(inner's network address), same family only. */
static bool cidr_contains(const struct kv_cidr *outer, const struct kv_cidr *inner)
{
    if (outer->len != inner->len)
        return false;
    int n;
    const unsigned char *ob = cidr_bytes(outer, &n), *ib = cidr_bytes(inner, &n);
    for (int i = 0; i < outer->bits; i++)
        if (bit_at(ob, i) != (i < inner->bits && bit_at(ib, i)))
            return false;
    return true;
}

static void ip_block(struct kv_ctx *c, const struct kapi_value *ipb, const char *fld, const struct kapi_value *old)
{
    const char *cidr = kv_str0(ipb, "cidr");
    if (!*cidr) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.cidr", fld), "");
        return;
    }
    struct kv_cidr outer, inner;
    if (!legacy_cidr(c, kv_path(c, "%s.cidr", fld), cidr, old, &outer))
        return;
    const struct kapi_value *ex = kv_get(ipb, "except");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const char *e = kapi_value_cstr(kv_item(ex, i));
        const char *p = kv_path(c, "%s.except[%zu]", fld, i);
        if (!legacy_cidr(c, p, e ? e : "", old, &inner))
            continue;
        if (!cidr_contains(&outer, &inner) || outer.bits >= inner.bits)
            kapi_ferr_invalid(c->pool, c->errs, p, e, "must be a strict subset of `cidr`");
    }
}

static void np_peer(struct kv_ctx *c, const struct kapi_value *peer, const char *fld, const struct kapi_value *old)
{
    int n = 0;
    const struct kapi_value *ps = kv_get(peer, "podSelector"), *ns = kv_get(peer, "namespaceSelector");
    const struct kapi_value *ipb = kv_get(peer, "ipBlock");
    if (ps) {
        n++;
        kv_label_selector(c, ps, kv_path(c, "%s.podSelector", fld));
    }
    if (ns) {
        n++;
        kv_label_selector(c, ns, kv_path(c, "%s.namespaceSelector", fld));
    }
    if (ipb) {
        n++;
        ip_block(c, ipb, kv_path(c, "%s.ipBlock", fld), old);
    }
    if (n == 0)
        kapi_ferr_required(c->pool, c->errs, fld, "must specify a peer");
    else if (n > 1 && ipb)
        kapi_ferr_forbidden(c->pool, c->errs, fld, "may not specify both ipBlock and another peer");
}

static void network_policy(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    kv_label_selector(c, kv_get(spec, "podSelector"), "spec.podSelector");
    static const char *const dirs[][2] = {{"ingress", "from"}, {"egress", "to"}};
    for (size_t d = 0; d < 2; d++) {
        const struct kapi_value *rules = kv_get(spec, dirs[d][0]);
        for (size_t i = 0; i < kv_len(rules); i++) {
            const struct kapi_value *r = kv_item(rules, i);
            const char *rp = kv_path(c, "spec.%s[%zu]", dirs[d][0], i);
            const struct kapi_value *ports = kv_get(r, "ports"), *peers = kv_get(r, dirs[d][1]);
            for (size_t j = 0; j < kv_len(ports); j++)
                np_port(c, kv_item(ports, j), kv_path(c, "%s.ports[%zu]", rp, j));
            for (size_t j = 0; j < kv_len(peers); j++)
                np_peer(c, kv_item(peers, j), kv_path(c, "%s.%s[%zu]", rp, dirs[d][1], j), old);
        }
    }
    static const char *const types[] = {"Ingress", "Egress"};
    const struct kapi_value *pt = kv_get(spec, "policyTypes");
    if (kv_len(pt) > 2) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "[]networking.PolicyType{");
        for (size_t i = 0; i < kv_len(pt); i++) {
            const char *s = kapi_value_cstr(kv_item(pt, i));
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_go_quote_buf(&b, s ? s : "", s ? strlen(s) : 0);
        }
        kapi_buf_putc(&b, '}');
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.policyTypes", kapi_pool_strndup(c->pool, b.data, b.len),
                      "may not specify more than two policyTypes");
        kapi_buf_dispose(&b);
        return;
    }
    for (size_t i = 0; i < kv_len(pt); i++) {
        const char *s = kapi_value_cstr(kv_item(pt, i));
        if (!kv_in(s, types, N(types)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "spec.policyTypes[%zu]", i), s ? s : "", types,
                                    N(types));
    }
}

/* ---- EndpointSlice. */

bool kv_ip_sloppy(const char *s)
{
    struct kv_ip ip;
    return s && parse_ip(s, strlen(s), &ip, NULL);
}

bool kv_cidr_sloppy(const char *s)
{
    struct kv_cidr cd;
    return s && parse_cidr(s, &cd, NULL);
}

void kv_non_special_ip(struct kv_ctx *c, const char *fld, const char *v)
{
    struct kv_ip ip;
    if (!parse_ip(v, strlen(v), &ip, NULL)) {
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must be a valid IP address");
        return;
    }
    const unsigned char *b = ip.b;
    bool unspecified, loopback, ll_unicast, ll_multicast;
    if (ip.v4) {
        const unsigned char *q = b + 12;
        unspecified = !q[0] && !q[1] && !q[2] && !q[3];
        loopback = q[0] == 127;
        ll_unicast = q[0] == 169 && q[1] == 254;
        ll_multicast = q[0] == 224 && q[1] == 0 && q[2] == 0;
    } else {
        static const unsigned char zero[16], one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        unspecified = !memcmp(b, zero, 16);
        loopback = !memcmp(b, one, 16);
        ll_unicast = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
        ll_multicast = b[0] == 0xff && (b[1] & 0x0f) == 0x02;
    }
    if (unspecified)
        kapi_ferr_invalid(c->pool, c->errs, fld, v, kapi_pool_printf(c->pool, "may not be unspecified (%s)", v));
    if (loopback)
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    if (ll_unicast)
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    if (ll_multicast)
        kapi_ferr_invalid(c->pool, c->errs, fld, v,
                          "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
}

static void fqdn(struct kv_ctx *c, const char *fld, const char *v)
{
    if (!*v) {
        kapi_ferr_required(c->pool, c->errs, fld, "");
        return;
    }
    size_t n = strlen(v);
    char *name = kapi_pool_strndup(c->pool, v, n && v[n - 1] == '.' ? n - 1 : n);
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t nm = kapi_is_dns1123_subdomain(name, msgs);
    if (nm) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        for (size_t i = 0; i < nm; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            kapi_buf_puts(&b, msgs[i]);
        }
        kapi_ferr_invalid(c->pool, c->errs, fld, name, kapi_pool_strndup(c->pool, b.data, b.len));
        kapi_buf_dispose(&b);
        return;
    }
    if (!strchr(name, '.'))
        kapi_ferr_invalid(c->pool, c->errs, fld, name, "should be a domain with at least two segments separated by dots");
}

static void endpoint_slice(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    static const char *const create_types[] = {"FQDN", "IPv4", "IPv6"};
    static const char *const update_types[] = {"FQDN", "IP", "IPv4", "IPv6"};
    const char *at = kv_str0(obj, "addressType");
    if (!*at)
        kapi_ferr_required(c->pool, c->errs, "addressType", "");
    else if (old ? !kv_in(at, update_types, N(update_types)) : !kv_in(at, create_types, N(create_types)))
        kapi_ferr_not_supported(c->pool, c->errs, "addressType", at, old ? update_types : create_types,
                                old ? N(update_types) : N(create_types));
    const struct kapi_value *eps = kv_get(obj, "endpoints");
    if (kv_len(eps) > 1000) {
        kapi_ferr_too_many(c->pool, c->errs, "endpoints", (long)kv_len(eps), 1000);
    } else {
        for (size_t i = 0; i < kv_len(eps); i++) {
            const struct kapi_value *ep = kv_item(eps, i);
            const char *ap = kv_path(c, "endpoints[%zu].addresses", i);
            const struct kapi_value *addrs = kv_get(ep, "addresses");
            if (kv_len(addrs) == 0)
                kapi_ferr_required(c->pool, c->errs, ap, "must contain at least 1 address");
            else if (kv_len(addrs) > 100)
                kapi_ferr_too_many(c->pool, c->errs, ap, (long)kv_len(addrs), 100);
            for (size_t j = 0; j < kv_len(addrs); j++) {
                const char *a = kapi_value_cstr(kv_item(addrs, j));
                const char *p = kv_path(c, "%s[%zu]", ap, j);
                a = a ? a : "";
                struct kv_ip ip;
                bool ok = parse_ip(a, strlen(a), &ip, NULL);
                if (!strcmp(at, "IPv4")) {
                    if (!ok || !ip.v4)
                        kapi_ferr_invalid(c->pool, c->errs, p, a, "must be a valid IPv4 address");
                    kv_non_special_ip(c, p, a);
                } else if (!strcmp(at, "IPv6")) {
                    if (!ok || ip.v4)
                        kapi_ferr_invalid(c->pool, c->errs, p, a, "must be a valid IPv6 address");
                    kv_non_special_ip(c, p, a);
                } else if (!strcmp(at, "FQDN")) {
                    fqdn(c, p, a);
                } else if (!strcmp(at, "IP") && !ok) {
                    kapi_ferr_invalid(c->pool, c->errs, p, a,
                                      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
                }
            }
            const struct kapi_value *topo = kv_get(ep, "deprecatedTopology");
            const char *tp = kv_path(c, "endpoints[%zu].deprecatedTopology", i);
            if (kv_len(topo) > 16)
                kapi_ferr_too_many(c->pool, c->errs, tp, (long)kv_len(topo), 16);
            kapi_validate_labels(c->pool, topo, tp, c->errs);
            const char *hn = kv_str(ep, "hostname");
            if (hn)
                kv_name_msgs(c, kv_path(c, "endpoints[%zu].hostname", i), hn, kapi_is_dns1123_label);
        }
    }
    const struct kapi_value *ports = kv_get(obj, "ports");
    if (kv_len(ports) > 100) {
        kapi_ferr_too_many(c->pool, c->errs, "ports", (long)kv_len(ports), 100);
        return;
    }
    static const char *const protos[] = {"SCTP", "TCP", "UDP"};
    for (size_t i = 0; i < kv_len(ports); i++) {
        const struct kapi_value *p = kv_item(ports, i);
        const char *name = kv_str0(p, "name");
        const char *np = kv_path(c, "ports[%zu].name", i);
        if (*name)
            kv_name_msgs(c, np, name, kapi_is_dns1123_label);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(ports, j), "name"), name)) {
                kapi_ferr_duplicate(c->pool, c->errs, np, name);
                break;
            }
        const char *proto = kv_str(p, "protocol");
        if (!proto)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "ports[%zu].protocol", i), "");
        else if (!kv_in(proto, protos, N(protos)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "ports[%zu].protocol", i), proto, protos, N(protos));
        const char *app = kv_str(p, "appProtocol");
        if (app)
            kv_name_msgs(c, kv_path(c, "ports[%zu].appProtocol", i), app, kapi_is_qualified_name);
    }
    if (old)
        kv_immutable(c, kv_get(obj, "addressType"), kv_get(old, "addressType"), "addressType", NULL);
}

bool kv_net(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
            const struct kapi_value *old)
{
    if (!strcmp(group, "networking.k8s.io") && !strcmp(kind, "NetworkPolicy"))
        network_policy(c, obj, old);
    else if (!strcmp(group, "discovery.k8s.io") && !strcmp(kind, "EndpointSlice"))
        endpoint_slice(c, obj, old);
    else
        return false;
    return true;
}

/* ---- Node. */

static const char *go_taint(struct kv_ctx *c, const struct kapi_value *t)
{
    const char *k = kv_str0(t, "key"), *v = kv_str0(t, "value"), *e = kv_str0(t, "effect");
    return kapi_pool_printf(c->pool, "core.Taint{Key:%s, Value:%s, Effect:%s, TimeAdded:(*v1.Time)(%s)}",
                            kapi_go_quote(c->pool, k, strlen(k)), kapi_go_quote(c->pool, v, strlen(v)),
                            kapi_go_quote(c->pool, e, strlen(e)), kv_get(t, "timeAdded") ? "0xc000000000" : "nil");
}

static void node_taints(struct kv_ctx *c, const struct kapi_value *taints)
{
    /* upstream reports spec.taints under "metadata.taints" */
    for (size_t i = 0; i < kv_len(taints); i++) {
        const struct kapi_value *t = kv_item(taints, i);
        const char *p = kv_path(c, "metadata.taints[%zu]", i);
        const char *key = kv_str0(t, "key"), *eff = kv_str0(t, "effect");
        kv_name_msgs(c, kv_path(c, "%s.key", p), key, kapi_is_qualified_name);
        const char *m = kv_label_value_joined(c, kv_str0(t, "value"));
        if (m)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.value", p), kv_str0(t, "value"), m);
        kv_taint_effect(c, eff, false, kv_path(c, "%s.effect", p));
        for (size_t j = 0; j < i; j++) {
            const struct kapi_value *o = kv_item(taints, j);
            if (!strcmp(kv_str0(o, "key"), key) && !strcmp(kv_str0(o, "effect"), eff)) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, p, go_taint(c, t),
                              "taints must be unique by key and effect pair");
                break;
            }
        }
    }
}

/* validateConfigMapNodeConfigSourceSpec / ...Status (status: uid and
 * resourceVersion required instead of forbidden), then the common part. */
static void node_config_source(struct kv_ctx *c, const struct kapi_value *src, const char *fld, bool status)
{
    const struct kapi_value *cm = kv_get(src, "configMap");
    if (cm) {
        const char *p = kv_path(c, "%s.configMap", fld);
        if (status) {
            if (!*kv_str0(cm, "uid"))
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.uid", p), "uid must be set in status");
            if (!*kv_str0(cm, "resourceVersion"))
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.resourceVersion", p),
                                   "resourceVersion must be set in status");
        } else {
            if (*kv_str0(cm, "uid"))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.uid", p), "uid must not be set in spec");
            if (*kv_str0(cm, "resourceVersion"))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.resourceVersion", p),
                                    "resourceVersion must not be set in spec");
        }
        static const char *const req[] = {"namespace", "name", "kubeletConfigKey"};
        for (size_t i = 0; i < N(req); i++) {
            const char *v = kv_str0(cm, req[i]);
            const char *fp = kv_path(c, "%s.%s", p, req[i]);
            if (!*v)
                kapi_ferr_required(c->pool, c->errs, fp, kapi_pool_printf(c->pool, "%s must be set", req[i]));
            else if (i == 0)
                kv_name_msgs(c, fp, v, kapi_is_dns1123_label);
            else if (i == 1)
                kv_name_msgs(c, fp, v, kapi_is_dns1123_subdomain);
            else
                kv_config_key(c, fp, v);
        }
    } else {
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld,
                      "core.NodeConfigSource{ConfigMap:(*core.ConfigMapNodeConfigSource)(nil)}",
                      "exactly one reference subfield must be non-nil");
    }
}

void kv_node_resources(struct kv_ctx *c, const struct kapi_value *obj)
{
    static const char *const keys[] = {"capacity", "allocatable"};
    const struct kapi_value *st = kv_get(obj, "status");
    for (size_t k = 0; k < N(keys); k++) {
        const struct kapi_value *l = kv_get(st, keys[k]);
        for (size_t i = 0; i < kv_len(l) && l->type == KAPI_V_OBJECT; i++) {
            const struct kapi_member *m = &l->u.obj.members[i];
            kv_resource_quantity_value(c, m->key, m->val, kv_path(c, "status.%s.%s", keys[k], m->key));
        }
    }
}

/* ValidateNodeUpdate's status checks: unique addresses. */
static void node_addresses(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *addrs = kv_get(kv_get(obj, "status"), "addresses");
    for (size_t i = 1; i < kv_len(addrs); i++) {
        const struct kapi_value *a = kv_item(addrs, i);
        for (size_t j = 0; j < i; j++) {
            const struct kapi_value *b = kv_item(addrs, j);
            if (!strcmp(kv_str0(a, "type"), kv_str0(b, "type")) && !strcmp(kv_str0(a, "address"), kv_str0(b, "address"))) {
                const char *t = kv_str0(a, "type"), *ad = kv_str0(a, "address");
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, kv_path(c, "status.addresses[%zu]", i),
                              kapi_pool_printf(c->pool, "core.NodeAddress{Type:%s, Address:%s}",
                                               kapi_go_quote(c->pool, t, strlen(t)),
                                               kapi_go_quote(c->pool, ad, strlen(ad))),
                              NULL);
                break;
            }
        }
    }
}

void kv_node(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (!old) {
        node_taints(c, kv_get(spec, "taints"));
        kv_node_resources(c, obj);
        const struct kapi_value *cidrs = kv_get(spec, "podCIDRs");
        for (size_t i = 0; i < kv_len(cidrs); i++) {
            const char *v = kapi_value_cstr(kv_item(cidrs, i));
            valid_cidr_strict(c, kv_path(c, "spec.podCIDRs[%zu]", i), v ? v : "");
        }
        if (kv_len(cidrs) > 1) {
            int v4 = 0, v6 = 0;
            for (size_t i = 0; i < kv_len(cidrs); i++) {
                const char *v = kapi_value_cstr(kv_item(cidrs, i));
                struct kv_cidr cd;
                if (v && parse_cidr(v, &cd, NULL))
                    {
                    if (cd.ip.v4)
                        v4++;
                    else
                        v6++;
                }
            }
            if (kv_len(cidrs) > 2 || v4 != 1 || v6 != 1) {
                struct kapi_buf b;
                kapi_buf_init(&b, 0);
                kapi_buf_puts(&b, "[]string{");
                for (size_t i = 0; i < kv_len(cidrs); i++) {
                    const char *v = kapi_value_cstr(kv_item(cidrs, i));
                    if (i)
                        kapi_buf_puts(&b, ", ");
                    kapi_go_quote_buf(&b, v ? v : "", v ? strlen(v) : 0);
                }
                kapi_buf_putc(&b, '}');
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.podCIDRs",
                              kapi_pool_strndup(c->pool, b.data, b.len),
                              "may specify no more than one CIDR for each IP family");
                kapi_buf_dispose(&b);
            }
            for (size_t i = 1; i < kv_len(cidrs); i++) {
                const char *v = kapi_value_cstr(kv_item(cidrs, i));
                for (size_t j = 0; v && j < i; j++) {
                    const char *w = kapi_value_cstr(kv_item(cidrs, j));
                    if (w && !strcmp(v, w)) {
                        kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "spec.podCIDRs[%zu]", i), v);
                        break;
                    }
                }
            }
        }
        return;
    }
    kv_node_resources(c, obj);
    node_addresses(c, obj);
    const struct kapi_value *ospec = kv_get(old, "spec");
    const struct kapi_value *oc = kv_get(ospec, "podCIDRs"), *nc = kv_get(spec, "podCIDRs");
    static const char MSG_CIDR_CHANGE[] = "node updates may not change podCIDR except from \"\" to valid";
    if (kv_len(oc) > 0) {
        if (kv_len(oc) != kv_len(nc)) {
            kapi_ferr_forbidden(c->pool, c->errs, "spec.podCIDRs", MSG_CIDR_CHANGE);
        } else {
            for (size_t i = 0; i < kv_len(oc); i++)
                if (!kapi_value_equal(kv_item(oc, i), kv_item(nc, i)))
                    kapi_ferr_forbidden(c->pool, c->errs, "spec.podCIDRs", MSG_CIDR_CHANGE);
        }
    }
    const char *opid = kv_str0(ospec, "providerID");
    if (*opid && strcmp(opid, kv_str0(spec, "providerID")))
        kapi_ferr_forbidden(c->pool, c->errs, "spec.providerID",
                            "node updates may not change providerID except from \"\" to valid");
    if (kv_get(spec, "configSource"))
        node_config_source(c, kv_get(spec, "configSource"), "spec.configSource", false);
    const struct kapi_value *cfg = kv_get(kv_get(obj, "status"), "config");
    static const char *const cfg_keys[] = {"assigned", "active", "lastKnownGood"};
    for (size_t i = 0; cfg && i < N(cfg_keys); i++)
        if (kv_get(cfg, cfg_keys[i]))
            node_config_source(c, kv_get(cfg, cfg_keys[i]), kv_path(c, "status.config.%s", cfg_keys[i]), true);
    node_taints(c, kv_get(spec, "taints"));
    if (strcmp(kv_str0(spec, "externalID"), kv_str0(ospec, "externalID")))
        kapi_ferr_forbidden(c->pool, c->errs, "spec.externalID", "may not be updated");
}

/* ---- Warnings for IPs and CIDRs in non-standard forms (apimachinery's
 * GetWarningsForIP / GetWarningsForCIDR). */

/* Go's netip.Addr.String() of an IPv6 address: lower-case hex groups, the
 * first longest run of two or more zero groups written as "::". */
static void fmt_v6(const unsigned char b[16], char out[64])
{
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > best_len && j - i >= 2)
            best = i, best_len = j - i;
        i = j;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)snprintf(out + n, 64 - n, "::");
            i += best_len - 1;
            continue;
        }
        if (i && !(best >= 0 && i == best + best_len))
            out[n++] = ':';
        n += (size_t)snprintf(out + n, 64 - n, "%x", g[i]);
    }
    out[n] = 0;
}

/* Go's net.IP.String(): a dotted quad for IPv4 and IPv4-mapped addresses. */
static void fmt_ip(const struct kv_ip *ip, char out[64])
{
    if (ip->v4)
        snprintf(out, 64, "%u.%u.%u.%u", ip->b[12], ip->b[13], ip->b[14], ip->b[15]);
    else
        fmt_v6(ip->b, out);
}

void kv_ip_warnings(struct kv_ctx *c, const char *fld, const char *v)
{
    struct kv_ip ip;
    bool lz = false;
    if (!v || !parse_ip(v, strlen(v), &ip, &lz))
        return;
    char s[64];
    fmt_ip(&ip, s);
    if (lz || (ip.v4 && !ip.v4_literal)) {
        kv_warn(c, "%s: non-standard IP address %s will be considered invalid in a future Kubernetes release: use %s",
                fld, kapi_go_quote(c->pool, v, strlen(v)), kapi_go_quote(c->pool, s, strlen(s)));
        return;
    }
    if (!ip.v4 && strcmp(s, v))
        kv_warn(c, "%s: IPv6 address %s should be in RFC 5952 canonical format (%s)", fld,
                kapi_go_quote(c->pool, v, strlen(v)), kapi_go_quote(c->pool, s, strlen(s)));
}

void kv_cidr_warnings(struct kv_ctx *c, const char *fld, const char *v)
{
    struct kv_cidr cd;
    bool lz = false;
    if (!v || !parse_cidr(v, &cd, &lz))
        return;
    int nb;
    const unsigned char *src = cidr_bytes(&cd, &nb);
    bool beyond = false;
    for (int i = cd.bits; i < cd.len; i++)
        beyond = beyond || bit_at(src, i);
    /* IPNet.String(): the masked network; an IPv4-mapped one prints as IPv4 */
    struct kv_ip net = cd.ip;
    memset(net.b, 0, 16);
    unsigned char *dst = cd.len == 32 ? net.b + 12 : net.b;
    for (int i = 0; i < cd.bits; i++)
        if (bit_at(src, i))
            dst[i / 8] |= (unsigned char)(0x80 >> (i % 8));
    if (cd.len == 32)
        net.b[10] = net.b[11] = 0xff;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    net.v4 = memcmp(net.b, mapped, 12) == 0;
    char ns[64], is[64];
    fmt_ip(&net, ns);
    int nbits = cd.bits;
    if (net.v4 && cd.len == 128)
        nbits = cd.bits > 96 ? cd.bits - 96 : 0;
    const char *netstr = kapi_pool_printf(c->pool, "%s/%d", ns, nbits);
    const char *qv = kapi_go_quote(c->pool, v, strlen(v));
    size_t before = c->warns ? c->warns->len : 0;
    if (beyond) {
        fmt_ip(&cd.ip, is);
        const char *single = kapi_pool_printf(c->pool, "%s/%d", is, cd.len);
        kv_warn(c, "%s: CIDR value %s is ambiguous in this context (should be %s or %s?)", fld, qv,
                kapi_go_quote(c->pool, netstr, strlen(netstr)), kapi_go_quote(c->pool, single, strlen(single)));
    }
    if (lz || (cd.ip.v4 && !cd.ip.v4_literal))
        kv_warn(c, "%s: non-standard CIDR value %s will be considered invalid in a future Kubernetes release: use %s",
                fld, qv, kapi_go_quote(c->pool, netstr, strlen(netstr)));
    if ((c->warns ? c->warns->len : 0) == before && !cd.ip.v4) {
        /* netip.Prefix.String(): the address as written (not masked) */
        fmt_v6(cd.ip.b, is);
        const char *pfx = kapi_pool_printf(c->pool, "%s/%d", is, cd.bits);
        if (strcmp(pfx, v))
            kv_warn(c, "%s: IPv6 CIDR value %s should be in RFC 5952 canonical format (%s)", fld, qv,
                    kapi_go_quote(c->pool, pfx, strlen(pfx)));
    }
}
