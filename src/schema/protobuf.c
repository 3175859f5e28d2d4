/* Protobuf <-> value transcoding over the generated schema tables.
 *
 * Decoding keeps one slot per declared field on a scratch stack (indexed by
 * the O(1) number -> field table), so the hot loop does no string work; the
 * object is assembled in declaration order once the message is consumed.
 * Encoding writes fields in ascending number with a one-byte length
 * placeholder that is widened in place when a nested message turns out to be
 * 128 bytes or longer. */
#include "protobuf.h"

#include "../base/b64.h"
#include "../codec/json.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* ---------------------------------------------------------------- common */

static void set_err(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
}

static size_t varint_put(uint64_t v, uint8_t out[10])
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Year 0 .. 9999, the range Go's time JSON encoding accepts. */
#define MIN_UNIX_SEC (-62167219200LL)
#define MAX_UNIX_SEC (253402300799LL)

/* ---------------------------------------------------------------- decode */

struct dec {
    struct kapi_pool *pool;
    size_t pool_start, budget;
    int depth;
    unsigned flags;
    bool failed;
    char *err;
    size_t errlen;
    struct kapi_value **slots;  /* scratch stack: one slot per declared field */
    size_t nslots, capslots;
};

KAPI_PRINTF(2, 3) static void *dfail(struct dec *d, const char *fmt, ...)
{
    if (!d->failed) {
        va_list ap;
        va_start(ap, fmt);
        set_err(d->err, d->errlen, fmt, ap);
        va_end(ap);
        d->failed = true;
    }
    return NULL;
}

struct rd {
    const uint8_t *p, *end;
};

static inline bool rd_varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return false;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static inline bool rd_len(struct rd *r, struct rd *sub)
{
    uint64_t n;
    if (!rd_varint(r, &n) || n > (uint64_t)(r->end - r->p))
        return false;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return true;
}

static bool rd_skip(struct dec *d, struct rd *r, unsigned wt)
{
    uint64_t v;
    struct rd sub;
    switch (wt) {
    case WT_VARINT:
        if (rd_varint(r, &v))
            return true;
        break;
    case WT_I64:
        if (r->end - r->p >= 8) {
            r->p += 8;
            return true;
        }
        break;
    case WT_LEN:
        if (rd_len(r, &sub))
            return true;
        break;
    case WT_I32:
        if (r->end - r->p >= 4) {
            r->p += 4;
            return true;
        }
        break;
    default:
        dfail(d, "protobuf: unsupported wire type %u", wt);
        return false;
    }
    dfail(d, "protobuf: unexpected end of input");
    return false;
}

static bool over_budget(struct dec *d)
{
    if (kapi_pool_used(d->pool) - d->pool_start > d->budget) {
        dfail(d, "protobuf: decoded object too large");
        return true;
    }
    return false;
}

static struct kapi_value *mkval(struct dec *d, enum kapi_vtype t)
{
    struct kapi_value *v = kapi_pool_alloc(d->pool, sizeof(*v));
    memset(v, 0, sizeof(*v));
    v->type = t;
    return v;
}

static struct kapi_value *b64_value(struct dec *d, const uint8_t *p, size_t n)
{
    struct kapi_value *v = mkval(d, KAPI_V_STRING);
    v->u.str.s = kapi_b64_encode_pool(d->pool, p, n, 0);
    v->u.str.len = kapi_b64_encoded_len(n, 0);
    return v;
}

static struct kapi_value *str_value(struct dec *d, const uint8_t *p, size_t n)
{
    struct kapi_value *v = mkval(d, KAPI_V_STRING);
    v->u.str.s = kapi_pool_strndup(d->pool, (const char *)p, n);
    v->u.str.len = n;
    return v;
}

static struct kapi_value *int_value(struct dec *d, int64_t i)
{
    struct kapi_value *v = mkval(d, KAPI_V_INT);
    v->u.i = i;
    return v;
}

static struct kapi_value *double_value(struct dec *d, double f)
{
    if (!isfinite(f))
        return dfail(d, "protobuf: non-finite number cannot be represented in JSON");
    /* Go prints an integral float64 without a fraction, which the JSON
     * reader turns into an INT: produce the same value. */
    if (f == trunc(f) && fabs(f) < 9007199254740992.0 && !(f == 0 && signbit(f)))
        return int_value(d, (int64_t)f);
    struct kapi_value *v = mkval(d, KAPI_V_FLOAT);
    v->u.f = f;
    return v;
}

static struct kapi_value *decode_msg(struct dec *d, const struct kapi_schema_msg *m, const uint8_t *p,
                                     size_t n);
static struct kapi_value *decode_envelope(struct dec *d, const uint8_t *p, size_t n, const char *eg,
                                          const char *ev, const char *ek);

/* One scalar of field kind `kind` whose wire type has been checked. */
static struct kapi_value *decode_scalar(struct dec *d, unsigned kind, struct rd *r)
{
    uint64_t v;
    struct rd sub;
    switch (kind) {
    case KAPI_PB_STRING:
        if (!rd_len(r, &sub))
            break;
        return str_value(d, sub.p, (size_t)(sub.end - sub.p));
    case KAPI_PB_BYTES:
        if (!rd_len(r, &sub))
            break;
        return b64_value(d, sub.p, (size_t)(sub.end - sub.p));
    case KAPI_PB_BOOL:
        if (!rd_varint(r, &v))
            break;
        return kapi_value_bool(d->pool, v != 0);
    case KAPI_PB_INT32:
        if (!rd_varint(r, &v))
            break;
        return int_value(d, (int32_t)(uint32_t)v);
    case KAPI_PB_INT64:
        if (!rd_varint(r, &v))
            break;
        return int_value(d, (int64_t)v);
    case KAPI_PB_UINT32:
        if (!rd_varint(r, &v))
            break;
        return int_value(d, (uint32_t)v);
    case KAPI_PB_UINT64:
        if (!rd_varint(r, &v))
            break;
        if (v > INT64_MAX)
            return double_value(d, (double)v);
        return int_value(d, (int64_t)v);
    case KAPI_PB_DOUBLE: {
        if (r->end - r->p < 8)
            break;
        uint64_t bits = 0;
        for (int i = 7; i >= 0; i--)
            bits = bits << 8 | r->p[i];
        r->p += 8;
        double f;
        memcpy(&f, &bits, sizeof(f));
        return double_value(d, f);
    }
    case KAPI_PB_FLOAT: {
        if (r->end - r->p < 4)
            break;
        uint32_t bits = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                        (uint32_t)r->p[3] << 24;
        r->p += 4;
        float f;
        memcpy(&f, &bits, sizeof(f));
        return double_value(d, f);
    }
    }
    return dfail(d, "protobuf: unexpected end of input");
}

static unsigned kind_wire_type(unsigned kind)
{
    switch (kind) {
    case KAPI_PB_BOOL:
    case KAPI_PB_INT32:
    case KAPI_PB_INT64:
    case KAPI_PB_UINT32:
    case KAPI_PB_UINT64:
        return WT_VARINT;
    case KAPI_PB_DOUBLE:
        return WT_I64;
    case KAPI_PB_FLOAT:
        return WT_I32;
    default:
        return WT_LEN;
    }
}

/* The value a field takes when it is absent from a map entry. */
static struct kapi_value *zero_value(struct dec *d, const struct kapi_schema_field *f)
{
    switch (f->kind) {
    case KAPI_PB_STRING:
    case KAPI_PB_BYTES:
        return kapi_value_str(d->pool, "");
    case KAPI_PB_BOOL:
        return kapi_value_bool(d->pool, false);
    case KAPI_PB_DOUBLE:
    case KAPI_PB_FLOAT:
    case KAPI_PB_INT32:
    case KAPI_PB_INT64:
    case KAPI_PB_UINT32:
    case KAPI_PB_UINT64:
        return int_value(d, 0);
    default:
        return decode_msg(d, kapi_schema_field_msg(f), NULL, 0);
    }
}

/* One element of field f (a single value, one repeated item or one map value). */
static struct kapi_value *decode_elem(struct dec *d, const struct kapi_schema_field *f, struct rd *r)
{
    if (f->kind != KAPI_PB_MESSAGE)
        return decode_scalar(d, f->kind, r);
    struct rd sub;
    if (!rd_len(r, &sub))
        return dfail(d, "protobuf: length past end of input in field %s", f->name);
    return decode_msg(d, kapi_schema_field_msg(f), sub.p, (size_t)(sub.end - sub.p));
}

static void obj_append(struct dec *d, struct kapi_value *obj, const char *key, size_t klen,
                       struct kapi_value *val)
{
    if (obj->u.obj.len == obj->u.obj.cap) {
        size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;
        struct kapi_member *nm = kapi_pool_alloc(d->pool, cap * sizeof(*nm));
        if (obj->u.obj.len)
            memcpy(nm, obj->u.obj.members, obj->u.obj.len * sizeof(*nm));
        obj->u.obj.members = nm;
        obj->u.obj.cap = cap;
    }
    struct kapi_member *mb = &obj->u.obj.members[obj->u.obj.len++];
    mb->key = key;
    mb->klen = klen;
    mb->val = val;
}

static bool decode_map_entry(struct dec *d, const struct kapi_schema_field *f, struct rd *r,
                             struct kapi_value *obj)
{
    struct rd e;
    if (!rd_len(r, &e)) {
        dfail(d, "protobuf: length past end of input in field %s", f->name);
        return false;
    }
    const uint8_t *key = (const uint8_t *)"";
    size_t klen = 0;
    struct kapi_value *val = NULL;
    while (e.p < e.end) {
        uint64_t tag;
        if (!rd_varint(&e, &tag))
            return dfail(d, "protobuf: truncated tag"), false;
        unsigned wt = tag & 7;
        uint64_t num = tag >> 3;
        if (num == 1 && wt == WT_LEN) {
            struct rd k;
            if (!rd_len(&e, &k))
                return dfail(d, "protobuf: length past end of input"), false;
            key = k.p;
            klen = (size_t)(k.end - k.p);
        } else if (num == 2 && wt == kind_wire_type(f->kind)) {
            val = decode_elem(d, f, &e);
            if (!val)
                return false;
        } else if (!rd_skip(d, &e, wt)) {
            return false;
        }
    }
    if (!val && !(val = zero_value(d, f)))
        return false;
    obj_append(d, obj, kapi_pool_strndup(d->pool, (const char *)key, klen), klen, val);
    return true;
}

static int member_cmp(const void *a, const void *b)
{
    const struct kapi_member *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c == 0)
        c = x->klen < y->klen ? -1 : x->klen > y->klen;
    if (c == 0) /* equal keys keep wire order so the last one can win */
        c = x < y ? -1 : x > y;
    return c;
}

/* Go emits map keys sorted, and a repeated key's last value wins. */
static void finish_map(struct kapi_value *obj)
{
    struct kapi_member *m = obj->u.obj.members;
    size_t n = obj->u.obj.len, o = 0;
    if (n < 2)
        return;
    qsort(m, n, sizeof(*m), member_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && m[i].klen == m[i + 1].klen && memcmp(m[i].key, m[i + 1].key, m[i].klen) == 0)
            continue;
        m[o++] = m[i];
    }
    obj->u.obj.len = o;
}

static size_t push_slots(struct dec *d, size_t n)
{
    if (d->nslots + n > d->capslots) {
        size_t cap = d->capslots ? d->capslots * 2 : 256;
        while (cap < d->nslots + n)
            cap *= 2;
        d->slots = kapi_xrealloc(d->slots, cap * sizeof(*d->slots));
        d->capslots = cap;
    }
    size_t base = d->nslots;
    if (n == 0) /* field-less messages (slots may still be NULL) */
        return base;
    memset(d->slots + base, 0, n * sizeof(*d->slots));
    d->nslots += n;
    return base;
}

/* A message's fields as an object in declaration order. */
/* Optional scalars that Go keeps as pointers: a zero there was set on
 * purpose (replicas: 0, runAsUser: 0, automountServiceAccountToken: false)
 * and stays. The definitions do not say which fields are pointers; this is
 * the list of the ones where zero is a meaningful, commonly sent value. */
static const char *const pointer_scalars[] = {
    "activeDeadlineSeconds", "allocateLoadBalancerNodePorts", "allowPrivilegeEscalation",
    "automountServiceAccountToken", "backoffLimit", "backoffLimitPerIndex", "blockOwnerDeletion", "completions",
    "controller", "defaultMode", "deletionGracePeriodSeconds", "enableServiceLinks", "expirationSeconds",
    "failedJobsHistoryLimit", "fsGroup", "hostUsers", "manualSelector", "maxFailedIndexes", "minReplicas", "mode",
    "optional", "parallelism", "partition", "priority", "privileged", "progressDeadlineSeconds",
    "readOnlyRootFilesystem", "revisionHistoryLimit", "runAsGroup", "runAsNonRoot", "runAsUser",
    "setHostnameAsFQDN", "shareProcessNamespace", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
    "suspend", "targetCPUUtilizationPercentage", "terminationGracePeriodSeconds", "timeoutSeconds",
    "tolerationSeconds", "ttlSecondsAfterFinished",
};

/* Whether an optional field's decoded value is Go's zero value that its
 * JSON (omitempty) would leave out: "" always, 0 and false unless the field
 * is one of the known pointers. */
static bool omit_zero(const struct kapi_schema_msg *m, const struct kapi_schema_field *f, const struct kapi_value *v)
{
    /* spec.replicas of the workloads is a pointer; status.replicas is not */
    size_t ml = strlen(m->name);
    if (strcmp(f->name, "replicas") == 0 && ml > 4 && strcmp(m->name + ml - 4, "Spec") == 0)
        return false;
    if (v->type == KAPI_V_STRING)
        return f->kind == KAPI_PB_STRING && v->u.str.len == 0;
    bool zero = (v->type == KAPI_V_INT && v->u.i == 0) || (v->type == KAPI_V_BOOL && !v->u.b) ||
                (v->type == KAPI_V_FLOAT && v->u.f == 0);
    if (!zero)
        return false;
    for (size_t i = 0; i < sizeof(pointer_scalars) / sizeof(pointer_scalars[0]); i++)
        if (strcmp(f->name, pointer_scalars[i]) == 0)
            return false;
    return true;
}

static struct kapi_value *decode_plain(struct dec *d, const struct kapi_schema_msg *m, const uint8_t *p,
                                       size_t n)
{
    size_t base = push_slots(d, m->nfields);
    struct rd r = {p, p + n};
    const struct kapi_schema_field *fields = &kapi_schema_fields[m->first_field];
    while (r.p < r.end) {
        uint64_t tag;
        if (!rd_varint(&r, &tag))
            return dfail(d, "protobuf: truncated tag in %s", m->name);
        unsigned wt = tag & 7;
        uint64_t num = tag >> 3;
        if (num == 0)
            return dfail(d, "protobuf: illegal field number 0 in %s", m->name);
        unsigned idx = num <= m->max_number ? kapi_schema_numidx[m->numidx + num] : 0;
        if (!idx) {
            if (!rd_skip(d, &r, wt))
                return NULL;
            continue;
        }
        const struct kapi_schema_field *f = &fields[idx - 1];
        unsigned want = kind_wire_type(f->kind);
        if (f->flags & KAPI_SCHEMA_F_MAP) {
            if (wt != WT_LEN)
                return dfail(d, "protobuf: wrong wire type %u for %s.%s", wt, m->name, f->name);
            if (!d->slots[base + idx - 1])
                d->slots[base + idx - 1] = mkval(d, KAPI_V_OBJECT);
            if (!decode_map_entry(d, f, &r, d->slots[base + idx - 1]))
                return NULL;
            continue;
        }
        if (f->flags & KAPI_SCHEMA_F_REPEATED) {
            if (!d->slots[base + idx - 1])
                d->slots[base + idx - 1] = mkval(d, KAPI_V_ARRAY);
            if (wt == WT_LEN && want != WT_LEN) {
                /* packed scalars: accepted although Go writes them unpacked */
                struct rd sub;
                if (!rd_len(&r, &sub))
                    return dfail(d, "protobuf: length past end of input in %s.%s", m->name, f->name);
                while (sub.p < sub.end) {
                    struct kapi_value *v = decode_scalar(d, f->kind, &sub);
                    if (!v)
                        return NULL;
                    kapi_arr_push(d->pool, d->slots[base + idx - 1], v);
                }
                continue;
            }
        }
        if (wt != want)
            return dfail(d, "protobuf: wrong wire type %u for %s.%s", wt, m->name, f->name);
        struct kapi_value *v = decode_elem(d, f, &r);
        if (!v)
            return NULL;
        if (f->flags & KAPI_SCHEMA_F_REPEATED)
            kapi_arr_push(d->pool, d->slots[base + idx - 1], v);
        else
            d->slots[base + idx - 1] = v; /* last one wins */
    }
    size_t count = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        struct kapi_value *v = d->slots[base + i];
        if (v && (fields[i].flags & KAPI_SCHEMA_F_REPEATED) && v->u.arr.len == 0)
            v = d->slots[base + i] = NULL; /* an empty packed run: Go's nil slice */
        if (v && (fields[i].flags & KAPI_SCHEMA_F_INLINE))
            count += v->type == KAPI_V_OBJECT ? v->u.obj.len : 0;
        else
            count += v != NULL;
    }
    struct kapi_value *obj = mkval(d, KAPI_V_OBJECT);
    if (count) {
        obj->u.obj.members = kapi_pool_alloc(d->pool, count * sizeof(struct kapi_member));
        obj->u.obj.cap = count;
    }
    for (size_t i = 0; i < m->nfields; i++) {
        struct kapi_value *v = d->slots[base + i];
        if (!v)
            continue;
        /* Go writes its non-pointer scalars even when zero; with omitempty
         * (the +optional marker, or the tag where the marker is missing) its
         * JSON leaves them out */
        if ((d->flags & KAPI_PB_OMIT_EMPTY) &&
            (fields[i].flags & (KAPI_SCHEMA_F_OPTIONAL | KAPI_SCHEMA_F_OMITEMPTY)) &&
            !(fields[i].flags & (KAPI_SCHEMA_F_REPEATED | KAPI_SCHEMA_F_MAP)) && omit_zero(m, &fields[i], v))
            continue;
        if (fields[i].flags & KAPI_SCHEMA_F_MAP)
            finish_map(v);
        if (fields[i].flags & KAPI_SCHEMA_F_INLINE) {
            /* an embedded struct's fields sit in the parent, at its position */
            for (size_t k = 0; v->type == KAPI_V_OBJECT && k < v->u.obj.len; k++)
                obj_append(d, obj, v->u.obj.members[k].key, v->u.obj.members[k].klen,
                           v->u.obj.members[k].val);
            continue;
        }
        obj_append(d, obj, fields[i].name, fields[i].name_len, v);
    }
    d->nslots = base;
    return obj;
}

/* Fields 1..4 of a small special message: varints and byte ranges, last wins. */
struct small {
    uint64_t v[5];
    struct rd b[5];
    unsigned seen; /* bit n: field n present */
};

static bool decode_small(struct dec *d, const char *name, const uint8_t *p, size_t n, struct small *s)
{
    static const uint8_t empty[1];
    struct rd r = {p, p + n};
    memset(s, 0, sizeof(*s));
    for (int k = 0; k < 5; k++)
        s->b[k].p = s->b[k].end = empty; /* absent fields read as empty */
    while (r.p < r.end) {
        uint64_t tag;
        if (!rd_varint(&r, &tag))
            return dfail(d, "protobuf: truncated tag in %s", name), false;
        unsigned wt = tag & 7;
        uint64_t num = tag >> 3;
        if (num >= 1 && num <= 4 && wt == WT_VARINT) {
            if (!rd_varint(&r, &s->v[num]))
                return dfail(d, "protobuf: truncated varint in %s", name), false;
        } else if (num >= 1 && num <= 4 && wt == WT_LEN) {
            if (!rd_len(&r, &s->b[num]))
                return dfail(d, "protobuf: length past end of input in %s", name), false;
        } else if (num == 0) {
            return dfail(d, "protobuf: illegal field number 0 in %s", name), false;
        } else {
            if (!rd_skip(d, &r, wt))
                return false;
            continue;
        }
        s->seen |= 1u << num;
    }
    return true;
}

static struct kapi_value *time_value(struct dec *d, const struct kapi_schema_msg *m, const uint8_t *p,
                                     size_t n, bool micro)
{
    /* Go writes the zero time as an empty message; its JSON is null. */
    if (n == 0)
        return kapi_value_null(d->pool);
    struct small s;
    if (!decode_small(d, m->name, p, n, &s))
        return NULL;
    int64_t sec = (int64_t)s.v[1];
    int64_t ns = (int32_t)(uint32_t)s.v[2];
    if (sec < MIN_UNIX_SEC || sec > MAX_UNIX_SEC || ns <= -1000000000 || ns >= 1000000000)
        return dfail(d, "protobuf: %s out of range", m->name);
    if (ns < 0) {
        sec--;
        ns += 1000000000;
    }
    if (sec > MAX_UNIX_SEC)
        return dfail(d, "protobuf: %s out of range", m->name);
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400, y;
    int mo, dd;
    civil_from_days(days, &y, &mo, &dd);
    if (y < 0)
        return dfail(d, "protobuf: %s out of range", m->name);
    /* hand-formatted: snprintf showed up in profiles of time-heavy objects */
    char buf[32];
    size_t len = 0;
    int parts[6] = {(int)y, mo, dd, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60)};
    static const char seps[6] = {'-', '-', 'T', ':', ':', 0};
    for (int k = 0; k < 6; k++) {
        int v = parts[k];
        if (k == 0) {
            buf[len++] = (char)('0' + v / 1000);
            buf[len++] = (char)('0' + v / 100 % 10);
        }
        buf[len++] = (char)('0' + v / 10 % 10);
        buf[len++] = (char)('0' + v % 10);
        if (seps[k])
            buf[len++] = seps[k];
    }
    if (micro) {
        int us = (int)(ns / 1000);
        buf[len++] = '.';
        for (int div = 100000; div; div /= 10)
            buf[len++] = (char)('0' + us / div % 10);
    }
    buf[len++] = 'Z';
    return kapi_value_strn(d->pool, buf, len);
}

/* Go's time.Duration String() form. */
static size_t format_duration(int64_t dur, char out[40])
{
    uint64_t u = dur < 0 ? -(uint64_t)dur : (uint64_t)dur;
    char frac[16] = "";
    int pos = 0;
    if (u == 0)
        return (size_t)snprintf(out, 40, "0s");
    if (u < 1000000000ULL) {
        const char *unit = "ns";
        uint64_t div = 1;
        int digits = 0;
        if (u >= 1000000ULL) {
            unit = "ms", div = 1000000ULL, digits = 6;
        } else if (u >= 1000ULL) {
            unit = "\xc2\xb5s", div = 1000ULL, digits = 3;
        }
        if (digits) {
            int k = snprintf(frac, sizeof(frac), ".%0*llu", digits, (unsigned long long)(u % div));
            while (k > 1 && frac[k - 1] == '0')
                frac[--k] = 0;
            if (k == 1)
                frac[0] = 0;
        }
        return (size_t)snprintf(out, 40, "%s%llu%s%s", dur < 0 ? "-" : "",
                                (unsigned long long)(u / div), frac, unit);
    }
    uint64_t secs = u / 1000000000ULL, nanos = u % 1000000000ULL;
    if (nanos) {
        int k = snprintf(frac, sizeof(frac), ".%09llu", (unsigned long long)nanos);
        while (frac[k - 1] == '0')
            frac[--k] = 0;
    }
    if (dur < 0)
        out[pos++] = '-';
    if (secs >= 3600)
        pos += snprintf(out + pos, (size_t)(40 - pos), "%lluh%llum", (unsigned long long)(secs / 3600),
                        (unsigned long long)(secs / 60 % 60));
    else if (secs >= 60)
        pos += snprintf(out + pos, (size_t)(40 - pos), "%llum", (unsigned long long)(secs / 60));
    pos += snprintf(out + pos, (size_t)(40 - pos), "%llu%ss", (unsigned long long)(secs % 60), frac);
    return (size_t)pos;
}

static struct kapi_value *raw_json_value(struct dec *d, const char *what, const uint8_t *p, size_t n,
                                         bool allow_pb)
{
    if (n == 0)
        return kapi_value_null(d->pool);
    if (allow_pb && n >= KAPI_PB_MAGIC_LEN && memcmp(p, KAPI_PB_MAGIC, KAPI_PB_MAGIC_LEN) == 0)
        return decode_envelope(d, p, n, NULL, NULL, NULL);
    struct kapi_json_opts opts = {.max_depth = (size_t)(KAPI_PB_MAX_DEPTH - d->depth + 1)};
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(d->pool, (const char *)p, n, &opts, &jerr);
    if (!v)
        return dfail(d, "protobuf: %s holds invalid JSON: %s", what, jerr.msg);
    if (over_budget(d))
        return NULL;
    return v;
}

static const struct kapi_value *member(const struct kapi_value *obj, const char *key)
{
    return obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, key) : NULL;
}

static struct kapi_value *decode_special(struct dec *d, const struct kapi_schema_msg *m, const uint8_t *p,
                                         size_t n)
{
    struct small s;
    struct kapi_value *o;
    const struct kapi_value *a, *b;
    switch (m->special) {
    case KAPI_SCHEMA_TIME:
        return time_value(d, m, p, n, false);
    case KAPI_SCHEMA_MICROTIME:
        return time_value(d, m, p, n, true);
    case KAPI_SCHEMA_DURATION: {
        if (!decode_small(d, m->name, p, n, &s))
            return NULL;
        char buf[40];
        size_t len = format_duration((int64_t)s.v[1], buf);
        return kapi_value_strn(d->pool, buf, len);
    }
    case KAPI_SCHEMA_INTORSTRING:
        if (!decode_small(d, m->name, p, n, &s))
            return NULL;
        if (s.v[1] == 1)
            return str_value(d, s.b[3].p, (size_t)(s.b[3].end - s.b[3].p));
        if (s.v[1] != 0)
            return dfail(d, "protobuf: IntOrString has impossible type %llu", (unsigned long long)s.v[1]);
        return int_value(d, (int32_t)(uint32_t)s.v[2]);
    case KAPI_SCHEMA_QUANTITY:
        if (!decode_small(d, m->name, p, n, &s))
            return NULL;
        if (s.b[1].end == s.b[1].p) /* the zero quantity prints as "0" */
            return kapi_value_str(d->pool, "0");
        return str_value(d, s.b[1].p, (size_t)(s.b[1].end - s.b[1].p));
    case KAPI_SCHEMA_RAWEXT:
    case KAPI_SCHEMA_RAWJSON:
        if (!decode_small(d, m->name, p, n, &s))
            return NULL;
        return raw_json_value(d, m->name, s.b[1].p, (size_t)(s.b[1].end - s.b[1].p),
                              m->special == KAPI_SCHEMA_RAWEXT);
    case KAPI_SCHEMA_PROPS_OR_BOOL:
        if (!(o = decode_plain(d, m, p, n)))
            return NULL;
        if ((a = member(o, "schema")))
            return (struct kapi_value *)a;
        b = member(o, "allows");
        return kapi_value_bool(d->pool, b && b->type == KAPI_V_BOOL && b->u.b);
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
        if (!(o = decode_plain(d, m, p, n)))
            return NULL;
        a = member(o, m->special == KAPI_SCHEMA_PROPS_OR_ARRAY ? "jSONSchemas" : "property");
        if (a && a->type == KAPI_V_ARRAY && a->u.arr.len)
            return (struct kapi_value *)a;
        if ((b = member(o, "schema")))
            return (struct kapi_value *)b;
        return kapi_value_null(d->pool);
    }
    return dfail(d, "protobuf: internal: unknown special message %s", m->name);
}

static struct kapi_value *decode_msg(struct dec *d, const struct kapi_schema_msg *m, const uint8_t *p,
                                     size_t n)
{
    static const uint8_t empty[1];
    if (d->depth >= KAPI_PB_MAX_DEPTH)
        return dfail(d, "protobuf: nesting deeper than %d levels", KAPI_PB_MAX_DEPTH);
    if (over_budget(d))
        return NULL;
    if (!p) /* an absent map value decodes as the empty message */
        p = empty;
    d->depth++;
    struct kapi_value *v;
    if (m->special != KAPI_SCHEMA_PLAIN) {
        v = decode_special(d, m, p, n);
    } else {
        v = decode_plain(d, m, p, n);
        if (v && (m->flags & KAPI_SCHEMA_M_SLICE)) {
            /* a named Go slice type: its JSON is the items array itself */
            struct kapi_value *items = v->u.obj.len ? v->u.obj.members[0].val : NULL;
            v = items && items->type == KAPI_V_ARRAY ? items : mkval(d, KAPI_V_ARRAY);
        }
    }
    d->depth--;
    return v;
}

/* Splits "group/version" (or a bare "v1", the core group). */
static void split_api_version(const char *av, size_t len, const char **group, size_t *glen,
                              const char **version)
{
    const char *slash = memchr(av, '/', len);
    if (slash) {
        *group = av;
        *glen = (size_t)(slash - av);
        *version = slash + 1;
    } else {
        *group = "";
        *glen = 0;
        *version = av;
    }
}

static struct kapi_value *decode_envelope(struct dec *d, const uint8_t *p, size_t n, const char *eg,
                                          const char *ev, const char *ek)
{
    if (n < KAPI_PB_MAGIC_LEN || memcmp(p, KAPI_PB_MAGIC, KAPI_PB_MAGIC_LEN) != 0)
        return dfail(d, "protobuf: missing \"k8s\\0\" prefix");
    if (d->depth >= KAPI_PB_MAX_DEPTH)
        return dfail(d, "protobuf: nesting deeper than %d levels", KAPI_PB_MAX_DEPTH);
    struct small u, tm;
    if (!decode_small(d, "Unknown", p + KAPI_PB_MAGIC_LEN, n - KAPI_PB_MAGIC_LEN, &u))
        return NULL;
    if (u.b[3].end != u.b[3].p)
        return dfail(d, "protobuf: unsupported content encoding \"%.*s\"", (int)(u.b[3].end - u.b[3].p),
                     (const char *)u.b[3].p);
    if (!decode_small(d, "TypeMeta", u.b[1].p, (size_t)(u.b[1].end - u.b[1].p), &tm))
        return NULL;
    char *api_version = kapi_pool_strndup(d->pool, (const char *)tm.b[1].p, (size_t)(tm.b[1].end - tm.b[1].p));
    char *kind = kapi_pool_strndup(d->pool, (const char *)tm.b[2].p, (size_t)(tm.b[2].end - tm.b[2].p));
    if (strlen(kind) != (size_t)(tm.b[2].end - tm.b[2].p) ||
        strlen(api_version) != (size_t)(tm.b[1].end - tm.b[1].p))
        return dfail(d, "protobuf: NUL byte in apiVersion or kind");
    /* types without TypeMeta (WatchEvent) come with an empty envelope
     * typeMeta; their JSON has no kind/apiVersion either */
    bool typed = *kind || !ek;
    if (!*kind) {
        if (!ek || !*ek)
            return dfail(d, "protobuf: object has no kind");
        kind = kapi_pool_strdup(d->pool, ek);
    }
    if (!*api_version) {
        if (!ev || !*ev)
            return dfail(d, "protobuf: object has no apiVersion");
        api_version = eg && *eg ? kapi_pool_printf(d->pool, "%s/%s", eg, ev) : kapi_pool_strdup(d->pool, ev);
    }
    const char *g, *v;
    size_t glen;
    split_api_version(api_version, strlen(api_version), &g, &glen, &v);
    char *group = kapi_pool_strndup(d->pool, g, glen);
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, v, kind);
    if (!m)
        return dfail(d, "protobuf: no kind \"%s\" is registered for version \"%s\"", kind, api_version);
    struct kapi_value *body = decode_msg(d, m, u.b[2].p, (size_t)(u.b[2].end - u.b[2].p));
    if (!body)
        return NULL;
    if (body->type != KAPI_V_OBJECT)
        return dfail(d, "protobuf: kind %s does not decode to an object", kind);
    if (!typed)
        return body;
    struct kapi_value *obj = mkval(d, KAPI_V_OBJECT);
    size_t cnt = body->u.obj.len + 2;
    obj->u.obj.members = kapi_pool_alloc(d->pool, cnt * sizeof(struct kapi_member));
    obj->u.obj.cap = cnt;
    obj_append(d, obj, "kind", 4, kapi_value_str(d->pool, kind));
    obj_append(d, obj, "apiVersion", 10, kapi_value_str(d->pool, api_version));
    for (size_t i = 0; i < body->u.obj.len; i++) {
        struct kapi_member *mb = &body->u.obj.members[i];
        obj_append(d, obj, mb->key, mb->klen, mb->val);
    }
    return obj;
}

static void dec_init(struct dec *d, struct kapi_pool *pool, size_t len, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    d->pool = pool;
    d->pool_start = kapi_pool_used(pool);
    /* Every value costs at least two input bytes (tag + length) and well
     * under 100 bytes of pool: this only trips on hostile input. */
    d->budget = len * 96 + (1u << 20);
    d->err = err;
    d->errlen = errlen;
    if (err && errlen)
        err[0] = 0;
}

struct kapi_value *kapi_pb_decode_object(struct kapi_pool *pool, const void *data, size_t len,
                                         const char *expect_group, const char *expect_version,
                                         char *err, size_t errlen)
{
    return kapi_pb_decode_object_ex(pool, data, len, expect_group, expect_version, NULL, 0, err, errlen);
}

struct kapi_value *kapi_pb_decode_object_ex(struct kapi_pool *pool, const void *data, size_t len,
                                            const char *group, const char *version, const char *kind,
                                            unsigned flags, char *err, size_t errlen)
{
    struct dec d;
    dec_init(&d, pool, len, err, errlen);
    d.flags = flags;
    struct kapi_value *v = decode_envelope(&d, data, len, group, version, kind);
    free(d.slots);
    return d.failed ? NULL : v;
}

struct kapi_value *kapi_pb_decode_message(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                                          const void *data, size_t len, char *err, size_t errlen)
{
    struct dec d;
    dec_init(&d, pool, len, err, errlen);
    struct kapi_value *v = decode_msg(&d, msg, data, len);
    free(d.slots);
    return d.failed ? NULL : v;
}

/* ---------------------------------------------------------------- encode */

struct enc {
    struct kapi_buf *out;
    int depth;
    bool failed;
    char *err;
    size_t errlen;
};

KAPI_PRINTF(2, 3) static int efail(struct enc *e, const char *fmt, ...)
{
    if (!e->failed) {
        va_list ap;
        va_start(ap, fmt);
        set_err(e->err, e->errlen, fmt, ap);
        va_end(ap);
        e->failed = true;
    }
    return -1;
}

static int put_slow(struct enc *e, const void *p, size_t n)
{
    if (kapi_buf_append(e->out, p, n) < 0)
        return efail(e, "protobuf: output larger than the buffer limit");
    return 0;
}

/* Most writes fit the buffer's spare room (and its limit): copy in place. */
static inline int put(struct enc *e, const void *p, size_t n)
{
    struct kapi_buf *b = e->out;
    if (b->cap - b->len <= n || b->max - b->len < n)
        return put_slow(e, p, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

static inline int put_varint(struct enc *e, uint64_t v)
{
    struct kapi_buf *b = e->out;
    if (v < 0x80 && b->cap - b->len > 1 && b->max > b->len) {
        b->data[b->len++] = (char)v;
        b->data[b->len] = 0;
        return 0;
    }
    uint8_t tmp[10];
    return put(e, tmp, varint_put(v, tmp));
}

static int put_tag(struct enc *e, uint32_t num, unsigned wt)
{
    return put_varint(e, (uint64_t)num << 3 | wt);
}

static int put_bytes_field(struct enc *e, uint32_t num, const void *p, size_t n)
{
    if (put_tag(e, num, WT_LEN) || put_varint(e, n))
        return -1;
    return put(e, p, n);
}

/* Length-delimited payload of unknown size: a 1-byte placeholder, widened later. */
static int len_begin(struct enc *e, size_t *mark)
{
    *mark = e->out->len;
    return put(e, "", 1);
}

static int len_end(struct enc *e, size_t mark)
{
    size_t start = mark + 1, n = e->out->len - start;
    uint8_t v[10];
    size_t vl = varint_put(n, v);
    if (vl > 1) {
        if (put(e, v, vl - 1))
            return -1;
        memmove(e->out->data + start + vl - 1, e->out->data + start, n);
    }
    memcpy(e->out->data + mark, v, vl);
    return 0;
}

static bool as_int(const struct kapi_value *v, int64_t *out)
{
    if (v->type == KAPI_V_INT) {
        *out = v->u.i;
        return true;
    }
    if (v->type == KAPI_V_FLOAT && v->u.f == trunc(v->u.f) && fabs(v->u.f) < 9.2e18) {
        *out = (int64_t)v->u.f;
        return true;
    }
    return false;
}

/* Go's StdEncoding, as a []byte field's JSON text is read. */
static int b64_decode(struct enc *e, const char *s, size_t n, uint8_t **outp, size_t *outlen)
{
    uint8_t *out = kapi_xmalloc(kapi_b64_decode_size(n));
    size_t bad = 0;
    if (kapi_b64_decode(out, s, n, 0, outlen, &bad) < 0) {
        free(out);
        return efail(e, "protobuf: illegal base64 data at input byte %zu", bad);
    }
    *outp = out;
    return 0;
}

/* Parses RFC 3339 ("2006-01-02T15:04:05[.frac](Z|+hh:mm)") to Unix seconds and nanos. */
static bool parse_rfc3339(const char *s, size_t n, int64_t *sec, int32_t *nsec)
{
    int f[6];
    static const int w[6] = {4, 2, 2, 2, 2, 2};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    size_t i = 0;
    for (int k = 0; k < 6; k++) {
        int v = 0;
        for (int j = 0; j < w[k]; j++, i++) {
            if (i >= n || s[i] < '0' || s[i] > '9')
                return false;
            v = v * 10 + (s[i] - '0');
        }
        f[k] = v;
        if (sep[k]) {
            if (i >= n || (s[i] != sep[k] && !(k == 2 && s[i] == 't')))
                return false;
            i++;
        }
    }
    int32_t ns = 0;
    if (i < n && s[i] == '.') {
        int digits = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits < 9)
                ns = ns * 10 + (s[i] - '0');
            digits++;
            i++;
        }
        if (!digits)
            return false;
        for (int k = digits; k < 9; k++)
            ns *= 10;
    }
    int off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        for (int k = 1; k <= 5; k++)
            if (k != 3 && (s[i + k] < '0' || s[i + k] > '9'))
                return false;
        int hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0'), mm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
        if (hh > 23 || mm > 59)
            return false;
        off = (hh * 60 + mm) * 60 * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != n)
        return false;
    static const int mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1]] || (f[1] == 2 && f[2] == 29 && !leap) ||
        f[3] > 23 || f[4] > 59 || f[5] > 59)
        return false;
    *sec = days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5] - off;
    *nsec = ns;
    return true;
}

/* Go's time.ParseDuration. */
static bool parse_duration(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (n - i == 1 && s[i] == '0') {
        *out = 0;
        return true;
    }
    if (i == n)
        return false;
    uint64_t total = 0;
    while (i < n) {
        uint64_t v = 0, fr = 0;
        double scale = 1;
        bool any = false;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > (UINT64_MAX - 9) / 10 || v * 10 + (uint64_t)(s[i] - '0') > (1ULL << 63))
                return false;
            v = v * 10 + (uint64_t)(s[i++] - '0');
            any = true;
        }
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (scale < 1e18) {
                    fr = fr * 10 + (uint64_t)(s[i] - '0');
                    scale *= 10;
                }
                i++;
                any = true;
            }
        }
        if (!any)
            return false;
        size_t u0 = i;
        while (i < n && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        size_t ul = i - u0;
        const char *u = s + u0;
        uint64_t unit;
#define UNIT_IS(lit) (ul == sizeof(lit) - 1 && memcmp(u, lit, ul) == 0)
        if (UNIT_IS("ns"))
            unit = 1;
        else if (UNIT_IS("us") || UNIT_IS("\xc2\xb5s") || UNIT_IS("\xce\xbcs"))
            unit = 1000;
        else if (UNIT_IS("ms"))
            unit = 1000000;
        else if (UNIT_IS("s"))
            unit = 1000000000ULL;
        else if (UNIT_IS("m"))
            unit = 60000000000ULL;
        else if (UNIT_IS("h"))
            unit = 3600000000000ULL;
        else
            return false;
#undef UNIT_IS
        if (v > (1ULL << 63) / unit)
            return false;
        v *= unit;
        if (fr) {
            v += (uint64_t)((double)fr * ((double)unit / scale));
            if (v > (1ULL << 63))
                return false;
        }
        total += v;
        if (total > (1ULL << 63))
            return false;
    }
    if (!neg && total > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - total) : (int64_t)total;
    return true;
}

static int encode_body(struct enc *e, const struct kapi_schema_msg *m, const struct kapi_value *v);

/* Tag plus one message-typed value (nested, length-delimited). */
static int encode_msg_field(struct enc *e, uint32_t num, const struct kapi_schema_msg *m,
                            const struct kapi_value *v)
{
    size_t mark;
    if (put_tag(e, num, WT_LEN) || len_begin(e, &mark))
        return -1;
    if (v && encode_body(e, m, v))
        return -1;
    return len_end(e, mark);
}

static const char *kind_name(unsigned kind)
{
    static const char *names[] = {"string", "bytes", "bool", "int32", "int64",
                                  "uint32", "uint64", "double", "float", "message"};
    return kind < KAPI_ARRAY_LEN(names) ? names[kind] : "?";
}

/* One element of field f (single, repeated item or map value); NULL = zero value. */
static int encode_elem(struct enc *e, const struct kapi_schema_field *f, uint32_t num,
                       const struct kapi_value *v)
{
    if (v && v->type == KAPI_V_NULL)
        v = NULL;
    int64_t i = 0;
    switch (f->kind) {
    case KAPI_PB_STRING:
        if (v && v->type != KAPI_V_STRING)
            break;
        return put_bytes_field(e, num, v ? v->u.str.s : "", v ? v->u.str.len : 0);
    case KAPI_PB_BYTES: {
        if (v && v->type != KAPI_V_STRING)
            break;
        uint8_t *raw = NULL;
        size_t rl = 0;
        if (v && b64_decode(e, v->u.str.s, v->u.str.len, &raw, &rl))
            return -1;
        int rc = put_bytes_field(e, num, raw ? (const void *)raw : "", rl);
        free(raw);
        return rc;
    }
    case KAPI_PB_BOOL:
        if (v && v->type != KAPI_V_BOOL)
            break;
        if (put_tag(e, num, WT_VARINT))
            return -1;
        return put_varint(e, v && v->u.b);
    case KAPI_PB_INT32:
    case KAPI_PB_INT64:
    case KAPI_PB_UINT32:
    case KAPI_PB_UINT64:
        if (v && !as_int(v, &i))
            break;
        if ((f->kind == KAPI_PB_INT32 && (i < INT32_MIN || i > INT32_MAX)) ||
            (f->kind == KAPI_PB_UINT32 && (i < 0 || i > (int64_t)UINT32_MAX)) ||
            (f->kind == KAPI_PB_UINT64 && i < 0))
            return efail(e, "protobuf: value %lld out of range for %s field %s", (long long)i,
                         kind_name(f->kind), f->name);
        if (put_tag(e, num, WT_VARINT))
            return -1;
        return put_varint(e, (uint64_t)i);
    case KAPI_PB_DOUBLE:
    case KAPI_PB_FLOAT: {
        double x = 0;
        if (v && v->type == KAPI_V_INT)
            x = (double)v->u.i;
        else if (v && v->type == KAPI_V_FLOAT)
            x = v->u.f;
        else if (v)
            break;
        uint8_t b[8];
        if (f->kind == KAPI_PB_DOUBLE) {
            uint64_t bits;
            memcpy(&bits, &x, 8);
            for (int k = 0; k < 8; k++)
                b[k] = (uint8_t)(bits >> (8 * k));
            if (put_tag(e, num, WT_I64))
                return -1;
            return put(e, b, 8);
        }
        float fl = (float)x;
        uint32_t bits;
        memcpy(&bits, &fl, 4);
        for (int k = 0; k < 4; k++)
            b[k] = (uint8_t)(bits >> (8 * k));
        if (put_tag(e, num, WT_I32))
            return -1;
        return put(e, b, 4);
    }
    case KAPI_PB_MESSAGE:
        return encode_msg_field(e, num, kapi_schema_field_msg(f), v);
    }
    return efail(e, "protobuf: field %s: expected %s", f->name, kind_name(f->kind));
}

static int keyed_cmp(const void *a, const void *b)
{
    const struct kapi_member *x = *(const struct kapi_member *const *)a, *y = *(const struct kapi_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int encode_field(struct enc *e, const struct kapi_schema_field *f, const struct kapi_value *v)
{
    if (f->flags & KAPI_SCHEMA_F_MAP) {
        if (v->type != KAPI_V_OBJECT)
            return efail(e, "protobuf: field %s: expected object", f->name);
        size_t n = v->u.obj.len;
        if (!n)
            return 0;
        /* entries in key order, as Go writes maps */
        const struct kapi_member *small[16];
        const struct kapi_member **ms = n <= KAPI_ARRAY_LEN(small) ? small : kapi_xmalloc(n * sizeof(*ms));
        for (size_t i = 0; i < n; i++)
            ms[i] = &v->u.obj.members[i];
        if (ms == small) {
            for (size_t i = 1; i < n; i++) {
                const struct kapi_member *x = ms[i];
                size_t j = i;
                for (; j > 0 && keyed_cmp(&ms[j - 1], &x) > 0; j--)
                    ms[j] = ms[j - 1];
                ms[j] = x;
            }
        } else {
            qsort(ms, n, sizeof(*ms), keyed_cmp);
        }
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            size_t mark;
            rc = put_tag(e, f->number, WT_LEN) || len_begin(e, &mark) ||
                 put_bytes_field(e, 1, ms[i]->key, ms[i]->klen) || encode_elem(e, f, 2, ms[i]->val) ||
                 len_end(e, mark);
        }
        if (ms != small)
            free(ms);
        return rc ? -1 : 0;
    }
    if (f->flags & KAPI_SCHEMA_F_REPEATED) {
        if (v->type != KAPI_V_ARRAY)
            return efail(e, "protobuf: field %s: expected array", f->name);
        for (size_t i = 0; i < v->u.arr.len; i++)
            if (encode_elem(e, f, f->number, v->u.arr.items[i]))
                return -1;
        return 0;
    }
    return encode_elem(e, f, f->number, v);
}

static bool null_when_empty(const struct kapi_schema_msg *m)
{
    switch (m->special) {
    case KAPI_SCHEMA_TIME:
    case KAPI_SCHEMA_MICROTIME:
    case KAPI_SCHEMA_RAWEXT:
    case KAPI_SCHEMA_RAWJSON:
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
        return true;
    default:
        return false;
    }
}

/* Messages with an inline (embedded) field, which is written even when
 * absent: computed once. */
static uint8_t *inline_msgs;
static pthread_once_t inline_once = PTHREAD_ONCE_INIT;

static void inline_init(void)
{
    inline_msgs = kapi_xcalloc(kapi_schema_nmsgs ? kapi_schema_nmsgs : 1, 1);
    for (size_t i = 0; i < kapi_schema_nmsgs; i++)
        for (size_t k = 0; k < kapi_schema_msgs[i].nfields; k++)
            if (kapi_schema_fields[kapi_schema_msgs[i].first_field + k].flags & KAPI_SCHEMA_F_INLINE)
                inline_msgs[i] = 1;
}

/* One field of a plain message, null members as Go writes them. */
static int encode_member(struct enc *e, const struct kapi_schema_field *f, const struct kapi_value *fv)
{
    if (fv->type == KAPI_V_NULL) {
        /* Types whose empty message reads as null (zero times, raw
         * extensions without bytes) go out as that empty message, as Go
         * writes them when they are not pointers; other nulls are unset. */
        const struct kapi_schema_msg *fm = kapi_schema_field_msg(f);
        if (fm && !(f->flags & (KAPI_SCHEMA_F_REPEATED | KAPI_SCHEMA_F_MAP)) && null_when_empty(fm))
            return encode_msg_field(e, f->number, fm, NULL);
        return 0;
    }
    return encode_field(e, f, fv);
}

/* The declared field a member names: the one after the previous match
 * first (objects are mostly in declaration order), else the index. */
static inline __attribute__((always_inline)) const struct kapi_schema_field *
member_field(const struct kapi_schema_msg *m, const struct kapi_member *mb, size_t *hint)
{
    const struct kapi_schema_field *base = &kapi_schema_fields[m->first_field];
    const struct kapi_schema_field *f = NULL;
    for (size_t k = *hint; k < m->nfields && k < *hint + 4 && !f; k++)
        if (base[k].name_len == mb->klen && kapi_schema_name_eq(base[k].name, mb->key, mb->klen))
            f = &base[k];
    if (!f)
        f = kapi_schema_field_by_name(m, mb->key, mb->klen);
    if (f)
        *hint = (size_t)(f - base) + 1;
    return f;
}

static int encode_plain(struct enc *e, const struct kapi_schema_msg *m, const struct kapi_value *v)
{
    if (v->type != KAPI_V_OBJECT)
        return efail(e, "protobuf: %s: expected object", m->name);
    pthread_once(&inline_once, inline_init);
    size_t hint = 0;
    if (!inline_msgs[m - kapi_schema_msgs] && v->u.obj.len <= 64) {
        /* The members present, ordered by field number (the last duplicate
         * key wins): work in the object's size, not the type's. */
        struct slot {
            uint32_t number;
            const struct kapi_schema_field *f;
            const struct kapi_value *val;
        } sl[64];
        size_t n = 0;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const struct kapi_member *mb = &v->u.obj.members[i];
            const struct kapi_schema_field *f = member_field(m, mb, &hint);
            if (!f)
                continue;
            size_t j = n;
            while (j > 0 && sl[j - 1].number > f->number)
                j--;
            if (j > 0 && sl[j - 1].f == f) {
                sl[j - 1].val = mb->val;
                continue;
            }
            for (size_t k = n; k > j; k--)
                sl[k] = sl[k - 1];
            sl[j] = (struct slot){f->number, f, mb->val};
            n++;
        }
        for (size_t i = 0; i < n; i++)
            if (encode_member(e, sl[i].f, sl[i].val))
                return -1;
        return 0;
    }
    /* member index per declared field; the last duplicate key wins */
    size_t stackpos[64];
    size_t *pos = m->nfields <= KAPI_ARRAY_LEN(stackpos) ? stackpos : kapi_xmalloc(m->nfields * sizeof(*pos));
    for (size_t i = 0; i < m->nfields; i++)
        pos[i] = SIZE_MAX;
    const struct kapi_schema_field *base = &kapi_schema_fields[m->first_field];
    for (size_t i = 0; i < v->u.obj.len; i++) {
        const struct kapi_schema_field *f = member_field(m, &v->u.obj.members[i], &hint);
        if (f)
            pos[f - base] = i;
    }
    int rc = 0;
    const uint16_t *order = &kapi_schema_bynum[m->bynum];
    for (size_t k = 0; k < m->nfields && !rc; k++) {
        size_t fi = order[k];
        const struct kapi_schema_field *f = &base[fi];
        if (f->flags & KAPI_SCHEMA_F_INLINE) {
            /* the embedded struct reads its fields from this same object; Go
             * always writes it (embedded structs are never pointers) */
            rc = encode_msg_field(e, f->number, kapi_schema_field_msg(f), v);
            continue;
        }
        if (pos[fi] == SIZE_MAX)
            continue;
        rc = encode_member(e, f, v->u.obj.members[pos[fi]].val);
    }
    if (pos != stackpos)
        free(pos);
    return rc;
}

static int encode_json_raw(struct enc *e, const struct kapi_value *v)
{
    struct kapi_buf tmp;
    kapi_buf_init(&tmp, e->out->max);
    int rc = kapi_json_write(&tmp, v);
    if (rc == 0)
        rc = put_bytes_field(e, 1, tmp.data ? tmp.data : "", tmp.len);
    else
        efail(e, "protobuf: raw JSON value cannot be encoded");
    kapi_buf_dispose(&tmp);
    return rc ? -1 : 0;
}

static int encode_special(struct enc *e, const struct kapi_schema_msg *m, const struct kapi_value *v)
{
    int64_t i;
    const struct kapi_schema_field *f;
    switch (m->special) {
    case KAPI_SCHEMA_TIME:
    case KAPI_SCHEMA_MICROTIME: {
        int64_t sec;
        int32_t ns;
        if (v->type == KAPI_V_NULL)
            return 0;
        if (v->type != KAPI_V_STRING || !parse_rfc3339(v->u.str.s, v->u.str.len, &sec, &ns))
            return efail(e, "protobuf: %s: expected an RFC 3339 time string", m->name);
        if (put_tag(e, 1, WT_VARINT) || put_varint(e, (uint64_t)sec) || put_tag(e, 2, WT_VARINT))
            return -1;
        return put_varint(e, (uint64_t)(int64_t)ns);
    }
    case KAPI_SCHEMA_DURATION:
        if (v->type != KAPI_V_STRING || !parse_duration(v->u.str.s, v->u.str.len, &i))
            return efail(e, "protobuf: %s: expected a duration string", m->name);
        if (put_tag(e, 1, WT_VARINT))
            return -1;
        return put_varint(e, (uint64_t)i);
    case KAPI_SCHEMA_INTORSTRING:
        if (v->type == KAPI_V_STRING)
            return put_tag(e, 1, WT_VARINT) || put_varint(e, 1) || put_tag(e, 2, WT_VARINT) ||
                           put_varint(e, 0) || put_bytes_field(e, 3, v->u.str.s, v->u.str.len)
                       ? -1
                       : 0;
        if (!as_int(v, &i) || i < INT32_MIN || i > INT32_MAX)
            return efail(e, "protobuf: %s: expected int32 or string", m->name);
        return put_tag(e, 1, WT_VARINT) || put_varint(e, 0) || put_tag(e, 2, WT_VARINT) ||
                       put_varint(e, (uint64_t)i) || put_bytes_field(e, 3, "", 0)
                   ? -1
                   : 0;
    case KAPI_SCHEMA_QUANTITY: {
        char buf[48];
        size_t n;
        if (v->type == KAPI_V_STRING)
            return put_bytes_field(e, 1, v->u.str.s, v->u.str.len);
        if (v->type == KAPI_V_INT)
            n = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
        else if (v->type == KAPI_V_FLOAT && (n = kapi_json_format_float(v->u.f, buf)) > 0)
            ;
        else
            return efail(e, "protobuf: %s: expected a quantity", m->name);
        return put_bytes_field(e, 1, buf, n);
    }
    case KAPI_SCHEMA_RAWEXT:
    case KAPI_SCHEMA_RAWJSON:
        if (v->type == KAPI_V_NULL)
            return 0;
        return encode_json_raw(e, v);
    case KAPI_SCHEMA_PROPS_OR_BOOL:
        f = kapi_schema_field_by_name(m, "schema", 6);
        if (v->type == KAPI_V_BOOL)
            return put_tag(e, 1, WT_VARINT) || put_varint(e, v->u.b) ? -1 : 0;
        if (v->type == KAPI_V_OBJECT && f)
            return put_tag(e, 1, WT_VARINT) || put_varint(e, 1) ||
                           encode_msg_field(e, f->number, kapi_schema_field_msg(f), v)
                       ? -1
                       : 0;
        if (v->type == KAPI_V_NULL)
            return 0;
        return efail(e, "protobuf: %s: expected boolean or object", m->name);
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
        if (v->type == KAPI_V_NULL)
            return 0;
        if (v->type == KAPI_V_OBJECT && (f = kapi_schema_field_by_name(m, "schema", 6)))
            return encode_msg_field(e, f->number, kapi_schema_field_msg(f), v);
        f = m->special == KAPI_SCHEMA_PROPS_OR_ARRAY ? kapi_schema_field_by_name(m, "jSONSchemas", 11)
                                                      : kapi_schema_field_by_name(m, "property", 8);
        if (v->type == KAPI_V_ARRAY && f)
            return encode_field(e, f, v);
        return efail(e, "protobuf: %s: expected array or object", m->name);
    }
    return efail(e, "protobuf: internal: unknown special message %s", m->name);
}

static int encode_body(struct enc *e, const struct kapi_schema_msg *m, const struct kapi_value *v)
{
    if (e->depth >= KAPI_PB_MAX_DEPTH)
        return efail(e, "protobuf: nesting deeper than %d levels", KAPI_PB_MAX_DEPTH);
    e->depth++;
    int rc;
    if (m->special != KAPI_SCHEMA_PLAIN) {
        rc = encode_special(e, m, v);
    } else if (m->flags & KAPI_SCHEMA_M_SLICE) {
        if (v->type == KAPI_V_NULL)
            rc = 0;
        else if (v->type == KAPI_V_ARRAY && m->nfields == 1)
            rc = encode_field(e, &kapi_schema_fields[m->first_field], v);
        else
            rc = efail(e, "protobuf: %s: expected array", m->name);
    } else {
        rc = encode_plain(e, m, v);
    }
    e->depth--;
    return rc;
}

int kapi_pb_encode_message(struct kapi_buf *out, const struct kapi_schema_msg *msg,
                           const struct kapi_value *v, char *err, size_t errlen)
{
    struct enc e = {.out = out, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = 0;
    return encode_body(&e, msg, v) ? -1 : 0;
}

int kapi_pb_encode_object(struct kapi_buf *out, const struct kapi_value *obj, char *err, size_t errlen)
{
    struct enc e = {.out = out, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = 0;
    if (!obj || obj->type != KAPI_V_OBJECT)
        return efail(&e, "protobuf: expected an object");
    const struct kapi_value *av = kapi_obj_get(obj, "apiVersion"), *kv = kapi_obj_get(obj, "kind");
    if (!av || av->type != KAPI_V_STRING || !av->u.str.len || !kv || kv->type != KAPI_V_STRING ||
        !kv->u.str.len)
        return efail(&e, "protobuf: object needs string apiVersion and kind");
    const char *g, *ver;
    size_t glen;
    split_api_version(av->u.str.s, av->u.str.len, &g, &glen, &ver);
    char group[256];
    if (glen >= sizeof(group))
        return efail(&e, "protobuf: apiVersion too long");
    memcpy(group, g, glen);
    group[glen] = 0;
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, ver, kv->u.str.s);
    if (!m)
        return efail(&e, "protobuf: no kind \"%s\" is registered for version \"%s\"", kv->u.str.s,
                     av->u.str.s);
    size_t mark, mark2;
    if (put(&e, KAPI_PB_MAGIC, KAPI_PB_MAGIC_LEN) || put_tag(&e, 1, WT_LEN) || len_begin(&e, &mark) ||
        put_bytes_field(&e, 1, av->u.str.s, av->u.str.len) ||
        put_bytes_field(&e, 2, kv->u.str.s, kv->u.str.len) || len_end(&e, mark) ||
        put_tag(&e, 2, WT_LEN) || len_begin(&e, &mark2) || encode_body(&e, m, obj) ||
        len_end(&e, mark2) || put_bytes_field(&e, 3, "", 0) || put_bytes_field(&e, 4, "", 0))
        return -1;
    return 0;
}

/* ---- building blocks for responses assembled from cached pieces ---- */

int kapi_pb_put_field(struct kapi_buf *out, unsigned num, const void *data, size_t len)
{
    struct enc e = {.out = out};
    return put_bytes_field(&e, num, data, len);
}

int kapi_pb_put_varint_field(struct kapi_buf *out, unsigned num, uint64_t v)
{
    struct enc e = {.out = out};
    if (put_tag(&e, num, 0))
        return -1;
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return put(&e, b, n);
}

int kapi_pb_envelope(struct kapi_buf *out, const char *api_version, const char *kind, const void *raw, size_t rawlen)
{
    struct enc e = {.out = out};
    size_t mark;
    if (put(&e, KAPI_PB_MAGIC, KAPI_PB_MAGIC_LEN) || put_tag(&e, 1, WT_LEN) || len_begin(&e, &mark) ||
        put_bytes_field(&e, 1, api_version, strlen(api_version)) || put_bytes_field(&e, 2, kind, strlen(kind)) ||
        len_end(&e, mark) || put_bytes_field(&e, 2, raw, rawlen) || put_bytes_field(&e, 3, "", 0) ||
        put_bytes_field(&e, 4, "", 0))
        return -1;
    return 0;
}
