/* Service ClusterIP / NodePort allocation in storage (see services.h and
 * docs/internals/services.md). Two kinds of state:
 *   - a RangeAllocation bitmap per range (upstream's legacy layout: offset i
 *     is bit i of a big-endian big integer, base64 in "data"), changed only
 *     by read-modify-CAS loops, so concurrent writers serialise on the key;
 *   - one IPAddress object per ClusterIP, claimed by CREATE, which the store
 *     makes atomic across every instance. */
#include "services.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/b64.h"
#include "../../codec/json.h"

#define RANGE_MAX_RETRIES 100000

/* ------------------------------------------------------------------ ranges */

struct range_def {
    bool ip;          /* values are IPv4 addresses (else port numbers) */
    uint32_t base;    /* value of offset 0 */
    uint32_t max;     /* number of offsets */
    uint32_t band;    /* size of the lower (static) band */
    char spec[40];    /* "10.96.0.0/12" or "30000-32767" as stored in "range" */
    const char *key;
};

struct kapi_svc_alloc {
    struct kapi_store *store;
    uint32_t net;       /* network address */
    uint32_t bcast;     /* broadcast address */
    char first_ip[16];
    struct range_def ips;   /* bitmap view: [net+1, bcast-1] */
    struct range_def ports;
    bool dual_write;
};

struct bitmap {
    uint8_t *bits; /* bit i at bits[i/8] & (1 << i%8) */
    uint32_t max;
};

static bool bm_has(const struct bitmap *b, uint32_t i) { return i < b->max && (b->bits[i >> 3] >> (i & 7)) & 1; }
static void bm_set(struct bitmap *b, uint32_t i) { if (i < b->max) b->bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static void bm_clear(struct bitmap *b, uint32_t i) { if (i < b->max) b->bits[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

static void bm_init(struct bitmap *b, uint32_t max)
{
    b->max = max;
    b->bits = kapi_xcalloc(max / 8 + 1, 1);
}

static uint32_t rand_below(uint32_t n)
{
    uint64_t r;
    kapi_random(&r, sizeof(r));
    return n ? (uint32_t)(r % n) : 0;
}

/* Upstream's dynamic order: a random start in the upper band, scanning with
 * wrap-around, then the same in the lower band (left for static requests). */
static bool bm_pick(const struct bitmap *b, uint32_t band, uint32_t *out)
{
    uint32_t upper = b->max - band;
    if (upper) {
        uint32_t start = rand_below(upper);
        for (uint32_t i = 0; i < upper; i++) {
            uint32_t at = band + (start + i) % upper;
            if (!bm_has(b, at)) {
                *out = at;
                return true;
            }
        }
    }
    if (band) {
        uint32_t start = rand_below(band);
        for (uint32_t i = 0; i < band; i++) {
            uint32_t at = (start + i) % band;
            if (!bm_has(b, at)) {
                *out = at;
                return true;
            }
        }
    }
    return false;
}

static void ip_format(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Dotted quad, leading zeros accepted as decimal (as upstream's sloppy parser). */
static bool ip_parse(const char *s, uint32_t *out)
{
    uint32_t ip = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return false;
        }
        ip = ip << 8 | v;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = ip;
    return true;
}

static bool ip6_parse(const char *s)
{
    unsigned char buf[16];
    return strchr(s, ':') && inet_pton(AF_INET6, s, buf) == 1;
}

/* Values a stored range with another spec than ours held, re-based into b
 * (so a changed --service-node-port-range keeps the ports still inside it). */
static void bm_remap(struct bitmap *b, const struct range_def *r, const char *old_spec, const uint8_t *data, long n)
{
    uint32_t old_base = 0;
    if (r->ip) {
        char tmp[40];
        snprintf(tmp, sizeof(tmp), "%s", old_spec);
        char *slash = strchr(tmp, '/');
        if (!slash)
            return;
        *slash = 0;
        if (!ip_parse(tmp, &old_base))
            return;
        old_base += 1;
    } else {
        old_base = (uint32_t)strtoul(old_spec, NULL, 10);
    }
    for (long j = 0; j < n; j++) {
        uint8_t byte = data[n - 1 - j];
        for (int k = 0; byte && k < 8; k++) {
            if (!(byte >> k & 1))
                continue;
            uint64_t v = (uint64_t)old_base + (uint64_t)j * 8 + (uint64_t)k;
            if (v >= r->base && v - r->base < r->max)
                bm_set(b, (uint32_t)(v - r->base));
        }
    }
}

/* Fills b from a stored RangeAllocation (or empty when value is NULL). */
static void bm_load(struct bitmap *b, const struct range_def *r, const struct kapi_blob *value)
{
    bm_init(b, r->max);
    if (!value)
        return;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, value->data, value->len, NULL, &jerr);
    const char *spec = kapi_obj_get_str(v, "range");
    struct kapi_value *dv = kapi_obj_get(v, "data");
    const char *data = kapi_value_cstr(dv);
    if (!v || !spec) {
        kapi_log(0, "services: %s holds no valid RangeAllocation; treating it as empty", r->key);
    } else if (data && dv->u.str.len) {
        /* a []byte: Go's StdEncoding, as upstream reads it */
        uint8_t *raw = kapi_xmalloc(kapi_b64_decode_size(dv->u.str.len));
        size_t rawlen = 0;
        long n = kapi_b64_decode(raw, data, dv->u.str.len, 0, &rawlen, NULL) < 0 ? -1 : (long)rawlen;
        if (n < 0) {
            kapi_log(0, "services: %s has malformed data; treating it as empty", r->key);
        } else if (strcmp(spec, r->spec) == 0) {
            for (long j = 0; j < n && (uint64_t)j * 8 < r->max; j++)
                b->bits[j] = raw[n - 1 - j];
            /* Bits past max must not survive into our writes. */
            for (uint32_t i = r->max; i < (r->max / 8 + 1) * 8; i++)
                b->bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
        } else {
            kapi_log(1, "services: %s was for range %s, now %s: re-basing", r->key, spec, r->spec);
            bm_remap(b, r, spec, raw, n);
        }
        free(raw);
    }
    kapi_pool_free(pool);
}

static char *bm_encode(const struct bitmap *b, const struct range_def *r, size_t *len)
{
    size_t nbytes = b->max / 8 + 1;
    while (nbytes && !b->bits[nbytes - 1])
        nbytes--;
    uint8_t *be = kapi_xmalloc(nbytes + 1);
    for (size_t j = 0; j < nbytes; j++)
        be[j] = b->bits[nbytes - 1 - j];
    struct kapi_buf out;
    kapi_buf_init(&out, 0);
    kapi_buf_puts(&out, "{\"kind\":\"RangeAllocation\",\"apiVersion\":\"v1\",\"metadata\":{\"creationTimestamp\":null},\"range\":");
    kapi_json_write_string(&out, r->spec, strlen(r->spec));
    kapi_buf_puts(&out, ",\"data\":\"");
    char *enc = kapi_xmalloc(kapi_b64_encoded_len(nbytes, 0) + 1);
    kapi_b64_encode(enc, be, nbytes, 0);
    kapi_buf_puts(&out, enc);
    kapi_buf_puts(&out, "\"}");
    free(enc);
    free(be);
    return kapi_buf_steal(&out, len);
}

/* A transaction over one bitmap: returns TXN_WRITE to store the changed
 * bitmap, TXN_SKIP when nothing changed, or a positive error that aborts.
 * Must be re-runnable: a conflict runs it again on fresher state. */
#define TXN_WRITE 0
#define TXN_SKIP (-1)
typedef int (*range_txn_fn)(void *ctx, struct bitmap *b, const struct range_def *r);

/* Runs fn under CAS until it sticks. Returns 0, fn's error, or -2 with a
 * store error in errbuf. */
static int range_txn(struct kapi_svc_alloc *a, const struct range_def *r, range_txn_fn fn, void *ctx,
                     char *errbuf, size_t errlen)
{
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(a->store, r->key, &kv);
    if (rc != KAPI_STORE_OK && rc != KAPI_STORE_NOT_FOUND) {
        snprintf(errbuf, errlen, "%s", kapi_store_strerror(rc));
        return -2;
    }
    for (int attempt = 0; attempt < RANGE_MAX_RETRIES; attempt++) {
        struct bitmap b;
        bool exists = kv.value != NULL;
        bm_load(&b, r, kv.value);
        int res = fn(ctx, &b, r);
        if (res != TXN_WRITE) {
            free(b.bits);
            kapi_kv_dispose(&kv);
            return res == TXN_SKIP ? 0 : res;
        }
        size_t len;
        char *json = bm_encode(&b, r, &len);
        free(b.bits);
        struct kapi_write w = {.op = exists ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = r->key,
                               .value = json, .len = len, .expect_mod_rev = exists ? kv.mod_rev : 0};
        struct kapi_write_result wr = {0};
        rc = kapi_store_write(a->store, &w, &wr);
        free(json);
        kapi_kv_dispose(&kv);
        if (rc == KAPI_STORE_OK) {
            kapi_write_result_dispose(&wr);
            return 0;
        }
        if (rc == KAPI_STORE_CONFLICT || rc == KAPI_STORE_EXISTS) {
            kapi_kv_copy(&kv, &wr.current);
            kapi_write_result_dispose(&wr);
            continue;
        }
        kapi_write_result_dispose(&wr);
        if (rc == KAPI_STORE_NOT_FOUND) { /* deleted under us: start from empty */
            memset(&kv, 0, sizeof(kv));
            continue;
        }
        snprintf(errbuf, errlen, "%s", kapi_store_strerror(rc));
        return -2;
    }
    kapi_kv_dispose(&kv);
    snprintf(errbuf, errlen, "too many conflicts updating %s", r->key);
    return -2;
}

/* ------------------------------------------------------- node port ops */

enum { OP_REQ, OP_NEXT, OP_REL };
enum { E_ALLOCATED = 1, E_NOT_IN_RANGE, E_FULL };

struct port_op {
    int kind;
    uint32_t value;   /* REQ/REL: the value; NEXT: the result */
    int index;        /* spec.ports index, -1 for healthCheckNodePort */
    bool share;       /* NEXT: later ports with the same number get it too (create) */
};

struct port_txn {
    struct port_op *ops;
    size_t n, cap;
    size_t fail_at;
    int fail;
};

static void txn_push(struct port_txn *t, int kind, uint32_t value, int index, bool share)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->ops = kapi_xrealloc(t->ops, t->cap * sizeof(*t->ops));
    }
    t->ops[t->n++] = (struct port_op){kind, value, index, share};
}

/* Applies the ops in order, as upstream's sequence of Allocate calls would. */
static int port_txn_apply(void *ctx, struct bitmap *b, const struct range_def *r)
{
    struct port_txn *t = ctx;
    bool changed = false;
    for (size_t i = 0; i < t->n; i++) {
        struct port_op *op = &t->ops[i];
        uint32_t off;
        switch (op->kind) {
        case OP_REQ:
            if (op->value < r->base || op->value - r->base >= r->max) {
                t->fail_at = i;
                return t->fail = E_NOT_IN_RANGE;
            }
            off = op->value - r->base;
            if (bm_has(b, off)) {
                t->fail_at = i;
                return t->fail = E_ALLOCATED;
            }
            bm_set(b, off);
            changed = true;
            break;
        case OP_NEXT:
            if (!bm_pick(b, r->band, &off)) {
                t->fail_at = i;
                return t->fail = E_FULL;
            }
            bm_set(b, off);
            op->value = r->base + off;
            changed = true;
            break;
        case OP_REL:
            if (op->value >= r->base && op->value - r->base < r->max && bm_has(b, op->value - r->base)) {
                bm_clear(b, op->value - r->base);
                changed = true;
            }
            break;
        }
    }
    return changed ? TXN_WRITE : TXN_SKIP;
}

/* Upstream's dry-run operation: requested ports only conflict with the
 * stored bitmap and this operation (no range check); dynamic ones are
 * placeholders counting up from the largest seen, or 32769. */
static int port_txn_dry(struct kapi_svc_alloc *a, struct port_txn *t, char *errbuf, size_t errlen)
{
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(a->store, a->ports.key, &kv);
    if (rc != KAPI_STORE_OK && rc != KAPI_STORE_NOT_FOUND) {
        snprintf(errbuf, errlen, "%s", kapi_store_strerror(rc));
        return -2;
    }
    struct bitmap b;
    bm_load(&b, &a->ports, kv.value);
    kapi_kv_dispose(&kv);
    int res = 0;
    for (size_t i = 0; i < t->n && !res; i++) {
        struct port_op *op = &t->ops[i];
        if (op->kind == OP_REL)
            continue;
        if (op->kind == OP_REQ) {
            bool taken = op->value >= a->ports.base && op->value - a->ports.base < a->ports.max &&
                         bm_has(&b, op->value - a->ports.base);
            for (size_t j = 0; j < i && !taken; j++)
                taken = t->ops[j].kind != OP_REL && t->ops[j].value == op->value;
            if (taken) {
                t->fail_at = i;
                res = t->fail = E_ALLOCATED;
            }
            continue;
        }
        uint32_t last = 0;
        bool any = false;
        for (size_t j = 0; j < i; j++) {
            if (t->ops[j].kind != OP_REL) {
                any = true;
                if (t->ops[j].value > last)
                    last = t->ops[j].value;
            }
        }
        op->value = (any ? last : 32768) + 1;
    }
    free(b.bits);
    return res;
}

/* -------------------------------------------------------- IP bitmap ops */

struct ip_bit {
    uint32_t off;
    bool set;
    bool strict; /* setting an already-set bit is an error */
};

static int ip_bit_apply(void *ctx, struct bitmap *b, const struct range_def *r)
{
    struct ip_bit *t = ctx;
    bool has = bm_has(b, t->off);
    if (t->set) {
        if (has)
            return t->strict ? E_ALLOCATED : TXN_SKIP;
        bm_set(b, t->off);
        return TXN_WRITE;
    }
    if (!has)
        return TXN_SKIP;
    bm_clear(b, t->off);
    return TXN_WRITE;
}

/* ------------------------------------------------------ IPAddress objects */

static char *ipaddress_key(uint32_t ip)
{
    char s[16];
    ip_format(ip, s);
    return kapi_xasprintf("%s%s", KAPI_SVC_IPADDR_PREFIX, s);
}

static char *ipaddress_json(uint32_t ip, const char *ns, const char *name, size_t *len)
{
    char s[16], uid[37], ts[21];
    ip_format(ip, s);
    kapi_uuid(uid);
    kapi_time_rfc3339(kapi_wall_ms() / 1000, ts);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b,
                    "{\"kind\":\"IPAddress\",\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":{\"name\":\"%s\","
                    "\"uid\":\"%s\",\"creationTimestamp\":\"%s\",\"labels\":{\"ipaddress.kubernetes.io/ip-family\":"
                    "\"IPv4\",\"ipaddress.kubernetes.io/managed-by\":\"ipallocator.k8s.io\"}},\"spec\":{\"parentRef\":"
                    "{\"resource\":\"services\"",
                    s, uid, ts);
    if (ns && *ns) {
        kapi_buf_puts(&b, ",\"namespace\":");
        kapi_json_write_string(&b, ns, strlen(ns));
    }
    kapi_buf_puts(&b, ",\"name\":");
    kapi_json_write_string(&b, name ? name : "", name ? strlen(name) : 0);
    kapi_buf_puts(&b, "}}}");
    return kapi_buf_steal(&b, len);
}

static void ip_bit_best_effort(struct kapi_svc_alloc *a, uint32_t ip, bool set)
{
    if (!a->dual_write || ip <= a->net || ip >= a->bcast)
        return;
    struct ip_bit t = {ip - a->ips.base, set, false};
    char err[128];
    if (range_txn(a, &a->ips, ip_bit_apply, &t, err, sizeof(err)) < 0)
        kapi_log(0, "services: could not %s %s in %s: %s", set ? "mark" : "clear", "IP", a->ips.key, err);
}

/* Claims one IP for ns/name. Returns 0, E_ALLOCATED, E_NOT_IN_RANGE (the
 * caller tells network mismatch from range by the address) or -2. */
static int ip_claim(struct kapi_svc_alloc *a, uint32_t ip, const char *ns, const char *name, bool strict_bit,
                    char *errbuf, size_t errlen)
{
    if (a->dual_write && strict_bit) {
        struct ip_bit t = {ip - a->ips.base, true, true};
        int rc = range_txn(a, &a->ips, ip_bit_apply, &t, errbuf, errlen);
        if (rc)
            return rc;
    }
    char *key = ipaddress_key(ip);
    size_t len;
    char *json = ipaddress_json(ip, ns, name, &len);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = len};
    struct kapi_write_result wr = {0};
    int rc = kapi_store_write(a->store, &w, &wr);
    kapi_write_result_dispose(&wr);
    free(key);
    free(json);
    if (rc == KAPI_STORE_OK) {
        if (!strict_bit)
            ip_bit_best_effort(a, ip, true);
        return 0;
    }
    if (strict_bit)
        ip_bit_best_effort(a, ip, false); /* undo our mark: the object belongs to someone else */
    if (rc == KAPI_STORE_EXISTS)
        return E_ALLOCATED;
    snprintf(errbuf, errlen, "%s", kapi_store_strerror(rc));
    return -2;
}

/* Dynamic ClusterIP: the mirror bitmap (when kept) says which candidates are
 * probably taken; the CREATE decides, and a lost race moves on. */
static int ip_claim_next(struct kapi_svc_alloc *a, const char *ns, const char *name, uint32_t *out, char *errbuf,
                         size_t errlen)
{
    struct bitmap hint;
    struct kapi_kv kv = {0};
    if (a->dual_write) {
        int rc = kapi_store_get(a->store, a->ips.key, &kv);
        if (rc != KAPI_STORE_OK && rc != KAPI_STORE_NOT_FOUND) {
            snprintf(errbuf, errlen, "%s", kapi_store_strerror(rc));
            return -2;
        }
    }
    bm_load(&hint, &a->ips, kv.value);
    kapi_kv_dispose(&kv);
    int res = E_FULL;
    for (;;) {
        uint32_t off;
        if (!bm_pick(&hint, a->ips.band, &off))
            break;
        bm_set(&hint, off);
        int rc = ip_claim(a, a->ips.base + off, ns, name, false, errbuf, errlen);
        if (rc == 0) {
            *out = a->ips.base + off;
            res = 0;
            break;
        }
        if (rc != E_ALLOCATED) {
            res = rc;
            break;
        }
    }
    free(hint.bits);
    return res;
}

/* Releases ip when the IPAddress object (if any) names ns/name as parent. */
static void ip_release(struct kapi_svc_alloc *a, uint32_t ip, const char *ns, const char *name)
{
    char *key = ipaddress_key(ip);
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(a->store, key, &kv);
    if (rc == KAPI_STORE_OK) {
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error jerr;
        struct kapi_value *v = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &jerr);
        struct kapi_value *ref = kapi_value_path(v, "spec", "parentRef", NULL);
        const char *rns = kapi_obj_get_str(ref, "namespace"), *rname = kapi_obj_get_str(ref, "name");
        bool ours = !name || (rname && strcmp(rname, name) == 0 && strcmp(rns ? rns : "", ns ? ns : "") == 0);
        kapi_pool_free(pool);
        if (ours) {
            /* Bit first: a claimer that sees the bit clear still has to win the CREATE. */
            ip_bit_best_effort(a, ip, false);
            struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = kv.mod_rev};
            struct kapi_write_result wr = {0};
            rc = kapi_store_write(a->store, &w, &wr);
            kapi_write_result_dispose(&wr);
            if (rc != KAPI_STORE_OK && rc != KAPI_STORE_NOT_FOUND)
                kapi_log(0, "services: releasing %s: %s", key, kapi_store_strerror(rc));
        } else {
            kapi_log(1, "services: not releasing %s: it belongs to %s/%s", key, rns ? rns : "", rname ? rname : "");
        }
    } else if (rc == KAPI_STORE_NOT_FOUND) {
        ip_bit_best_effort(a, ip, false);
    } else {
        kapi_log(0, "services: releasing %s: %s", key, kapi_store_strerror(rc));
    }
    kapi_kv_dispose(&kv);
    free(key);
}

/* ------------------------------------------------------------ allocator */

struct kapi_svc_alloc *kapi_svc_alloc_new(struct kapi_store *store, const char *service_cidr,
                                          const char *node_port_range, char *err, size_t errlen)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s", service_cidr ? service_cidr : "");
    char *slash = strchr(tmp, '/');
    uint32_t ip;
    char *end = NULL;
    long bits = slash ? strtol(slash + 1, &end, 10) : -1;
    if (slash)
        *slash = 0;
    if (!slash || !ip_parse(tmp, &ip) || !end || *end || end == slash + 1 || bits < 0 || bits > 32) {
        if (ip6_parse(tmp))
            snprintf(err, errlen, "service CIDR %s: only IPv4 service ranges are supported", service_cidr);
        else
            snprintf(err, errlen, "invalid service CIDR \"%s\"", service_cidr ? service_cidr : "");
        return NULL;
    }
    if (bits > 30) {
        snprintf(err, errlen, "service CIDR %s is too small: no usable addresses", service_cidr);
        return NULL;
    }
    unsigned lo, hi;
    char extra;
    if (!node_port_range || sscanf(node_port_range, "%u-%u%c", &lo, &hi, &extra) != 2 || lo > hi || hi > 65535 ||
        lo == 0) {
        snprintf(err, errlen, "invalid node port range \"%s\"", node_port_range ? node_port_range : "");
        return NULL;
    }
    struct kapi_svc_alloc *a = kapi_xcalloc(1, sizeof(*a));
    a->store = store;
    uint32_t mask = bits ? ~0u << (32 - bits) : 0;
    uint64_t size = 1ull << (32 - bits);
    a->net = ip & mask;
    a->bcast = (uint32_t)(a->net + size - 1);
    ip_format(a->net + 1, a->first_ip);
    a->dual_write = true;

    struct range_def *r = &a->ips;
    r->ip = true;
    r->key = KAPI_SVC_IP_RANGE_KEY;
    r->base = a->net + 1;
    r->max = (uint32_t)(size - 2);
    /* min(max(16, size/16), 256), 0 for ranges of 16 or fewer (KEP-3070). */
    r->band = size <= 16 ? 0 : size / 16 < 16 ? 16 : size / 16 > 256 ? 256 : (uint32_t)(size / 16);
    char net[16];
    ip_format(a->net, net);
    snprintf(r->spec, sizeof(r->spec), "%s/%ld", net, bits);

    r = &a->ports;
    r->key = KAPI_SVC_PORT_RANGE_KEY;
    r->base = lo;
    r->max = hi - lo + 1;
    /* min(max(16, size/32), 128), 0 for ranges of 16 or fewer (KEP-3668). */
    r->band = r->max <= 16 ? 0 : r->max / 32 < 16 ? 16 : r->max / 32 > 128 ? 128 : r->max / 32;
    snprintf(r->spec, sizeof(r->spec), "%u-%u", lo, hi);
    return a;
}

void kapi_svc_alloc_free(struct kapi_svc_alloc *a) { free(a); }
void kapi_svc_alloc_set_dual_write(struct kapi_svc_alloc *a, bool on) { a->dual_write = on; }
const char *kapi_svc_alloc_first_ip(const struct kapi_svc_alloc *a) { return a->first_ip; }

/* ------------------------------------------------------- Service fields */

#define T_CLUSTERIP "ClusterIP"
#define T_NODEPORT "NodePort"
#define T_LB "LoadBalancer"
#define T_EXTNAME "ExternalName"

static struct kapi_value *spec_of(const struct kapi_value *svc) { return kapi_obj_get(svc, "spec"); }

static const char *svc_type(const struct kapi_value *svc)
{
    const char *t = kapi_obj_get_str(spec_of(svc), "type");
    return t && *t ? t : T_CLUSTERIP;
}

static bool is_type(const struct kapi_value *svc, const char *t) { return strcmp(svc_type(svc), t) == 0; }
static bool needs_cluster_ip(const struct kapi_value *svc) { return !is_type(svc, T_EXTNAME); }
static bool needs_node_port(const struct kapi_value *svc) { return is_type(svc, T_NODEPORT) || is_type(svc, T_LB); }

static const char *spec_str(const struct kapi_value *svc, const char *k)
{
    const char *s = kapi_obj_get_str(spec_of(svc), k);
    return s ? s : "";
}

static bool needs_hc_port(const struct kapi_value *svc)
{
    return is_type(svc, T_LB) && strcmp(spec_str(svc, "externalTrafficPolicy"), "Local") == 0;
}

static bool should_alloc_node_ports(const struct kapi_value *svc)
{
    if (is_type(svc, T_NODEPORT))
        return true;
    if (is_type(svc, T_LB)) {
        struct kapi_value *v = kapi_obj_get(spec_of(svc), "allocateLoadBalancerNodePorts");
        return !v || v->type != KAPI_V_BOOL || v->u.b;
    }
    return false;
}

/* Strings of a string array member (non-strings read as ""). Pool array. */
static size_t str_list(struct kapi_pool *pool, const struct kapi_value *obj, const char *key, const char ***out)
{
    struct kapi_value *arr = kapi_obj_get(obj, key);
    *out = NULL;
    if (!arr || arr->type != KAPI_V_ARRAY || !arr->u.arr.len)
        return 0;
    const char **items = kapi_pool_alloc(pool, arr->u.arr.len * sizeof(*items));
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        items[i] = s ? s : "";
    }
    *out = items;
    return arr->u.arr.len;
}

static void set_str_list(struct kapi_pool *pool, struct kapi_value *obj, const char *key, const char *const *items,
                         size_t n)
{
    if (!n) {
        kapi_obj_del(obj, key);
        return;
    }
    struct kapi_value *arr = kapi_value_array(pool);
    for (size_t i = 0; i < n; i++)
        kapi_arr_push(pool, arr, kapi_value_str(pool, items[i]));
    kapi_obj_set(pool, obj, key, arr);
}

static bool same_list(const struct kapi_value *a, const struct kapi_value *b, const char *key)
{
    struct kapi_value *x = kapi_obj_get(spec_of(a), key), *y = kapi_obj_get(spec_of(b), key);
    size_t nx = x && x->type == KAPI_V_ARRAY ? x->u.arr.len : 0, ny = y && y->type == KAPI_V_ARRAY ? y->u.arr.len : 0;
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!kapi_value_equal(x->u.arr.items[i], y->u.arr.items[i]))
            return false;
    return true;
}

static bool same_member(const struct kapi_value *a, const struct kapi_value *b, const char *key)
{
    struct kapi_value *x = kapi_obj_get(spec_of(a), key), *y = kapi_obj_get(spec_of(b), key);
    if (!x || !y)
        return !x && !y;
    return kapi_value_equal(x, y);
}

static int64_t port_int(const struct kapi_value *port, const char *key)
{
    struct kapi_value *v = kapi_obj_get(port, key);
    return v && v->type == KAPI_V_INT ? v->u.i : 0;
}

static struct kapi_value *ports_of(const struct kapi_value *svc)
{
    struct kapi_value *p = kapi_obj_get(spec_of(svc), "ports");
    return p && p->type == KAPI_V_ARRAY ? p : NULL;
}

static size_t nports(const struct kapi_value *svc)
{
    struct kapi_value *p = ports_of(svc);
    return p ? p->u.arr.len : 0;
}

static struct kapi_value *port_at(const struct kapi_value *svc, size_t i)
{
    struct kapi_value *p = ports_of(svc)->u.arr.items[i];
    return p && p->type == KAPI_V_OBJECT ? p : NULL;
}

static int64_t node_port_at(const struct kapi_value *svc, size_t i)
{
    struct kapi_value *p = port_at(svc, i);
    return p ? port_int(p, "nodePort") : 0;
}

static int64_t hc_port(const struct kapi_value *svc)
{
    struct kapi_value *v = kapi_obj_get(spec_of(svc), "healthCheckNodePort");
    return v && v->type == KAPI_V_INT ? v->u.i : 0;
}

static bool is_headless(struct kapi_pool *pool, const struct kapi_value *svc)
{
    const char **ips;
    size_t n = str_list(pool, spec_of(svc), "clusterIPs", &ips);
    return n == 1 && strcmp(ips[0], "None") == 0;
}

static bool has_selector(const struct kapi_value *svc)
{
    struct kapi_value *s = kapi_obj_get(spec_of(svc), "selector");
    return s && s->type == KAPI_V_OBJECT && s->u.obj.len;
}

static const char *meta_str(const struct kapi_value *svc, const char *k)
{
    return kapi_obj_get_str(kapi_obj_get(svc, "metadata"), k);
}

/* ------------------------------------------------- preparation (upstream) */

static void set_defaults(struct kapi_pool *pool, struct kapi_value *svc)
{
    struct kapi_value *spec = kapi_obj_ensure_obj(pool, svc, "spec");
    if (!*spec_str(svc, "type"))
        kapi_obj_set(pool, spec, "type", kapi_value_str(pool, T_CLUSTERIP));
    if (!is_type(svc, T_EXTNAME) && !*spec_str(svc, "internalTrafficPolicy") &&
        (is_type(svc, T_CLUSTERIP) || needs_node_port(svc)))
        kapi_obj_set(pool, spec, "internalTrafficPolicy", kapi_value_str(pool, "Cluster"));
    if (needs_node_port(svc) && !*spec_str(svc, "externalTrafficPolicy"))
        kapi_obj_set(pool, spec, "externalTrafficPolicy", kapi_value_str(pool, "Cluster"));
    if (is_type(svc, T_LB) && !kapi_obj_get(spec, "allocateLoadBalancerNodePorts"))
        kapi_obj_set(pool, spec, "allocateLoadBalancerNodePorts", kapi_value_bool(pool, true));
}

/* Keeps clusterIP and clusterIPs in step (upstream's normalizeClusterIPs). */
static void normalize_cluster_ips(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old)
{
    struct kapi_value *spec = spec_of(svc);
    const char *ip = spec_str(svc, "clusterIP");
    const char **ips;
    size_t n = str_list(pool, spec, "clusterIPs", &ips);
    if (!old) {
        if (*ip && !n)
            set_str_list(pool, spec, "clusterIPs", &ip, 1);
        return;
    }
    const char *oip = spec_str(old, "clusterIP");
    const char **oips;
    size_t on = str_list(pool, spec_of(old), "clusterIPs", &oips);
    if (on && !n && strcmp(oip, ip) == 0) {
        set_str_list(pool, spec, "clusterIPs", oips, on);
        n = on;
    }
    if (strcmp(oip, ip) != 0) {
        bool same = same_list(svc, old, "clusterIPs");
        if (*oip && !*ip) {
            if (same)
                kapi_obj_del(spec, "clusterIPs");
        } else if (same) {
            set_str_list(pool, spec, "clusterIPs", &ip, 1);
        }
    }
}

/* Fills values the client left out of an update (upstream's patchAllocatedValues). */
static void patch_allocated(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old)
{
    struct kapi_value *spec = spec_of(svc);
    if (needs_cluster_ip(old) && needs_cluster_ip(svc)) {
        if (!*spec_str(svc, "clusterIP") && *spec_str(old, "clusterIP"))
            kapi_obj_set(pool, spec, "clusterIP", kapi_value_str(pool, spec_str(old, "clusterIP")));
        const char **x, **y;
        if (!str_list(pool, spec, "clusterIPs", &x)) {
            size_t on = str_list(pool, spec_of(old), "clusterIPs", &y);
            if (on)
                set_str_list(pool, spec, "clusterIPs", y, on);
        }
    }
    if (needs_node_port(old) && needs_node_port(svc)) {
        for (size_t i = 0; i < nports(svc); i++) {
            struct kapi_value *p = port_at(svc, i);
            if (!p || port_int(p, "nodePort"))
                continue;
            const char *name = kapi_obj_get_str(p, "name");
            int64_t oldval = 0;
            for (size_t j = 0; j < nports(old); j++) {
                struct kapi_value *q = port_at(old, j);
                const char *qn = q ? kapi_obj_get_str(q, "name") : NULL;
                if (q && strcmp(qn ? qn : "", name ? name : "") == 0)
                    oldval = port_int(q, "nodePort"); /* last one wins, as a Go map would */
            }
            if (!oldval)
                continue;
            /* Not when that port is in use by another port in both objects. */
            bool used_old = false, used_new = false;
            for (size_t j = 0; j < nports(old); j++)
                used_old |= node_port_at(old, j) == oldval;
            for (size_t j = 0; j < nports(svc); j++)
                used_new |= node_port_at(svc, j) == oldval;
            if (!(used_old && used_new))
                kapi_obj_set(pool, p, "nodePort", kapi_value_int(pool, oldval));
        }
    }
    if (needs_hc_port(old) && needs_hc_port(svc) && !hc_port(svc) && hc_port(old))
        kapi_obj_set(pool, spec, "healthCheckNodePort", kapi_value_int(pool, hc_port(old)));
}

/* Clears fields the new type no longer uses when the client left them as
 * they were (upstream's dropTypeDependentFields). */
static void drop_type_dependent(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old)
{
    struct kapi_value *spec = spec_of(svc);
    if (needs_cluster_ip(old) && !needs_cluster_ip(svc)) {
        if (same_member(svc, old, "clusterIP") && same_list(svc, old, "clusterIPs")) {
            kapi_obj_del(spec, "clusterIP");
            kapi_obj_del(spec, "clusterIPs");
        }
        if (same_list(svc, old, "ipFamilies"))
            kapi_obj_del(spec, "ipFamilies");
        if (same_member(svc, old, "ipFamilyPolicy"))
            kapi_obj_del(spec, "ipFamilyPolicy");
    }
    if (needs_node_port(old) && !needs_node_port(svc)) {
        bool same = nports(svc) == nports(old);
        for (size_t i = 0; same && i < nports(svc); i++)
            same = node_port_at(svc, i) == node_port_at(old, i);
        for (size_t i = 0; same && i < nports(svc); i++)
            if (port_at(svc, i))
                kapi_obj_del(port_at(svc, i), "nodePort");
    }
    if (needs_hc_port(old) && !needs_hc_port(svc) && hc_port(svc) == hc_port(old))
        kapi_obj_del(spec, "healthCheckNodePort");
    if (!is_type(svc, T_LB)) {
        if (same_member(svc, old, "allocateLoadBalancerNodePorts"))
            kapi_obj_del(spec, "allocateLoadBalancerNodePorts");
        if (same_member(svc, old, "loadBalancerClass"))
            kapi_obj_del(spec, "loadBalancerClass");
    }
    if (!needs_node_port(svc) && same_member(svc, old, "externalTrafficPolicy"))
        kapi_obj_del(spec, "externalTrafficPolicy");
    if (is_type(svc, T_EXTNAME) && same_member(svc, old, "internalTrafficPolicy"))
        kapi_obj_del(spec, "internalTrafficPolicy");
}

void kapi_svc_prepare(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old)
{
    set_defaults(pool, svc);
    if (old)
        patch_allocated(pool, svc, old);
    normalize_cluster_ips(pool, svc, old);
    if (old)
        drop_type_dependent(pool, svc, old);
}

static const char *ip_family(const char *ip)
{
    uint32_t v;
    if (ip_parse(ip, &v))
        return "IPv4";
    if (ip6_parse(ip))
        return "IPv6";
    return "unknown";
}

static char *ips_repr(struct kapi_pool *pool, const struct kapi_value *svc)
{
    const char **ips;
    size_t n = str_list(pool, spec_of(svc), "clusterIPs", &ips);
    return kapi_go_string_slice(pool, ips, n);
}

/* Defaults and checks ipFamilyPolicy / ipFamilies against this single-stack
 * IPv4 cluster (upstream's initIPFamilyFields, with the loose validation of
 * the clusterIP fields it runs first). Returns false with errs filled. */
static bool init_ip_families(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old,
                             struct kapi_field_errors *errs)
{
    if (is_type(svc, T_EXTNAME))
        return true;
    struct kapi_value *spec = spec_of(svc);
    const char **ips, **fams;
    size_t nip = str_list(pool, spec, "clusterIPs", &ips);
    size_t nfam = str_list(pool, spec, "ipFamilies", &fams);
    const char *policy = kapi_obj_get_str(spec, "ipFamilyPolicy");
    size_t before = errs->len;

    if (old && policy && strcmp(policy, "PreferDualStack") == 0 &&
        strcmp(kapi_obj_get_str(spec_of(old), "ipFamilyPolicy") ? kapi_obj_get_str(spec_of(old), "ipFamilyPolicy") : "",
               "PreferDualStack") == 0 &&
        strcmp(svc_type(old), svc_type(svc)) == 0 && same_list(svc, old, "clusterIPs") &&
        same_list(svc, old, "ipFamilies"))
        return true;

    if (!policy) {
        const char *oldp = old ? kapi_obj_get_str(spec_of(old), "ipFamilyPolicy") : NULL;
        if (oldp)
            policy = oldp;
        else if (strcmp(spec_str(svc, "clusterIP"), "None") == 0 && !has_selector(svc))
            policy = "RequireDualStack";
        else
            policy = "SingleStack";
        kapi_obj_set(pool, spec, "ipFamilyPolicy", kapi_value_str(pool, policy));
    }

    /* Loose pre-validation (upstream's ValidateServiceClusterIPsRelatedFields). */
    const char *ip = spec_str(svc, "clusterIP");
    if (*ip) {
        if (!nip)
            kapi_ferr_required(pool, errs, "spec.clusterIPs", "");
        else if (strcmp(ips[0], ip) != 0)
            kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                          "first value must match `clusterIP`");
    } else if (nip) {
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                      "must be empty when `clusterIP` is not specified");
    }
    static const char *const fam_ok[] = {"IPv4", "IPv6"};
    for (size_t i = 0; i < nfam; i++) {
        char *f = kapi_pool_printf(pool, "spec.ipFamilies[%zu]", i);
        if (strcmp(fams[i], "IPv4") && strcmp(fams[i], "IPv6"))
            kapi_ferr_not_supported(pool, errs, f, fams[i], fam_ok, 2);
        for (size_t j = 0; j < i; j++)
            if (strcmp(fams[i], fams[j]) == 0) {
                kapi_ferr_duplicate(pool, errs, f, fams[i]);
                break;
            }
    }
    static const char *const pol_ok[] = {"PreferDualStack", "RequireDualStack", "SingleStack"};
    if (strcmp(policy, pol_ok[0]) && strcmp(policy, pol_ok[1]) && strcmp(policy, pol_ok[2]))
        kapi_ferr_not_supported(pool, errs, "spec.ipFamilyPolicy", policy, pol_ok, 3);
    bool bad_ips = false;
    for (size_t i = 0; i < nip; i++) {
        if (i == 0 && strcmp(ips[0], "None") == 0) {
            if (nip > 1) {
                bad_ips = true;
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                              "'None' must be the first and only value");
            }
            continue;
        }
        if (strcmp(ip_family(ips[i]), "unknown") == 0) {
            bad_ips = true;
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "spec.clusterIPs[%zu]", i), ips[i],
                              "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
    }
    if (nip > 2)
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                      "may only hold up to 2 values");
    if (!bad_ips) {
        if (nip == 2 && strcmp(ip_family(ips[0]), ip_family(ips[1])) == 0)
            kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                          "may specify no more than one IP for each IP family");
        if (!(nip == 1 && strcmp(ips[0], "None") == 0))
            for (size_t i = 0; i < nip && i < nfam; i++) {
                bool v6 = strcmp(ip_family(ips[i]), "IPv6") == 0;
                if (strcmp(fams[i], "IPv4") == 0 && v6)
                    kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "spec.clusterIPs[%zu]", i), ips[i],
                                      kapi_pool_printf(pool, "expected an IPv4 value as indicated by `ipFamilies[%zu]`", i));
                if (strcmp(fams[i], "IPv6") == 0 && !v6)
                    kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "spec.clusterIPs[%zu]", i), ips[i],
                                      kapi_pool_printf(pool, "expected an IPv6 value as indicated by `ipFamilies[%zu]`", i));
            }
    }
    if (errs->len > before)
        return false;

    bool single = strcmp(policy, "SingleStack") == 0;
    if (old) {
        if (single) {
            if (same_list(svc, old, "clusterIPs") && nip > 1)
                set_str_list(pool, spec, "clusterIPs", ips, nip = 1);
            if (same_list(svc, old, "ipFamilies") && nfam > 1)
                set_str_list(pool, spec, "ipFamilies", fams, nfam = 1);
        } else {
            const char **o;
            if (nip && nip < str_list(pool, spec_of(old), "clusterIPs", &o))
                kapi_ferr_invalid(pool, errs, "spec.ipFamilyPolicy", policy,
                                  "must be 'SingleStack' to release the secondary cluster IP");
            if (nfam && nfam < str_list(pool, spec_of(old), "ipFamilies", &o))
                kapi_ferr_invalid(pool, errs, "spec.ipFamilyPolicy", policy,
                                  "must be 'SingleStack' to release the secondary IP family");
        }
    }
    if (single) {
        if (nip == 2)
            kapi_ferr_invalid(pool, errs, "spec.ipFamilyPolicy", policy,
                              "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
        if (nfam == 2)
            kapi_ferr_invalid(pool, errs, "spec.ipFamilyPolicy", policy,
                              "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
    }
    /* Infer families from the given IPs. */
    const char *newfams[4];
    size_t nnew = 0;
    for (size_t i = 0; i < nfam && nnew < 4; i++)
        newfams[nnew++] = fams[i];
    for (size_t i = 0; i < nip; i++) {
        if (strcmp(ips[i], "None") == 0)
            break;
        const char *fam = ip_family(ips[i]);
        if (i >= nnew) {
            if (strcmp(fam, "IPv4") != 0)
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, kapi_pool_printf(pool, "spec.clusterIPs[%zu]", i),
                              ips_repr(pool, svc), kapi_pool_printf(pool, "%s is not configured on this cluster", fam));
            else if (nnew < 4)
                newfams[nnew++] = fam;
        }
    }
    if (errs->len > before)
        return false;

    if (strcmp(spec_str(svc, "clusterIP"), "None") == 0 && !has_selector(svc)) {
        if (!nnew)
            newfams[nnew++] = "IPv4";
        if (nnew < 2 && !single)
            newfams[nnew++] = strcmp(newfams[0], "IPv4") == 0 ? "IPv6" : "IPv4";
        set_str_list(pool, spec, "ipFamilies", newfams, nnew);
        return true;
    }
    if (strcmp(policy, "RequireDualStack") == 0)
        kapi_ferr_invalid(pool, errs, "spec.ipFamilyPolicy", policy,
                          "this cluster is not configured for dual-stack services");
    for (size_t i = 0; i < nnew; i++)
        if (strcmp(newfams[i], "IPv4") != 0)
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "spec.ipFamilies[%zu]", i), newfams[i],
                              "not configured on this cluster");
    if (errs->len > before)
        return false;
    if (!nnew)
        newfams[nnew++] = "IPv4";
    set_str_list(pool, spec, "ipFamilies", newfams, nnew);
    return true;
}

/* ------------------------------------------------------------ allocation */

static int internal(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *msg)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_INTERNAL, NULL, NULL, msg);
    return KAPI_SVC_EINTERNAL;
}

/* Allocates the primary ClusterIP of svc (requested or dynamic). Sets
 * *claimed to the IP taken in storage (0 if none). */
static int alloc_cluster_ip(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc, bool dry_run,
                            uint32_t *claimed, struct kapi_field_errors *errs)
{
    *claimed = 0;
    if (is_type(svc, T_EXTNAME) || is_headless(pool, svc))
        return 0;
    struct kapi_value *spec = spec_of(svc);
    const char **ips;
    size_t nip = str_list(pool, spec, "clusterIPs", &ips);
    const char *want = nip ? ips[0] : "";
    char err[160];
    char s[16];
    if (!*want) {
        uint32_t ip = a->net; /* upstream's dry run answers the network address */
        if (!dry_run) {
            int rc = ip_claim_next(a, meta_str(svc, "namespace"), meta_str(svc, "name"), &ip, err, sizeof(err));
            if (rc == E_FULL)
                return internal(pool, errs, "failed to allocate a serviceIP: range is full");
            if (rc)
                return internal(pool, errs, kapi_pool_printf(pool, "failed to allocate a serviceIP: %s", err));
            *claimed = ip;
        }
        ip_format(ip, s);
        const char *ipstr = s;
        /* Keep a secondary entry the user gave (validation judges it). */
        const char **all = kapi_pool_alloc(pool, (nip ? nip : 1) * sizeof(*all));
        all[0] = ipstr;
        for (size_t i = 1; i < nip; i++)
            all[i] = ips[i];
        set_str_list(pool, spec, "clusterIPs", all, nip ? nip : 1);
        kapi_obj_set(pool, spec, "clusterIP", kapi_value_str(pool, ipstr));
        return 0;
    }
    uint32_t ip;
    if (!ip_parse(want, &ip))
        return internal(pool, errs, kapi_pool_printf(pool, "failed to parse service IP %s", kapi_go_quote(pool, want, strlen(want))));
    ip_format(ip, s);
    const char *detail = NULL;
    if (dry_run) {
        if (ip <= a->net || ip >= a->bcast)
            detail = kapi_pool_printf(pool, "the provided IP (%s) is not in the valid range. The range of valid IPs is %s",
                                      s, a->ips.spec);
    } else if (ip < a->net || ip > a->bcast) {
        detail = "the provided network does not match the current range";
    } else if (ip == a->net || ip == a->bcast) {
        detail = kapi_pool_printf(pool, "the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s,
                                  a->ips.spec);
    } else {
        int rc = ip_claim(a, ip, meta_str(svc, "namespace"), meta_str(svc, "name"), true, err, sizeof(err));
        if (rc == E_ALLOCATED)
            detail = "provided IP is already allocated";
        else if (rc)
            detail = err;
        else
            *claimed = ip;
    }
    if (detail) {
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs", ips_repr(pool, svc),
                      kapi_pool_printf(pool, "failed to allocate IP %s: %s", want, detail));
        return KAPI_SVC_EINVALID;
    }
    return 0;
}

/* Runs the collected port ops (really or as a dry run) and turns a failure
 * into upstream's error. Dynamic results are written into svc. */
static int run_port_txn(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc, struct port_txn *t,
                        bool dry_run, struct kapi_field_errors *errs)
{
    if (!t->n)
        return 0;
    char err[160] = "";
    int rc = dry_run ? port_txn_dry(a, t, err, sizeof(err)) : range_txn(a, &a->ports, port_txn_apply, t, err, sizeof(err));
    if (rc == -2)
        return internal(pool, errs, kapi_pool_printf(pool, "failed to allocate a nodePort: %s", err));
    if (rc) {
        struct port_op *op = &t->ops[t->fail_at];
        const char *why = rc == E_ALLOCATED ? "provided port is already allocated"
                        : rc == E_FULL      ? "range is full"
                                            : kapi_pool_printf(pool, "provided port is not in the valid range. "
                                                               "The range of valid ports is %s", a->ports.spec);
        if (op->index < 0) {
            if (op->kind == OP_NEXT)
                return internal(pool, errs, kapi_pool_printf(pool, "failed to allocate a HealthCheck NodePort %d: %s", 0, why));
            return internal(pool, errs, kapi_pool_printf(pool, "failed to allocate requested HealthCheck NodePort %u: %s",
                                                         op->value, why));
        }
        if (op->kind == OP_NEXT)
            return internal(pool, errs, kapi_pool_printf(pool, "failed to allocate a nodePort: %s", why));
        kapi_ferr_invalid_int(pool, errs, kapi_pool_printf(pool, "spec.ports[%d].nodePort", op->index), op->value, why);
        return KAPI_SVC_EINVALID;
    }
    for (size_t i = 0; i < t->n; i++) {
        struct port_op *op = &t->ops[i];
        if (op->kind != OP_NEXT)
            continue;
        if (op->index < 0) {
            kapi_obj_set(pool, spec_of(svc), "healthCheckNodePort", kapi_value_int(pool, op->value));
            continue;
        }
        struct kapi_value *p = port_at(svc, (size_t)op->index);
        kapi_obj_set(pool, p, "nodePort", kapi_value_int(pool, op->value));
        /* On create, later ports with the same port number share the node port. */
        int64_t num = port_int(p, "port");
        for (size_t j = (size_t)op->index + 1; op->share && j < nports(svc); j++) {
            struct kapi_value *q = port_at(svc, j);
            if (q && port_int(q, "port") == num && !port_int(q, "nodePort"))
                kapi_obj_set(pool, q, "nodePort", kapi_value_int(pool, op->value));
        }
    }
    return 0;
}

/* Upstream's initNodePorts: per service port, the requested nodePort or a
 * new one; ports sharing a port number share the node port. */
static void plan_create_ports(struct kapi_value *svc, struct port_txn *t)
{
    if (needs_node_port(svc)) {
        bool alloc = should_alloc_node_ports(svc);
        for (size_t i = 0; i < nports(svc); i++) {
            struct kapi_value *p = port_at(svc, i);
            if (!p)
                continue;
            int64_t np = port_int(p, "nodePort"), num = port_int(p, "port");
            if (!np && !alloc)
                continue;
            /* Already handled by an earlier port with this number? */
            int64_t prior = 0;
            bool seen = false;
            for (size_t j = 0; j < i; j++) {
                struct kapi_value *q = port_at(svc, j);
                if (q && port_int(q, "port") == num && (port_int(q, "nodePort") || alloc)) {
                    seen = true;
                    prior = port_int(q, "nodePort");
                    for (size_t k = 0; k < t->n; k++)
                        if (t->ops[k].index == (int)j && t->ops[k].kind == OP_REQ)
                            prior = t->ops[k].value;
                    break;
                }
            }
            if (!seen) {
                int64_t want = np;
                for (size_t j = i; !want && j < nports(svc); j++) {
                    struct kapi_value *q = port_at(svc, j);
                    if (q && port_int(q, "port") == num && port_int(q, "nodePort"))
                        want = port_int(q, "nodePort");
                }
                if (want)
                    txn_push(t, OP_REQ, (uint32_t)want, (int)i, false);
                else
                    txn_push(t, OP_NEXT, 0, (int)i, true);
            } else if (np && np != prior) {
                txn_push(t, OP_REQ, (uint32_t)np, (int)i, false);
            }
        }
    }
    if (needs_hc_port(svc)) {
        int64_t hc = hc_port(svc);
        txn_push(t, hc ? OP_REQ : OP_NEXT, (uint32_t)hc, -1, false);
    }
}

/* Fills requested nodePorts that planning folded into an earlier port. */
static void fill_requested(struct kapi_pool *pool, struct kapi_value *svc, const struct port_txn *t)
{
    for (size_t k = 0; k < t->n; k++) {
        const struct port_op *op = &t->ops[k];
        if (op->kind != OP_REQ || op->index < 0)
            continue;
        struct kapi_value *p = port_at(svc, (size_t)op->index);
        int64_t num = port_int(p, "port");
        if (!port_int(p, "nodePort"))
            kapi_obj_set(pool, p, "nodePort", kapi_value_int(pool, op->value));
        for (size_t j = (size_t)op->index + 1; j < nports(svc); j++) {
            struct kapi_value *q = port_at(svc, j);
            if (q && port_int(q, "port") == num && !port_int(q, "nodePort"))
                kapi_obj_set(pool, q, "nodePort", kapi_value_int(pool, op->value));
        }
    }
}

static void release_ports(struct kapi_svc_alloc *a, const uint32_t *ports, size_t n)
{
    if (!n)
        return;
    struct port_txn t = {0};
    for (size_t i = 0; i < n; i++)
        txn_push(&t, OP_REL, ports[i], 0, false);
    char err[160];
    if (range_txn(a, &a->ports, port_txn_apply, &t, err, sizeof(err)) < 0)
        kapi_log(0, "services: releasing node ports: %s", err);
    free(t.ops);
}

int kapi_svc_alloc_create(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc, bool dry_run,
                          struct kapi_field_errors *errs)
{
    kapi_svc_prepare(pool, svc, NULL);
    if (!init_ip_families(pool, svc, NULL, errs))
        return KAPI_SVC_EINVALID;
    uint32_t claimed;
    int rc = alloc_cluster_ip(a, pool, svc, dry_run, &claimed, errs);
    if (rc)
        return rc;
    struct port_txn t = {0};
    plan_create_ports(svc, &t);
    rc = run_port_txn(a, pool, svc, &t, dry_run, errs);
    if (!rc)
        fill_requested(pool, svc, &t);
    free(t.ops);
    if (rc && claimed)
        ip_release(a, claimed, meta_str(svc, "namespace"), meta_str(svc, "name"));
    return rc;
}

/* ClusterIPs (parsed) an object holds in storage. */
static size_t held_ips(struct kapi_pool *pool, const struct kapi_value *svc, uint32_t out[2])
{
    if (!svc || !needs_cluster_ip(svc) || is_headless(pool, svc))
        return 0;
    const char **ips;
    size_t n = str_list(pool, spec_of(svc), "clusterIPs", &ips), k = 0;
    if (!n && *spec_str(svc, "clusterIP")) { /* an object written before clusterIPs existed */
        uint32_t v;
        if (ip_parse(spec_str(svc, "clusterIP"), &v))
            out[k++] = v;
        return k;
    }
    for (size_t i = 0; i < n && k < 2; i++) {
        uint32_t v;
        if (ip_parse(ips[i], &v))
            out[k++] = v;
    }
    return k;
}

/* NodePorts (and health check port) an object holds. Heap array. */
static size_t held_ports(const struct kapi_value *svc, uint32_t **out)
{
    *out = NULL;
    if (!svc)
        return 0;
    size_t n = 0;
    uint32_t *v = kapi_xmalloc((nports(svc) + 1) * sizeof(*v));
    if (needs_node_port(svc))
        for (size_t i = 0; i < nports(svc); i++) {
            int64_t np = node_port_at(svc, i);
            if (np > 0 && np <= 65535)
                v[n++] = (uint32_t)np;
        }
    if (needs_hc_port(svc) && hc_port(svc) > 0 && hc_port(svc) <= 65535)
        v[n++] = (uint32_t)hc_port(svc);
    *out = v;
    return n;
}

static bool contains_u32(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

void kapi_svc_alloc_release_diff(struct kapi_svc_alloc *a, const struct kapi_value *from,
                                 const struct kapi_value *keep)
{
    if (!from)
        return;
    struct kapi_pool *pool = kapi_pool_new();
    uint32_t fi[2], ki[2];
    size_t nf = held_ips(pool, from, fi), nk = held_ips(pool, keep, ki);
    for (size_t i = 0; i < nf; i++)
        if (!contains_u32(ki, nk, fi[i]))
            ip_release(a, fi[i], meta_str(from, "namespace"), meta_str(from, "name"));
    uint32_t *fp, *kp;
    size_t nfp = held_ports(from, &fp), nkp = held_ports(keep, &kp);
    uint32_t *rel = kapi_xmalloc((nfp + 1) * sizeof(*rel));
    size_t nrel = 0;
    for (size_t i = 0; i < nfp; i++)
        if (!contains_u32(kp, nkp, fp[i]) && !contains_u32(rel, nrel, fp[i]))
            rel[nrel++] = fp[i];
    release_ports(a, rel, nrel);
    free(rel);
    free(fp);
    free(kp);
    kapi_pool_free(pool);
}

void kapi_svc_alloc_release(struct kapi_svc_alloc *a, const struct kapi_value *svc)
{
    kapi_svc_alloc_release_diff(a, svc, NULL);
}

/* Upstream's ValidateServiceUpdate clusterIP checks (immutability and the
 * upgrade/downgrade rules, single-stack subset). */
static void check_ip_update(struct kapi_pool *pool, const struct kapi_value *svc, const struct kapi_value *old,
                            struct kapi_field_errors *errs)
{
    if (is_type(svc, T_EXTNAME) || is_type(old, T_EXTNAME))
        return;
    const char *ip = spec_str(svc, "clusterIP"), *oip = spec_str(old, "clusterIP");
    if (*oip && strcmp(ip, oip) != 0)
        kapi_ferr_invalid(pool, errs, "spec.clusterIP", ip, "field is immutable");
    if (is_headless(pool, svc) && is_headless(pool, old))
        return;
    const char **n, **o;
    size_t nn = str_list(pool, spec_of(svc), "clusterIPs", &n), on = str_list(pool, spec_of(old), "clusterIPs", &o);
    char *repr = ips_repr(pool, svc);
    if (nn == on) {
        for (size_t i = 0; i < on; i++)
            if (strcmp(o[i], n[i]) != 0)
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, kapi_pool_printf(pool, "spec.clusterIPs[%zu]", i), repr,
                              "may not change once set");
    } else if (on > nn) {
        if (!nn)
            kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs[0]", repr, "primary clusterIP can not be unset");
        if (nn && strcmp(n[0], o[0]) != 0)
            kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs[0]", repr, "may not change once set");
    } else if (on && strcmp(n[0], o[0]) != 0) {
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "spec.clusterIPs[0]", repr, "may not change once set");
    }
}

int kapi_svc_alloc_update(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc,
                          const struct kapi_value *old, bool dry_run, struct kapi_field_errors *errs)
{
    kapi_svc_prepare(pool, svc, old);
    size_t before = errs->len;
    check_ip_update(pool, svc, old, errs);
    if (errs->len > before)
        return KAPI_SVC_EINVALID;
    if (!init_ip_families(pool, svc, old, errs))
        return KAPI_SVC_EINVALID;

    /* ClusterIP: only a move from ExternalName allocates (single stack). */
    uint32_t claimed = 0;
    int rc = 0;
    if (is_type(old, T_EXTNAME) && !is_type(svc, T_EXTNAME))
        rc = alloc_cluster_ip(a, pool, svc, dry_run, &claimed, errs);
    if (rc)
        return rc;

    /* NodePorts: what the new object asks for that the old did not hold. */
    struct port_txn t = {0};
    uint32_t *oldp;
    size_t noldp = held_ports(old, &oldp);
    if (needs_node_port(svc)) {
        bool alloc = should_alloc_node_ports(svc);
        for (size_t i = 0; i < nports(svc); i++) {
            struct kapi_value *p = port_at(svc, i);
            if (!p)
                continue;
            int64_t np = port_int(p, "nodePort");
            if (!np && !alloc)
                continue;
            if (np) {
                bool held = needs_node_port(old) && contains_u32(oldp, noldp, (uint32_t)np);
                bool dup = false;
                for (size_t k = 0; k < t.n; k++)
                    dup |= t.ops[k].kind == OP_REQ && t.ops[k].value == (uint32_t)np;
                if (!held && !dup)
                    txn_push(&t, OP_REQ, (uint32_t)np, (int)i, false);
            } else {
                txn_push(&t, OP_NEXT, 0, (int)i, false);
            }
        }
    }
    if (needs_hc_port(svc) && !needs_hc_port(old)) {
        int64_t hc = hc_port(svc);
        txn_push(&t, hc ? OP_REQ : OP_NEXT, (uint32_t)hc, -1, false);
    }
    free(oldp);
    rc = run_port_txn(a, pool, svc, &t, dry_run, errs);
    free(t.ops);
    if (rc) {
        if (claimed)
            ip_release(a, claimed, meta_str(svc, "namespace"), meta_str(svc, "name"));
        return rc;
    }
    /* A duplicate (protocol, nodePort) pair among the new ports. */
    for (size_t i = 0; i < nports(svc); i++)
        for (size_t j = 0; j < i; j++) {
            struct kapi_value *p = port_at(svc, i), *q = port_at(svc, j);
            const char *pp = p ? kapi_obj_get_str(p, "protocol") : NULL, *qp = q ? kapi_obj_get_str(q, "protocol") : NULL;
            if (needs_node_port(svc) && p && q && port_int(p, "nodePort") &&
                port_int(p, "nodePort") == port_int(q, "nodePort") && strcmp(pp ? pp : "TCP", qp ? qp : "TCP") == 0) {
                if (!dry_run)
                    kapi_svc_alloc_release_diff(a, svc, old);
                return internal(pool, errs, kapi_pool_printf(pool, "duplicate nodePort: {%s %lld}", pp ? pp : "TCP",
                                                             (long long)port_int(p, "nodePort")));
            }
        }
    return 0;
}

struct kapi_status *kapi_svc_alloc_status(struct kapi_pool *pool, int rc, const char *name,
                                          const struct kapi_field_errors *errs)
{
    if (rc == KAPI_SVC_EINTERNAL && errs->len)
        return kapi_status_internal(pool, errs->items[errs->len - 1].detail);
    return kapi_status_invalid(pool, "", "Service", name, errs);
}
