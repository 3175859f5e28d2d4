/* Typed checking of decoded bodies against the schema tables, reproducing
 * what upstream's decode (sigs.k8s.io/json, a fork of encoding/json) accepts,
 * reports and writes back. See docs/internals/typed.md. */
#include "typed.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/b64.h"
#include "quantity.h"

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define MAX_STRICT 100   /* upstream stops collecting strict errors here */
#define MAX_DEPTH 512    /* schema nesting (only JSONSchemaProps recurses) */

/* ---- flattened field order ------------------------------------------------
 * Go writes an embedded (inline) struct's fields at the embedding position,
 * so a field's place in the output is its position in the message with every
 * inline field expanded. Computed once for all messages. */

static uint16_t *flat_base;   /* per field: position of its first slot in its message */
static uint16_t *flat_size;   /* per message: number of slots */
static uint8_t *typemeta;     /* per message: Go type embeds TypeMeta */
static bool has_typemeta(const struct kapi_schema_msg *m);
static void flat_names_init(void);
static pthread_once_t flat_once = PTHREAD_ONCE_INIT;
static atomic_bool flat_ready;
static const struct kapi_schema_msg *object_meta; /* ObjectMeta and its creationTimestamp slot */
static unsigned object_meta_ct_pos;

static uint16_t msg_flat_size(size_t mi)
{
    if (flat_size[mi] != UINT16_MAX)
        return flat_size[mi];
    const struct kapi_schema_msg *m = &kapi_schema_msgs[mi];
    flat_size[mi] = 0;  /* guards against (impossible) inline cycles */
    unsigned pos = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        size_t fi = (size_t)m->first_field + i;
        const struct kapi_schema_field *f = &kapi_schema_fields[fi];
        flat_base[fi] = (uint16_t)pos;
        if ((f->flags & KAPI_SCHEMA_F_INLINE) && f->msg >= 0) {
            pos += msg_flat_size((size_t)f->msg);
        } else {
            pos++;
        }
    }
    flat_size[mi] = (uint16_t)(pos > 60000 ? 60000 : pos);
    return flat_size[mi];
}

static void flat_init(void)
{
    flat_base = kapi_xcalloc(kapi_schema_nfields ? kapi_schema_nfields : 1, sizeof(*flat_base));
    flat_size = kapi_xmalloc((kapi_schema_nmsgs ? kapi_schema_nmsgs : 1) * sizeof(*flat_size));
    for (size_t i = 0; i < kapi_schema_nmsgs; i++)
        flat_size[i] = UINT16_MAX;
    for (size_t i = 0; i < kapi_schema_nmsgs; i++)
        msg_flat_size(i);
    flat_names_init();
    typemeta = kapi_xcalloc(kapi_schema_nmsgs ? kapi_schema_nmsgs : 1, 1);
    for (size_t i = 0; i < kapi_schema_nmsgs; i++)
        typemeta[i] = has_typemeta(&kapi_schema_msgs[i]);
    object_meta = kapi_schema_msg_find("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    const struct kapi_schema_field *ct =
        object_meta ? kapi_schema_field_by_name(object_meta, "creationTimestamp", 17) : NULL;
    if (!ct)
        object_meta = NULL;
    else
        object_meta_ct_pos = flat_base[ct - kapi_schema_fields];
    atomic_store_explicit(&flat_ready, true, memory_order_release);
}

static size_t msg_index(const struct kapi_schema_msg *m)
{
    return (size_t)(m - kapi_schema_msgs);
}

/* ---- fields as JSON sees them -----------------------------------------------
 * Per message, the field at each output position with inline fields
 * expanded (NULL where no key answers), and an open-addressing index from
 * JSON name to position over the same slots, so a key costs one probe and
 * never a walk through embedded structs. Where names repeat, the one a
 * walk would find first answers: the message's own fields, then each inline
 * field's in declaration order, depth first; the others are NULLed. */

static const struct kapi_schema_field **flat_fields; /* all messages, back to back */
static uint32_t *flat_off;    /* per message: its first slot in flat_fields */
static uint16_t *fname_slots; /* per message table: position + 1, or 0 */
static uint32_t *fname_off;   /* per message: offset of its table */
static uint8_t *fname_bits;   /* per message: log2 of its table size */


/* Position of key in message mi's expanded fields + 1, or 0. */
static inline unsigned fname_find(size_t mi, const char *key, size_t klen)
{
    const uint16_t *t = &fname_slots[fname_off[mi]];
    const struct kapi_schema_field *const *ff = &flat_fields[flat_off[mi]];
    uint32_t mask = (1u << fname_bits[mi]) - 1;
    for (uint32_t h = kapi_schema_name_hash(key, klen) & mask; t[h]; h = (h + 1) & mask) {
        const struct kapi_schema_field *f = ff[t[h] - 1];
        if (f->name_len == klen && kapi_schema_name_eq(f->name, key, klen))
            return t[h];
    }
    return 0;
}

/* Fills root's slots from message mi placed at position pos0. */
static void flat_fill(size_t root, size_t mi, unsigned pos0, int depth)
{
    const struct kapi_schema_msg *m = &kapi_schema_msgs[mi];
    if (depth > 64)
        return;  /* (impossible) inline cycles */
    for (size_t i = 0; i < m->nfields; i++) {
        size_t fi = (size_t)m->first_field + i;
        const struct kapi_schema_field *f = &kapi_schema_fields[fi];
        unsigned pos = pos0 + flat_base[fi];
        if (pos >= flat_size[root])
            continue;
        if (f->flags & KAPI_SCHEMA_F_INLINE) {
            if (f->msg >= 0)
                flat_fill(root, (size_t)f->msg, pos, depth + 1);
        } else {
            flat_fields[flat_off[root] + pos] = f;
        }
    }
}

/* Indexes root's names from message mi at pos0: own fields, then inline
 * ones, depth first; a name already indexed keeps its first answer. */
static void flat_index(size_t root, size_t mi, unsigned pos0, int depth)
{
    const struct kapi_schema_msg *m = &kapi_schema_msgs[mi];
    if (depth > 64)
        return;
    uint16_t *t = &fname_slots[fname_off[root]];
    uint32_t mask = (1u << fname_bits[root]) - 1;
    for (size_t i = 0; i < m->nfields; i++) {
        size_t fi = (size_t)m->first_field + i;
        const struct kapi_schema_field *f = &kapi_schema_fields[fi];
        unsigned pos = pos0 + flat_base[fi];
        if ((f->flags & KAPI_SCHEMA_F_INLINE) || pos >= flat_size[root] ||
            fname_find(root, f->name, f->name_len))
            continue;
        uint32_t h = kapi_schema_name_hash(f->name, f->name_len) & mask;
        while (t[h])
            h = (h + 1) & mask;
        t[h] = (uint16_t)(pos + 1);
    }
    for (size_t i = 0; i < m->nfields; i++) {
        size_t fi = (size_t)m->first_field + i;
        const struct kapi_schema_field *f = &kapi_schema_fields[fi];
        if ((f->flags & KAPI_SCHEMA_F_INLINE) && f->msg >= 0)
            flat_index(root, (size_t)f->msg, pos0 + flat_base[fi], depth + 1);
    }
}

static void flat_names_init(void)
{
    size_t nm = kapi_schema_nmsgs ? kapi_schema_nmsgs : 1;
    flat_off = kapi_xmalloc(nm * sizeof(*flat_off));
    fname_off = kapi_xmalloc(nm * sizeof(*fname_off));
    fname_bits = kapi_xmalloc(nm);
    size_t total = 0, ttotal = 0;
    for (size_t i = 0; i < kapi_schema_nmsgs; i++) {
        flat_off[i] = (uint32_t)total;
        total += flat_size[i];
        unsigned bits = 1;
        while ((1u << bits) < 2u * flat_size[i])
            bits++;
        fname_off[i] = (uint32_t)ttotal;
        fname_bits[i] = (uint8_t)bits;
        ttotal += 1u << bits;
    }
    flat_fields = kapi_xcalloc(total ? total : 1, sizeof(*flat_fields));
    fname_slots = kapi_xcalloc(ttotal ? ttotal : 1, sizeof(*fname_slots));
    for (size_t i = 0; i < kapi_schema_nmsgs; i++) {
        flat_fill(i, i, 0, 0);
        flat_index(i, i, 0, 0);
        /* a slot whose name answers elsewhere is never matched */
        const struct kapi_schema_field **ff = &flat_fields[flat_off[i]];
        for (unsigned k = 0; k < flat_size[i]; k++)
            if (ff[k] && fname_find(i, ff[k]->name, ff[k]->name_len) != k + 1)
                ff[k] = NULL;
    }
}

/* The field a JSON key names in m (seeing through inline fields) and its
 * output position; NULL if none. */
static const struct kapi_schema_field *lookup(const struct kapi_schema_msg *m, const char *key,
                                              size_t klen, unsigned *pos)
{
    size_t mi = msg_index(m);
    unsigned k = fname_find(mi, key, klen);
    if (!k)
        return NULL;
    *pos = k - 1;
    return flat_fields[flat_off[mi] + k - 1];
}

/* lookup() for the members of one object in turn: most bodies list fields in
 * the type's own order (Go clients, kubectl, anything we wrote), so the few
 * positions after the previous match are tried first, without a probe. The
 * cursor holds what does not change from member to member. */
struct field_cursor {
    const struct kapi_schema_msg *m;
    const struct kapi_schema_field *const *ff;  /* m's expanded fields */
    size_t n;                                   /* their count */
    size_t hint;                                /* the position after the last match */
};

static inline void field_cursor_init(struct field_cursor *c, const struct kapi_schema_msg *m)
{
    size_t mi = msg_index(m);
    c->m = m;
    c->ff = &flat_fields[flat_off[mi]];
    c->n = flat_size[mi];
    c->hint = 0;
}

static inline const struct kapi_schema_field *next_field(struct field_cursor *c, const char *key, size_t klen,
                                                         unsigned *pos)
{
    size_t h = c->hint;
    for (size_t i = h; i < c->n && i < h + 4; i++) {
        const struct kapi_schema_field *f = c->ff[i];
        if (f && f->name_len == klen && kapi_schema_name_eq(f->name, key, klen)) {
            *pos = (unsigned)i;
            c->hint = i + 1;
            return f;
        }
    }
    const struct kapi_schema_field *f = lookup(c->m, key, klen, pos);
    if (f)
        c->hint = *pos + 1;
    return f;
}

/* ---- names as Go prints them ------------------------------------------------ */

/* Go's package name of a message: the last element of its proto package
 * ("k8s.io.api.core.v1" -> "v1", "...pkg.api.resource" -> "resource"). */
static const char *go_pkg(const struct kapi_schema_msg *m, size_t *len)
{
    const char *p = kapi_schema_pkgs[m->pkg].name;
    const char *dot = strrchr(p, '.');
    const char *s = dot ? dot + 1 : p;
    *len = strlen(s);
    return s;
}

static void put_go_msg(struct kapi_buf *b, const struct kapi_schema_msg *m)
{
    size_t n;
    const char *pkg = go_pkg(m, &n);
    kapi_buf_append(b, pkg, n);
    kapi_buf_putc(b, '.');
    kapi_buf_puts(b, m->name);
}

static void put_go_scalar(struct kapi_buf *b, int kind, const struct kapi_schema_msg *m)
{
    switch (kind) {
    case KAPI_PB_STRING: kapi_buf_puts(b, "string"); break;
    case KAPI_PB_BYTES: kapi_buf_puts(b, "[]uint8"); break;
    case KAPI_PB_BOOL: kapi_buf_puts(b, "bool"); break;
    case KAPI_PB_INT32: kapi_buf_puts(b, "int32"); break;
    case KAPI_PB_INT64: kapi_buf_puts(b, "int64"); break;
    case KAPI_PB_UINT32: kapi_buf_puts(b, "uint32"); break;
    case KAPI_PB_UINT64: kapi_buf_puts(b, "uint64"); break;
    case KAPI_PB_DOUBLE: kapi_buf_puts(b, "float64"); break;
    case KAPI_PB_FLOAT: kapi_buf_puts(b, "float32"); break;
    default:
        if (m)
            put_go_msg(b, m);
        break;
    }
}

/* Go names a few map types; the proto files do not say so, these are the
 * ones users meet (resources.limits: [] etc.). */
static const char *named_map_type(const struct kapi_schema_msg *owner, const struct kapi_schema_field *f)
{
    if (f->msg >= 0 && strcmp(kapi_schema_msgs[f->msg].name, "Quantity") == 0 &&
        strncmp(kapi_schema_pkgs[owner->pkg].name, "k8s.io.api.core.", 16) == 0)
        return "v1.ResourceList";
    return NULL;
}

/* ---- the walk ---------------------------------------------------------------- */

/* A growable NUL-terminated path; cheaper than kapi_buf on this hot path. */
struct tpath {
    char *data;
    size_t len, cap;
    char local[256];
};

static void tpath_init(struct tpath *p)
{
    p->data = p->local;
    p->cap = sizeof(p->local);
    p->len = 0;
    p->local[0] = 0;
}

static void tpath_dispose(struct tpath *p)
{
    if (p->data != p->local)
        free(p->data);
}

static void tpath_append(struct tpath *p, const char *s, size_t n)
{
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap * 2;
        while (cap < p->len + n + 1)
            cap *= 2;
        if (p->data == p->local) {
            p->data = kapi_xmalloc(cap);
            memcpy(p->data, p->local, p->len + 1);
        } else {
            p->data = kapi_xrealloc(p->data, cap);
        }
        p->cap = cap;
    }
    memcpy(p->data + p->len, s, n);
    p->len += n;
    p->data[p->len] = 0;
}

static void tpath_push_index(struct tpath *p, size_t i)
{
    char tmp[24];
    size_t n = sizeof(tmp);
    tmp[--n] = ']';
    do {
        tmp[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    tmp[--n] = '[';
    tpath_append(p, tmp + n, sizeof(tmp) - n);
}

/* The current position as a stack of segments; paths are only spelled out
 * when a message needs one. */
struct seg {
    const char *key;    /* NULL for an array index */
    size_t klen;        /* or the index */
    bool go;            /* part of Go's field stack (a struct field) */
};

struct dupent {
    const char *path;
    bool used;
};

struct tc {
    struct kapi_pool *pool;
    struct seg *segs;         /* strict path: spec.containers[0].name; Go's */
    size_t nsegs, capsegs;    /* field stack (spec.containers.name) is the go ones */
    const struct kapi_schema_msg *gostruct;  /* Go's errorContext.Struct */
    const char *saved;        /* first type error (decoding goes on) */
    const char *fatal;        /* error from an UnmarshalJSON: decoding stops */
    const char **strict;
    size_t nstrict, capstrict;
    struct dupent *dups;
    size_t ndups;
    int quiet;                /* inside values Go decodes non-strictly */
    int depth;
    /* not zeroed at the start (kapi_typed_check): */
    struct tpath scratch;
    struct seg segbuf[48];    /* segs until a path is deeper */
};

static const char *spell(struct tc *t, bool go_only);

static void add_strict(struct tc *t, const char *msg)
{
    if (t->quiet || t->nstrict >= MAX_STRICT)
        return;
    for (size_t i = 0; i < t->nstrict; i++)
        if (strcmp(t->strict[i], msg) == 0)
            return;
    if (t->nstrict == t->capstrict) {
        size_t cap = t->capstrict ? t->capstrict * 2 : 8;
        const char **n = kapi_pool_alloc(t->pool, cap * sizeof(*n));
        if (t->nstrict)
            memcpy(n, t->strict, t->nstrict * sizeof(*n));
        t->strict = n;
        t->capstrict = cap;
    }
    t->strict[t->nstrict++] = msg;
}

static void note_unknown(struct tc *t)
{
    if (!t->quiet && t->nstrict < MAX_STRICT)
        add_strict(t, kapi_pool_printf(t->pool, "unknown field \"%s\"", spell(t, false)));
}

static int dup_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dupent *)a)->path, ((const struct dupent *)b)->path);
}

/* After a known member at the current path: its duplicates, if any. */
static void note_dups(struct tc *t)
{
    if (!t->ndups || t->quiet)
        return;
    struct dupent key = {spell(t, false), false};
    struct dupent *d = bsearch(&key, t->dups, t->ndups, sizeof(*d), dup_cmp);
    if (d && !d->used) {
        d->used = true;
        add_strict(t, kapi_pool_printf(t->pool, "duplicate field \"%s\"", d->path));
    }
}

static void seg_grow(struct tc *t)
{
    size_t cap = t->capsegs * 2;
    struct seg *n = kapi_pool_alloc(t->pool, cap * sizeof(*n));
    memcpy(n, t->segs, t->nsegs * sizeof(*n));
    t->segs = n;
    t->capsegs = cap;
}

static inline void seg_push(struct tc *t, const char *key, size_t klen, bool go)
{
    if (t->nsegs == t->capsegs)
        seg_grow(t);
    t->segs[t->nsegs++] = (struct seg){key, klen, go};
}

static inline void seg_pop(struct tc *t)
{
    t->nsegs--;
}

/* Spells the current path into t->scratch: all segments, or Go's field
 * stack only. */
static const char *spell(struct tc *t, bool go_only)
{
    struct tpath *p = &t->scratch;
    p->len = 0;
    p->data[0] = 0;
    for (size_t i = 0; i < t->nsegs; i++) {
        const struct seg *g = &t->segs[i];
        if (go_only && !g->go)
            continue;
        if (!g->key) {
            tpath_push_index(p, g->klen);
            continue;
        }
        if (p->len)
            tpath_append(p, ".", 1);
        tpath_append(p, g->key, g->klen);
    }
    return p->data;
}

static const char *json_kind(const struct kapi_value *v)
{
    switch (v->type) {
    case KAPI_V_NULL: return "null";
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT:
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "array";
    default: return "object";
    }
}

/* The literal of a number as Go would quote it in "number <lit>". */
static void put_number(struct kapi_buf *b, const struct kapi_value *v)
{
    if (v->type == KAPI_V_INT) {
        kapi_buf_printf(b, "%lld", (long long)v->u.i);
    } else {
        char tmp[40];
        size_t n = kapi_json_format_float(v->u.f, tmp);
        kapi_buf_append(b, tmp, n);
    }
}

/* An encoding/json UnmarshalTypeError with the current context. what is the
 * JSON side ("string", "number 1.5"), type the Go side. */
static const char *type_error(struct tc *t, const char *what, const char *type)
{
    const char *gopath = spell(t, true);
    if (t->gostruct || *gopath)
        return kapi_pool_printf(t->pool, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                                what, t->gostruct ? t->gostruct->name : "", gopath, type);
    return kapi_pool_printf(t->pool, "json: cannot unmarshal %s into Go value of type %s", what, type);
}

static void save_error(struct tc *t, const char *msg)
{
    if (!t->saved)
        t->saved = msg;
}

static void save_type_error(struct tc *t, const struct kapi_value *v, struct kapi_buf *type)
{
    save_error(t, type_error(t, json_kind(v), type->data ? type->data : ""));
}

/* ---- special types ------------------------------------------------------------- */

/* Go's time-package quoting for parse errors. */
static void put_time_quote(struct kapi_buf *b, const char *s, size_t n)
{
    kapi_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < 0x20) {
            kapi_buf_printf(b, "\\x%02x", c);
        } else {
            if (c == '"' || c == '\\')
                kapi_buf_putc(b, '\\');
            kapi_buf_putc(b, (char)c);
        }
    }
    kapi_buf_putc(b, '"');
}

static const char *time_error(struct kapi_pool *pool, const char *layout, const char *v, size_t n,
                              const char *rest, size_t rn, const char *elem, const char *msg)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "parsing time ");
    put_time_quote(&b, v, n);
    if (msg) {
        kapi_buf_puts(&b, msg);
        if (rest) {
            put_time_quote(&b, rest, rn);
        }
    } else {
        kapi_buf_puts(&b, " as ");
        put_time_quote(&b, layout, strlen(layout));
        kapi_buf_puts(&b, ": cannot parse ");
        put_time_quote(&b, rest, rn);
        kapi_buf_puts(&b, " as ");
        put_time_quote(&b, elem, strlen(elem));
    }
    const char *r = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return r;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t k, int *out)
{
    if (n < k)
        return false;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Whether the n bytes at s are a time exactly as parse_time writes one back
 * (UTC "Z", whole seconds, or six fraction digits for MicroTime), valid and
 * not Go's zero time: then parse_time would keep them as they are, so there
 * is nothing to parse or rewrite. This is what clients and kapi send. */
static bool time_canonical(const char *s, size_t n, bool micro)
{
    static const char form[] = "0000-00-00T00:00:00.000000Z";
    if (n != (micro ? 27u : 20u) || s[n - 1] != 'Z')
        return false;
    int d[26];
    for (size_t i = 0; i + 1 < n; i++) {
        if (form[i] != '0') {
            if (s[i] != form[i])
                return false;
        } else if ((unsigned)(s[i] - '0') > 9) {
            return false;
        } else {
            d[i] = s[i] - '0';
        }
    }
    int year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], mon = d[5] * 10 + d[6], day = d[8] * 10 + d[9];
    int hour = d[11] * 10 + d[12], min = d[14] * 10 + d[15], sec = d[17] * 10 + d[18];
    if (mon < 1 || mon > 12 || hour > 23 || min > 59 || sec > 59)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = mdays[mon - 1];
    if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        dim = 29;
    if (day < 1 || day > dim)
        return false;
    /* Go's zero time becomes null */
    bool zero = year == 1 && mon == 1 && day == 1 && hour == 0 && min == 0 && sec == 0 &&
                (!micro || memcmp(s + 20, "000000", 6) == 0);
    return !zero;
}

/* Parses an RFC 3339 time as Go's time.Parse with layout RFC3339 (micro:
 * RFC3339Micro) and writes its UTC form as metav1.Time (or MicroTime)
 * marshals it into *out; "0001-01-01T00:00:00Z" (Go's zero time) gives NULL.
 * Returns an error text or NULL. */
static const char *parse_time(struct kapi_pool *pool, const char *v, size_t n, bool micro,
                              const char **out)
{
    const char *layout = micro ? "2006-01-02T15:04:05.000000Z07:00" : "2006-01-02T15:04:05Z07:00";
    const char *p = v, *e = v + n;
    int year, mon, day, hour, min, sec, nsec = 0;
#define REST (size_t)(e - p)
#define BAD(elem) return time_error(pool, layout, v, n, p, REST, elem, NULL)
#define LIT(c, elem) do { if (p >= e || *p != (c)) BAD(elem); p++; } while (0)
    if (!digits(p, REST, 4, &year))
        BAD("2006");
    p += 4;
    LIT('-', "-");
    if (!digits(p, REST, 2, &mon))
        BAD("01");
    p += 2;
    LIT('-', "-");
    if (!digits(p, REST, 2, &day))
        BAD("02");
    p += 2;
    LIT('T', "T");
    /* "15" takes one or two digits */
    if (p >= e || *p < '0' || *p > '9')
        BAD("15");
    hour = *p++ - '0';
    if (p < e && *p >= '0' && *p <= '9')
        hour = hour * 10 + (*p++ - '0');
    LIT(':', ":");
    if (!digits(p, REST, 2, &min))
        BAD("04");
    p += 2;
    LIT(':', ":");
    if (!digits(p, REST, 2, &sec))
        BAD("05");
    p += 2;
    const char *range = NULL;
    if (mon < 1 || mon > 12)
        range = "month";
    else if (hour >= 24)
        range = "hour";
    else if (min >= 60)
        range = "minute";
    else if (sec >= 60)
        range = "second";
    if (micro) {
        if (REST < 7 || (*p != '.' && *p != ',')) {
            BAD(".000000");
        }
        for (int i = 1; i <= 6; i++) {
            if (p[i] < '0' || p[i] > '9')
                BAD(".000000");
            nsec = nsec * 10 + (p[i] - '0');
        }
        nsec *= 1000;
        p += 7;
    } else if (REST >= 2 && (*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
        p++;
        int k = 0;
        while (p < e && *p >= '0' && *p <= '9') {
            if (k < 9)
                nsec = nsec * 10 + (*p - '0');
            k++;
            p++;
        }
        while (k++ < 9)
            nsec *= 10;
    }
    int off = 0;
    if (p < e && *p == 'Z') {
        p++;
    } else {
        int hh, mm;
        if (REST < 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':' || !digits(p + 1, 2, 2, &hh) ||
            !digits(p + 4, 2, 2, &mm))
            BAD("Z07:00");
        if (!range && hh > 24)
            range = "time zone offset hour";
        if (!range && mm > 60)
            range = "time zone offset minute";
        off = (hh * 60 + mm) * 60 * (p[0] == '-' ? -1 : 1);
        p += 6;
    }
    if (range)
        return time_error(pool, layout, v, n, NULL, 0, NULL,
                          kapi_pool_printf(pool, ": %s out of range", range));
    if (p < e)
        return time_error(pool, layout, v, n, p, REST, NULL, ": extra text: ");
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = mdays[mon - 1];
    if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        dim = 29;
    if (day < 1 || day > dim)
        return time_error(pool, layout, v, n, NULL, 0, NULL, ": day out of range");
#undef REST
#undef BAD
#undef LIT
    int64_t secs = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 +
                   min * 60 + sec - off;
    /* Go's zero time is 0001-01-01T00:00:00Z; it marshals as null */
    if (secs == days_from_civil(1, 1, 1) * 86400 && nsec == 0) {
        *out = NULL;
        return NULL;
    }
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        /* the common case without printf: this runs for every timestamp */
        char o[28];
        int parts[] = {(int)(y / 100), (int)(y % 100), (int)m, (int)d, (int)(rem / 3600), (int)(rem / 60 % 60),
                       (int)(rem % 60)};
        static const char seps[] = {0, '-', '-', 'T', ':', ':', 0};
        size_t k = 0;
        for (int i = 0; i < 7; i++) {
            if (i > 1)
                o[k++] = seps[i - 1];
            o[k++] = (char)('0' + parts[i] / 10);
            o[k++] = (char)('0' + parts[i] % 10);
        }
        if (micro) {
            int us = nsec / 1000;
            o[k++] = '.';
            for (int div = 100000; div; div /= 10)
                o[k++] = (char)('0' + us / div % 10);
        }
        o[k++] = 'Z';
        o[k] = 0;
        /* already canonical (what kapi and clients write): keep the text */
        *out = k == n && memcmp(o, v, k) == 0 ? v : kapi_pool_strndup(pool, o, k);
    } else if (micro)
        *out = kapi_pool_printf(pool, "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ", (long long)y, m, d,
                                (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), nsec / 1000);
    else
        *out = kapi_pool_printf(pool, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
                                (int)(rem / 60 % 60), (int)(rem % 60));
    return NULL;
}

/* Go's base64.StdEncoding.Decode then re-encoding: the canonical text of
 * a []byte. Returns NULL or "illegal base64 data at input byte N". */
static const char *canon_base64(struct kapi_pool *pool, const char *s, size_t n, const char **out)
{
    size_t dn = 0, bad = 0;
    unsigned char *dec = kapi_b64_decode_pool(pool, s, n, 0, &dn, &bad);
    if (!dec)
        return kapi_pool_printf(pool, "illegal base64 data at input byte %zu", bad);
    *out = kapi_b64_encode_pool(pool, dec, dn, 0);
    return NULL;
}

/* ---- the walk over values -------------------------------------------------------- */

static void check_elem(struct tc *t, int kind, const struct kapi_schema_msg *m, struct kapi_value **slot);
static void check_object(struct tc *t, const struct kapi_schema_msg *m, struct kapi_value *v,
                         bool typemeta);

/* Whether Go's type for m embeds TypeMeta (so "kind"/"apiVersion" are its
 * fields): API kinds -- messages with ObjectMeta/ListMeta metadata other than
 * the *TemplateSpec carriers -- and meta/v1's metadata-less kinds. */
static bool has_typemeta(const struct kapi_schema_msg *m)
{
    static const char *const metaless[] = {
        "APIGroup", "APIGroupList", "APIResourceList", "APIVersions", "CreateOptions",
        "DeleteOptions", "GetOptions", "ListOptions", "PatchOptions", "Status",
        "UpdateOptions", "TableOptions",
    };
    const struct kapi_schema_pkg *pkg = &kapi_schema_pkgs[m->pkg];
    if (!pkg->group)
        return false;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(metaless); i++)
        if (strcmp(m->name, metaless[i]) == 0)
            return true;
    const struct kapi_schema_field *f = kapi_schema_field_by_name(m, "metadata", 8);
    if (!f || f->msg < 0)
        return false;
    const char *mn = kapi_schema_msgs[f->msg].name;
    if (strcmp(mn, "ObjectMeta") != 0 && strcmp(mn, "ListMeta") != 0)
        return false;
    size_t n = strlen(m->name);
    if (n >= 12 && strcmp(m->name + n - 12, "TemplateSpec") == 0)
        return false;
    return strcmp(m->name, "PersistentVolumeClaimTemplate") != 0;
}

/* What a JSON null inside an array or map becomes in Go (the zero value of
 * the element type), as Go writes it back. */
static struct kapi_value *zero_value(struct tc *t, int kind, const struct kapi_schema_msg *m)
{
    switch (kind) {
    case KAPI_PB_STRING: return kapi_value_str(t->pool, "");
    case KAPI_PB_BOOL: return kapi_value_bool(t->pool, false);
    case KAPI_PB_BYTES: return kapi_value_null(t->pool);
    case KAPI_PB_MESSAGE: break;
    default: return kapi_value_int(t->pool, 0);
    }
    if (!m)
        return kapi_value_null(t->pool);
    switch (m->special) {
    case KAPI_SCHEMA_PLAIN:
        return (m->flags & KAPI_SCHEMA_M_SLICE) ? kapi_value_null(t->pool) : kapi_value_object(t->pool);
    case KAPI_SCHEMA_QUANTITY: return kapi_value_str(t->pool, "0");
    case KAPI_SCHEMA_INTORSTRING: return kapi_value_int(t->pool, 0);
    case KAPI_SCHEMA_DURATION: return kapi_value_str(t->pool, "0s");
    case KAPI_SCHEMA_PROPS_OR_BOOL: return kapi_value_bool(t->pool, false);
    default: return kapi_value_null(t->pool);
    }
}

static void err_kind(struct tc *t, const struct kapi_value *v, int kind, const struct kapi_schema_msg *m)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put_go_scalar(&b, kind, m);
    save_type_error(t, v, &b);
    kapi_buf_dispose(&b);
}

static void err_number(struct tc *t, const struct kapi_value *v, const char *type, bool fatal)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "number ");
    put_number(&b, v);
    const char *msg = type_error(t, b.data, type);
    kapi_buf_dispose(&b);
    if (fatal) {
        if (!t->fatal)
            t->fatal = msg;
    } else {
        save_error(t, msg);
    }
}

static void fatal_type(struct tc *t, const struct kapi_value *v, const char *type)
{
    if (!t->fatal)
        t->fatal = type_error(t, json_kind(v), type);
}

static void check_int(struct tc *t, struct kapi_value *v, int kind)
{
    static const char *const names[] = {
        [KAPI_PB_INT32] = "int32", [KAPI_PB_INT64] = "int64",
        [KAPI_PB_UINT32] = "uint32", [KAPI_PB_UINT64] = "uint64",
    };
    if (v->type == KAPI_V_FLOAT) {
        err_number(t, v, names[kind], false);
        return;
    }
    if (v->type != KAPI_V_INT) {
        err_kind(t, v, kind, NULL);
        return;
    }
    int64_t i = v->u.i;
    bool ok = kind == KAPI_PB_INT64 ||
              (kind == KAPI_PB_INT32 && i >= INT32_MIN && i <= INT32_MAX) ||
              (kind == KAPI_PB_UINT32 && i >= 0 && i <= (int64_t)UINT32_MAX) ||
              (kind == KAPI_PB_UINT64 && i >= 0);
    if (!ok)
        err_number(t, v, names[kind], false);
}

static void check_quantity(struct tc *t, struct kapi_value **slot)
{
    struct kapi_value *v = *slot;
    char tmp[48];
    const char *s;
    size_t n;
    switch (v->type) {
    case KAPI_V_STRING:
        if (kapi_quantity_plain_canonical(v->u.str.s, v->u.str.len))
            return;  /* kept as written: nothing to parse or replace */
        s = v->u.str.s, n = v->u.str.len;
        /* UnmarshalJSON trims spaces inside the quotes */
        while (n && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
            s++, n--;
        while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
            n--;
        break;
    case KAPI_V_INT:
        n = (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.i);
        s = tmp;
        break;
    case KAPI_V_FLOAT:
        n = kapi_json_format_float(v->u.f, tmp);
        s = tmp;
        break;
    case KAPI_V_BOOL:
        s = v->u.b ? "true" : "false";
        n = strlen(s);
        break;
    default:
        /* an object or array: its raw text starts with a bracket */
        s = "{";
        n = 1;
        break;
    }
    const char *out, *err;
    if (kapi_quantity_canonical(t->pool, s, n, &out, &err) < 0) {
        if (!t->fatal)
            t->fatal = err;
        return;
    }
    if (v->type != KAPI_V_STRING || strcmp(out, v->u.str.s) != 0) {
        *slot = kapi_value_str(t->pool, out);
        /* validation messages show the Quantity parsed from this text */
        if (strlen(out) != n || memcmp(out, s, n) != 0)
            kapi_quantity_note_original(t->pool, *slot, s, n);
    }
}

static void check_props(struct tc *t, const struct kapi_schema_msg *wrapper, struct kapi_value **slot)
{
    const struct kapi_schema_field *sf = kapi_schema_field_by_name(wrapper, "schema", 6);
    const struct kapi_schema_msg *props = sf ? kapi_schema_field_msg(sf) : NULL;
    struct kapi_value *v = *slot;
    /* Go decodes these through a plain json.Unmarshal: nothing strict inside. */
    t->quiet++;
    if (v->type == KAPI_V_OBJECT && props) {
        check_object(t, props, v, false);
    } else if (wrapper->special == KAPI_SCHEMA_PROPS_OR_BOOL && v->type == KAPI_V_BOOL) {
        /* allows */
    } else if (wrapper->special != KAPI_SCHEMA_PROPS_OR_BOOL && v->type == KAPI_V_ARRAY) {
        bool strings = wrapper->special == KAPI_SCHEMA_PROPS_OR_STRARRAY;
        for (size_t i = 0; i < v->u.arr.len && !t->fatal; i++) {
            struct kapi_value **it = &v->u.arr.items[i];
            if ((*it)->type == KAPI_V_NULL)
                *it = strings ? kapi_value_str(t->pool, "") : kapi_value_object(t->pool);
            else if (strings && (*it)->type != KAPI_V_STRING)
                fatal_type(t, *it, "string");
            else if (!strings && (*it)->type == KAPI_V_OBJECT && props)
                check_object(t, props, *it, false);
            else if (!strings)
                fatal_type(t, *it, "v1.JSONSchemaProps");
        }
    } else if (wrapper->special == KAPI_SCHEMA_PROPS_OR_BOOL) {
        if (!t->fatal)
            t->fatal = "boolean or JSON schema expected";
    } else {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        put_go_msg(&b, wrapper);
        fatal_type(t, v, b.data);
        kapi_buf_dispose(&b);
    }
    t->quiet--;
    /* an inner type error ends the outer decode (UnmarshalJSON returned it) */
    if (t->saved && !t->fatal)
        t->fatal = t->saved;
}

static void check_message(struct tc *t, const struct kapi_schema_msg *m, struct kapi_value **slot)
{
    struct kapi_value *v = *slot;
    const char *err, *out = NULL;
    switch (m->special) {
    case KAPI_SCHEMA_TIME:
    case KAPI_SCHEMA_MICROTIME:
        if (v->type != KAPI_V_STRING) {
            fatal_type(t, v, "string");
            return;
        }
        if (time_canonical(v->u.str.s, v->u.str.len, m->special == KAPI_SCHEMA_MICROTIME))
            return;  /* kept as sent */
        err = parse_time(t->pool, v->u.str.s, v->u.str.len, m->special == KAPI_SCHEMA_MICROTIME, &out);
        if (err) {
            if (!t->fatal)
                t->fatal = err;
            return;
        }
        if (!out)
            *slot = kapi_value_null(t->pool);
        else if (out != v->u.str.s && strcmp(out, v->u.str.s) != 0)
            *slot = kapi_value_str(t->pool, out);
        return;
    case KAPI_SCHEMA_DURATION:
        if (v->type != KAPI_V_STRING)
            fatal_type(t, v, "string");
        return;
    case KAPI_SCHEMA_INTORSTRING:
        if (v->type == KAPI_V_STRING)
            return;
        if (v->type == KAPI_V_INT && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX)
            return;
        if (v->type == KAPI_V_INT || v->type == KAPI_V_FLOAT)
            err_number(t, v, "int32", true);
        else
            fatal_type(t, v, "int32");
        return;
    case KAPI_SCHEMA_QUANTITY:
        check_quantity(t, slot);
        return;
    case KAPI_SCHEMA_RAWEXT:
    case KAPI_SCHEMA_RAWJSON:
        return;  /* kept verbatim, as Go keeps the raw bytes */
    case KAPI_SCHEMA_PROPS_OR_BOOL:
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
        check_props(t, m, slot);
        return;
    default:
        break;
    }
    if (m->flags & KAPI_SCHEMA_M_SLICE) {
        /* a named Go slice: JSON is the items array itself */
        const struct kapi_schema_field *items = kapi_schema_msg_field(m, 0);
        if (v->type != KAPI_V_ARRAY || !items) {
            err_kind(t, v, KAPI_PB_MESSAGE, m);
            return;
        }
        const struct kapi_schema_msg *em = kapi_schema_field_msg(items);
        for (size_t i = 0; i < v->u.arr.len && !t->fatal; i++) {
            seg_push(t, NULL, i, false);
            if (v->u.arr.items[i]->type == KAPI_V_NULL)
                v->u.arr.items[i] = zero_value(t, items->kind, em);
            else
                check_elem(t, items->kind, em, &v->u.arr.items[i]);
            seg_pop(t);
        }
        return;
    }
    if (v->type != KAPI_V_OBJECT) {
        err_kind(t, v, KAPI_PB_MESSAGE, m);
        return;
    }
    check_object(t, m, v, typemeta[msg_index(m)]);
}

static void check_elem(struct tc *t, int kind, const struct kapi_schema_msg *m, struct kapi_value **slot)
{
    struct kapi_value *v = *slot;
    switch (kind) {
    case KAPI_PB_STRING:
        if (v->type != KAPI_V_STRING)
            err_kind(t, v, kind, NULL);
        return;
    case KAPI_PB_BOOL:
        if (v->type != KAPI_V_BOOL)
            err_kind(t, v, kind, NULL);
        return;
    case KAPI_PB_INT32:
    case KAPI_PB_INT64:
    case KAPI_PB_UINT32:
    case KAPI_PB_UINT64:
        check_int(t, v, kind);
        return;
    case KAPI_PB_DOUBLE:
    case KAPI_PB_FLOAT:
        if (v->type != KAPI_V_INT && v->type != KAPI_V_FLOAT)
            err_kind(t, v, kind, NULL);
        else if (kind == KAPI_PB_FLOAT && v->type == KAPI_V_FLOAT && fabs(v->u.f) > FLT_MAX)
            err_number(t, v, "float32", false);
        return;
    case KAPI_PB_BYTES: {
        if (v->type != KAPI_V_STRING) {
            err_kind(t, v, kind, NULL);
            return;
        }
        const char *out = NULL, *err = canon_base64(t->pool, v->u.str.s, v->u.str.len, &out);
        if (err)
            save_error(t, err);  /* a plain error: no field context */
        else if (strcmp(out, v->u.str.s) != 0)
            *slot = kapi_value_str(t->pool, out);
        return;
    }
    default:
        if (m)
            check_message(t, m, slot);
        return;
    }
}

static int member_cmp(const void *a, const void *b)
{
    const struct kapi_member *x = a, *y = b;
    /* keys are NUL-terminated: the first bytes (an empty key's NUL sorts
     * first, as it should) settle most comparisons without a call */
    unsigned char x0 = (unsigned char)x->key[0], y0 = (unsigned char)y->key[0];
    if (x0 != y0)
        return x0 < y0 ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Whether check_elem of an object for this element type ends in a plain
 * check_object (a struct message, not a special or a named slice). */
static inline bool plain_msg(int kind, const struct kapi_schema_msg *em)
{
    return kind == KAPI_PB_MESSAGE && em && em->special == KAPI_SCHEMA_PLAIN && !(em->flags & KAPI_SCHEMA_M_SLICE);
}

/* The value of field f (not null) at the current path. */
static void check_field(struct tc *t, const struct kapi_schema_msg *owner,
                        const struct kapi_schema_field *f, struct kapi_value **slot)
{
    struct kapi_value *v = *slot;
    if (f->kind == KAPI_PB_STRING && v->type == KAPI_V_STRING && !(f->flags & (KAPI_SCHEMA_F_MAP | KAPI_SCHEMA_F_REPEATED)))
        return;  /* the common leaf: nothing to check */
    const struct kapi_schema_msg *em = kapi_schema_field_msg(f);
    if (f->flags & KAPI_SCHEMA_F_MAP) {
        if (v->type != KAPI_V_OBJECT) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            const char *named = named_map_type(owner, f);
            if (named) {
                kapi_buf_puts(&b, named);
            } else {
                kapi_buf_puts(&b, "map[string]");
                put_go_scalar(&b, f->kind, em);
            }
            save_type_error(t, v, &b);
            kapi_buf_dispose(&b);
            return;
        }
        for (size_t i = 0; i < v->u.obj.len && !t->fatal; i++) {
            struct kapi_member *mem = &v->u.obj.members[i];
            if (f->kind == KAPI_PB_STRING && mem->val->type == KAPI_V_STRING && !t->ndups)
                continue;  /* the common leaf (labels, annotations): nothing to check */
            seg_push(t, mem->key, mem->klen, false);
            if (mem->val->type == KAPI_V_NULL)
                mem->val = zero_value(t, f->kind, em);
            else
                check_elem(t, f->kind, em, &mem->val);
            if (t->ndups)
                note_dups(t);
            seg_pop(t);
        }
        /* map keys come out sorted, as Go writes maps */
        size_t n = v->u.obj.len;
        struct kapi_member *ms = v->u.obj.members;
        if (n > 16) {
            qsort(ms, n, sizeof(*ms), member_cmp);
        } else {
            for (size_t i = 1; i < n; i++) {
                struct kapi_member x = ms[i];
                size_t j = i;
                for (; j > 0 && member_cmp(&ms[j - 1], &x) > 0; j--)
                    ms[j] = ms[j - 1];
                ms[j] = x;
            }
        }
        return;
    }
    if (f->flags & KAPI_SCHEMA_F_REPEATED) {
        if (v->type != KAPI_V_ARRAY) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_puts(&b, "[]");
            put_go_scalar(&b, f->kind, em);
            save_type_error(t, v, &b);
            kapi_buf_dispose(&b);
            return;
        }
        bool plain = plain_msg(f->kind, em);
        for (size_t i = 0; i < v->u.arr.len && !t->fatal; i++) {
            struct kapi_value *it = v->u.arr.items[i];
            if (f->kind == KAPI_PB_STRING && it->type == KAPI_V_STRING)
                continue;  /* the common leaf: nothing to check */
            seg_push(t, NULL, i, false);
            if (plain && it->type == KAPI_V_OBJECT)
                check_object(t, em, it, typemeta[msg_index(em)]);  /* check_elem's end */
            else if (it->type == KAPI_V_NULL)
                v->u.arr.items[i] = zero_value(t, f->kind, em);
            else
                check_elem(t, f->kind, em, &v->u.arr.items[i]);
            seg_pop(t);
        }
        return;
    }
    if (v->type == KAPI_V_OBJECT && plain_msg(f->kind, em))
        check_object(t, em, v, typemeta[msg_index(em)]);  /* check_elem's end */
    else
        check_elem(t, f->kind, em, slot);
}

struct keyed {
    uint32_t key;
    struct kapi_member m;
};

static int keyed_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct keyed *)a)->key, y = ((const struct keyed *)b)->key;
    return (x > y) - (x < y);
}

/* Whether v is a valid value of the scalar field f that check_field would
 * keep as it is: a string, bool or in-range integer of the field's type. */
static inline bool plain_leaf(const struct kapi_schema_field *f, const struct kapi_value *v)
{
    if (f->flags & (KAPI_SCHEMA_F_MAP | KAPI_SCHEMA_F_REPEATED))
        return false;
    switch (f->kind) {
    case KAPI_PB_STRING: return v->type == KAPI_V_STRING;
    case KAPI_PB_BOOL: return v->type == KAPI_V_BOOL;
    case KAPI_PB_INT32: return v->type == KAPI_V_INT && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX;
    case KAPI_PB_INT64: return v->type == KAPI_V_INT;
    default: return false;
    }
}

static void check_object(struct tc *t, const struct kapi_schema_msg *m, struct kapi_value *v,
                         bool typemeta)
{
    if (t->depth >= MAX_DEPTH) {
        if (!t->fatal)
            t->fatal = "json: exceeded max depth";
        return;
    }
    t->depth++;
    /* Members kept are compacted in place, each with its output position;
     * they are only reordered when the body was not in canonical order. */
    size_t n = v->u.obj.len, out = 0;
    struct kapi_member *members = v->u.obj.members;
    unsigned small[32];
    unsigned *posv = n <= KAPI_ARRAY_LEN(small) ? small : kapi_pool_alloc(t->pool, n * sizeof(*posv));
    const struct kapi_schema_msg *saved_struct = t->gostruct;
    const bool nodups = !t->ndups;  /* (constant during the check) */
    bool sorted = true;
    struct field_cursor cur;
    field_cursor_init(&cur, m);
    for (size_t i = 0; i < n; i++) {
        struct kapi_member *mem = &members[i];
        unsigned pos = 0;
        const struct kapi_schema_field *f = NULL;
        bool meta = false;
        if (UNLIKELY(typemeta) && mem->klen == 4 && memcmp(mem->key, "kind", 4) == 0) {
            meta = true;
            pos = 0;
        } else if (UNLIKELY(typemeta) && mem->klen == 10 && memcmp(mem->key, "apiVersion", 10) == 0) {
            meta = true;
            pos = 1;
        } else if ((f = next_field(&cur, mem->key, mem->klen, &pos)) != NULL) {
            pos += 2;
        }
        if (f && nodups && plain_leaf(f, mem->val)) {
            /* nothing to check, report or rewrite: skip the path upkeep */
            if (out && pos < posv[out - 1])
                sorted = false;
            posv[out] = pos;
            if (out != i)
                members[out] = *mem;
            out++;
            continue;
        }
        seg_push(t, mem->key, mem->klen, true);
        if (!meta && !f) {
            note_unknown(t);
            seg_pop(t);
            continue;  /* dropped, as Go skips it */
        }
        t->gostruct = m;
        bool keep = mem->val->type != KAPI_V_NULL;
        if (keep) {
            if (meta) {
                if (mem->val->type != KAPI_V_STRING)
                    err_kind(t, mem->val, KAPI_PB_STRING, NULL);
            } else {
                check_field(t, m, f, &mem->val);
                /* a Time that was Go's zero time comes back as null */
                keep = mem->val->type != KAPI_V_NULL;
            }
        }
        if (t->ndups)
            note_dups(t);
        t->gostruct = saved_struct;
        seg_pop(t);
        if (t->fatal)
            break;
        if (!keep)
            continue;
        if (out && pos < posv[out - 1])
            sorted = false;
        posv[out] = pos;
        if (out != i)
            members[out] = *mem;
        out++;
    }
    t->depth--;
    if (t->fatal)
        return;
    v->u.obj.len = out;
    if (!sorted) {
        if (out <= 16) {
            for (size_t i = 1; i < out; i++) {
                struct kapi_member x = members[i];
                unsigned xp = posv[i];
                size_t j = i;
                for (; j > 0 && posv[j - 1] > xp; j--) {
                    members[j] = members[j - 1];
                    posv[j] = posv[j - 1];
                }
                members[j] = x;
                posv[j] = xp;
            }
        } else {
            struct keyed *ks = kapi_pool_alloc(t->pool, out * sizeof(*ks));
            for (size_t i = 0; i < out; i++)
                ks[i] = (struct keyed){posv[i], members[i]};
            qsort(ks, out, sizeof(*ks), keyed_cmp);
            for (size_t i = 0; i < out; i++) {
                members[i] = ks[i].m;
                posv[i] = ks[i].key;
            }
        }
    }
    /* ObjectMeta.creationTimestamp is a plain struct in Go: its JSON always
     * carries it, as null when unset (pod templates show it that way). */
    if (m != object_meta)
        return;
    unsigned ct_pos = object_meta_ct_pos;
    size_t at = 0;
    for (; at < out && posv[at] < ct_pos + 2; at++)
        ;
    if (at < out && posv[at] == ct_pos + 2)
        return;  /* present */
    if (v->u.obj.cap < out + 1) {
        struct kapi_member *nm = kapi_pool_alloc(t->pool, (out + 1) * sizeof(*nm));
        if (out)
            memcpy(nm, members, out * sizeof(*nm));
        v->u.obj.members = members = nm;
        v->u.obj.cap = out + 1;
    }
    memmove(&members[at + 1], &members[at], (out - at) * sizeof(*members));
    members[at] = (struct kapi_member){.key = "creationTimestamp", .klen = 17, .val = kapi_value_null(t->pool)};
    v->u.obj.len = out + 1;
}

int kapi_field_validation_parse(const char *s, enum kapi_field_validation def,
                                enum kapi_field_validation *out)
{
    if (!s || !*s)
        *out = def;
    else if (strcmp(s, "Ignore") == 0)
        *out = KAPI_FV_IGNORE;
    else if (strcmp(s, "Warn") == 0)
        *out = KAPI_FV_WARN;
    else if (strcmp(s, "Strict") == 0)
        *out = KAPI_FV_STRICT;
    else
        return -1;
    return 0;
}

int kapi_typed_check(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                     struct kapi_value *obj, const struct kapi_json_dup *dups,
                     struct kapi_typed_result *res)
{
    if (!atomic_load_explicit(&flat_ready, memory_order_acquire))
        pthread_once(&flat_once, flat_init);
    memset(res, 0, sizeof(*res));
    struct tc t;
    memset(&t, 0, offsetof(struct tc, scratch));
    t.pool = pool;
    t.segs = t.segbuf;
    t.capsegs = KAPI_ARRAY_LEN(t.segbuf);
    tpath_init(&t.scratch);
    size_t nd = 0;
    for (const struct kapi_json_dup *d = dups; d; d = d->next)
        nd++;
    if (nd) {
        t.dups = kapi_pool_alloc(pool, nd * sizeof(*t.dups));
        for (const struct kapi_json_dup *d = dups; d; d = d->next)
            t.dups[t.ndups++] = (struct dupent){d->path, false};
        qsort(t.dups, t.ndups, sizeof(*t.dups), dup_cmp);
    }
    if (obj->type != KAPI_V_OBJECT) {
        err_kind(&t, obj, KAPI_PB_MESSAGE, msg);
    } else {
        check_object(&t, msg, obj, true);
    }
    tpath_dispose(&t.scratch);
    res->type_error = t.fatal ? t.fatal : t.saved;
    res->unknown = t.strict;
    res->nunknown = t.nstrict;
    return res->type_error ? -1 : 0;
}

const char *kapi_typed_strict_message(struct kapi_pool *pool, const struct kapi_typed_result *res)
{
    if (!res->nunknown)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "strict decoding error: ");
    for (size_t i = 0; i < res->nunknown; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_puts(&b, res->unknown[i]);
    }
    const char *r = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return r;
}
