/* apply/fieldset: path elements, sets of field paths and their FieldsV1 JSON
 * form, with the orderings and texts of structured-merge-diff's fieldpath
 * package (element order field < key < value < index; values ordered
 * float/int < string < bool < list < map < null; "." written first for a
 * node that is itself a member; key fields sorted by name). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/names.h"
#include "../codec/json.h"
#include "ssa_int.h"

/* ------------------------------------------------------------------ */
/* value ordering and equality (SMD's value.Compare / value.Equals)    */

static int fcmp(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static int member_ptr_cmp(const void *x, const void *y)
{
    const struct kapi_member *a = *(const struct kapi_member *const *)x;
    const struct kapi_member *b = *(const struct kapi_member *const *)y;
    return bytes_cmp(a->key, a->klen, b->key, b->klen);
}

static int vcmp_depth(const struct kapi_value *a, const struct kapi_value *b, int depth);

/* Maps compare key by key in lexical key order, a missing key sorting after
 * a present one, then by size. */
static int map_cmp(const struct kapi_value *a, const struct kapi_value *b, int depth)
{
    size_t al = a->u.obj.len, bl = b->u.obj.len;
    if (al == 0 && bl == 0)
        return 0;
    const struct kapi_member **am = kapi_xmalloc((al + 1) * sizeof(*am));
    const struct kapi_member **bm = kapi_xmalloc((bl + 1) * sizeof(*bm));
    for (size_t i = 0; i < al; i++)
        am[i] = &a->u.obj.members[i];
    for (size_t i = 0; i < bl; i++)
        bm[i] = &b->u.obj.members[i];
    qsort(am, al, sizeof(*am), member_ptr_cmp);
    qsort(bm, bl, sizeof(*bm), member_ptr_cmp);
    size_t i = 0, j = 0, k = 0;
    int c = 0;
    while (i < al || j < bl) {
        const struct kapi_value *lv = NULL, *rv = NULL;
        if (i < al && j < bl) {
            int kc = bytes_cmp(am[i]->key, am[i]->klen, bm[j]->key, bm[j]->klen);
            if (kc == 0) {
                lv = am[i++]->val;
                rv = bm[j++]->val;
            } else if (kc < 0) {
                lv = am[i++]->val;
            } else {
                rv = bm[j++]->val;
            }
        } else if (i < al) {
            lv = am[i++]->val;
        } else {
            rv = bm[j++]->val;
        }
        if (k == al)
            c = -1;
        else if (k == bl)
            c = 1;
        else if (!lv)
            c = 1;
        else if (!rv)
            c = -1;
        else
            c = vcmp_depth(lv, rv, depth + 1);
        k++;
        if (c)
            break;
    }
    free(am);
    free(bm);
    return c;
}

static int vcmp_depth(const struct kapi_value *a, const struct kapi_value *b, int depth)
{
    if (depth > SSA_MAX_DEPTH)
        return 0;
    enum kapi_vtype at = a->type, bt = b->type;
    if (at == KAPI_V_FLOAT) {
        if (bt == KAPI_V_FLOAT)
            return fcmp(a->u.f, b->u.f);
        if (bt == KAPI_V_INT)
            return fcmp(a->u.f, (double)b->u.i);
        return -1;
    } else if (bt == KAPI_V_FLOAT) {
        if (at == KAPI_V_INT)
            return fcmp((double)a->u.i, b->u.f);
        return 1;
    }
    if (at == KAPI_V_INT) {
        if (bt != KAPI_V_INT)
            return -1;
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i ? 1 : 0;
    } else if (bt == KAPI_V_INT) {
        return 1;
    }
    if (at == KAPI_V_STRING) {
        if (bt != KAPI_V_STRING)
            return -1;
        return bytes_cmp(a->u.str.s, a->u.str.len, b->u.str.s, b->u.str.len);
    } else if (bt == KAPI_V_STRING) {
        return 1;
    }
    if (at == KAPI_V_BOOL) {
        if (bt != KAPI_V_BOOL)
            return -1;
        return a->u.b == b->u.b ? 0 : a->u.b ? 1 : -1;
    } else if (bt == KAPI_V_BOOL) {
        return 1;
    }
    if (at == KAPI_V_ARRAY) {
        if (bt != KAPI_V_ARRAY)
            return -1;
        for (size_t i = 0;; i++) {
            if (i >= a->u.arr.len && i >= b->u.arr.len)
                return 0;
            if (i >= a->u.arr.len)
                return -1;
            if (i >= b->u.arr.len)
                return 1;
            int c = vcmp_depth(a->u.arr.items[i], b->u.arr.items[i], depth + 1);
            if (c)
                return c;
        }
    } else if (bt == KAPI_V_ARRAY) {
        return 1;
    }
    if (at == KAPI_V_OBJECT) {
        if (bt != KAPI_V_OBJECT)
            return -1;
        return map_cmp(a, b, depth);
    } else if (bt == KAPI_V_OBJECT) {
        return 1;
    }
    return 0; /* both null */
}

int ssa_vcmp(const struct kapi_value *a, const struct kapi_value *b)
{
    return vcmp_depth(a, b, 0);
}

static bool veq_depth(const struct kapi_value *a, const struct kapi_value *b, int depth)
{
    if (depth > SSA_MAX_DEPTH)
        return true;
    if (a->type == KAPI_V_FLOAT || b->type == KAPI_V_FLOAT) {
        double x, y;
        if (a->type == KAPI_V_FLOAT)
            x = a->u.f;
        else if (a->type == KAPI_V_INT)
            x = (double)a->u.i;
        else
            return false;
        if (b->type == KAPI_V_FLOAT)
            y = b->u.f;
        else if (b->type == KAPI_V_INT)
            y = (double)b->u.i;
        else
            return false;
        return x == y;
    }
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KAPI_V_NULL:
        return true;
    case KAPI_V_BOOL:
        return a->u.b == b->u.b;
    case KAPI_V_INT:
        return a->u.i == b->u.i;
    case KAPI_V_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case KAPI_V_ARRAY:
        if (a->u.arr.len != b->u.arr.len)
            return false;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!veq_depth(a->u.arr.items[i], b->u.arr.items[i], depth + 1))
                return false;
        return true;
    case KAPI_V_OBJECT:
        if (a->u.obj.len != b->u.obj.len)
            return false;
        for (size_t i = 0; i < a->u.obj.len; i++) {
            const struct kapi_member *m = &a->u.obj.members[i];
            const struct kapi_value *o = NULL;
            for (size_t j = 0; j < b->u.obj.len; j++) {
                const struct kapi_member *n = &b->u.obj.members[j];
                if (n->klen == m->klen && memcmp(n->key, m->key, m->klen) == 0) {
                    o = n->val;
                    break;
                }
            }
            if (!o || !veq_depth(m->val, o, depth + 1))
                return false;
        }
        return true;
    default:
        return false;
    }
}

bool ssa_veq(const struct kapi_value *a, const struct kapi_value *b)
{
    return veq_depth(a, b, 0);
}

/* ------------------------------------------------------------------ */
/* path elements                                                       */

int ssa_pe_cmp(const struct ssa_pe *a, const struct ssa_pe *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case PE_FIELD:
        return bytes_cmp(a->name, a->nlen, b->name, b->nlen);
    case PE_KEY:
        for (size_t i = 0;; i++) {
            if (i >= a->nkeys && i >= b->nkeys)
                return 0;
            if (i >= a->nkeys)
                return -1;
            if (i >= b->nkeys)
                return 1;
            int c = bytes_cmp(a->keys[i].name, a->keys[i].nlen, b->keys[i].name, b->keys[i].nlen);
            if (c)
                return c;
            c = ssa_vcmp(a->keys[i].val, b->keys[i].val);
            if (c)
                return c;
        }
    case PE_VALUE:
        return ssa_vcmp(a->val, b->val);
    case PE_INDEX:
        return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
    }
    return 0;
}

/* Go's %v of a float64: shortest round-trip digits, %e form when the
 * exponent is < -4 or >= 6 (strconv's %g with shortest precision). */
static void go_float_v(struct kapi_buf *b, double f)
{
    if (isnan(f)) {
        kapi_buf_puts(b, "NaN");
        return;
    }
    if (isinf(f)) {
        kapi_buf_puts(b, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    char *e = strchr(buf, 'e');
    int exp = e ? atoi(e + 1) : 0;
    if (exp < -4 || exp >= 6) {
        /* mantissa without trailing zeros, exponent with at least 2 digits */
        char mant[40];
        size_t ml = e ? (size_t)(e - buf) : strlen(buf);
        if (ml >= sizeof(mant))
            ml = sizeof(mant) - 1;
        memcpy(mant, buf, ml);
        mant[ml] = 0;
        if (strchr(mant, '.')) {
            while (ml > 0 && mant[ml - 1] == '0')
                mant[--ml] = 0;
            if (ml > 0 && mant[ml - 1] == '.')
                mant[--ml] = 0;
        }
        kapi_buf_printf(b, "%se%c%02d", mant, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    int digits_after = prec - 1 - exp;
    if (digits_after < 0)
        digits_after = 0;
    kapi_buf_printf(b, "%.*f", digits_after, f);
}

/* SMD's value.ToString. */
static void value_string(struct kapi_buf *b, const struct kapi_value *v, int depth)
{
    if (depth > 32) {
        kapi_buf_puts(b, "...");
        return;
    }
    switch (v->type) {
    case KAPI_V_NULL:
        kapi_buf_puts(b, "null");
        break;
    case KAPI_V_FLOAT:
        go_float_v(b, v->u.f);
        break;
    case KAPI_V_INT:
        kapi_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case KAPI_V_STRING:
        kapi_go_quote_buf(b, v->u.str.s, v->u.str.len);
        break;
    case KAPI_V_BOOL:
        kapi_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case KAPI_V_ARRAY:
        kapi_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.arr.len; i++) {
            if (i)
                kapi_buf_putc(b, ',');
            value_string(b, v->u.arr.items[i], depth + 1);
        }
        kapi_buf_putc(b, ']');
        break;
    case KAPI_V_OBJECT:
        for (size_t i = 0; i < v->u.obj.len; i++) {
            kapi_buf_append(b, v->u.obj.members[i].key, v->u.obj.members[i].klen);
            kapi_buf_putc(b, '=');
            value_string(b, v->u.obj.members[i].val, depth + 1);
        }
        break;
    }
}

void ssa_pe_string(struct kapi_buf *b, const struct ssa_pe *pe)
{
    switch (pe->kind) {
    case PE_FIELD:
        kapi_buf_putc(b, '.');
        kapi_buf_append(b, pe->name, pe->nlen);
        break;
    case PE_KEY:
        kapi_buf_putc(b, '[');
        for (size_t i = 0; i < pe->nkeys; i++) {
            if (i)
                kapi_buf_putc(b, ',');
            kapi_buf_append(b, pe->keys[i].name, pe->keys[i].nlen);
            kapi_buf_putc(b, '=');
            value_string(b, pe->keys[i].val, 0);
        }
        kapi_buf_putc(b, ']');
        break;
    case PE_VALUE:
        kapi_buf_puts(b, "[=");
        value_string(b, pe->val, 0);
        kapi_buf_putc(b, ']');
        break;
    case PE_INDEX:
        kapi_buf_printf(b, "[%lld]", (long long)pe->index);
        break;
    }
}

char *ssa_path_string(struct kapi_pool *pool, const struct ssa_pe *path, size_t n)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++)
        ssa_pe_string(&b, &path[i]);
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

char *ssa_pe_serialize(struct kapi_pool *pool, const struct ssa_pe *pe)
{
    if (pe->kind == PE_FIELD) {
        char *s = kapi_pool_alloc(pool, pe->nlen + 3);
        s[0] = 'f';
        s[1] = ':';
        memcpy(s + 2, pe->name, pe->nlen);
        s[pe->nlen + 2] = 0;
        return s;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    switch (pe->kind) {
    case PE_FIELD:
        kapi_buf_puts(&b, "f:");
        kapi_buf_append(&b, pe->name, pe->nlen);
        break;
    case PE_KEY:
        kapi_buf_puts(&b, "k:{");
        for (size_t i = 0; i < pe->nkeys; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            kapi_json_write_string(&b, pe->keys[i].name, pe->keys[i].nlen);
            kapi_buf_putc(&b, ':');
            kapi_json_write(&b, pe->keys[i].val);
        }
        kapi_buf_putc(&b, '}');
        break;
    case PE_VALUE:
        kapi_buf_puts(&b, "v:");
        kapi_json_write(&b, pe->val);
        break;
    case PE_INDEX:
        kapi_buf_printf(&b, "i:%lld", (long long)pe->index);
        break;
    }
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

/* ------------------------------------------------------------------ */
/* sets                                                                */

struct ssa_set *ssa_set_new(struct kapi_pool *pool)
{
    return kapi_pool_calloc(pool, sizeof(struct ssa_set));
}

static size_t mem_find(const struct ssa_set *s, const struct ssa_pe *pe, bool *found)
{
    size_t lo = 0, hi = s->nmem;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ssa_pe_cmp(&s->mem[mid], pe);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static size_t ch_find(const struct ssa_set *s, const struct ssa_pe *pe, bool *found)
{
    size_t lo = 0, hi = s->nch;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ssa_pe_cmp(&s->ch[mid].pe, pe);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void mem_insert(struct kapi_pool *pool, struct ssa_set *s, const struct ssa_pe *pe)
{
    bool found;
    size_t at = mem_find(s, pe, &found);
    if (found)
        return;
    if (s->nmem == s->capm) {
        size_t cap = s->capm ? s->capm * 2 : 4;
        struct ssa_pe *n = kapi_pool_alloc(pool, cap * sizeof(*n));
        if (s->nmem)
            memcpy(n, s->mem, s->nmem * sizeof(*n));
        s->mem = n;
        s->capm = cap;
    }
    memmove(&s->mem[at + 1], &s->mem[at], (s->nmem - at) * sizeof(*s->mem));
    s->mem[at] = *pe;
    s->nmem++;
}

static struct ssa_set *ch_descend(struct kapi_pool *pool, struct ssa_set *s, const struct ssa_pe *pe)
{
    bool found;
    size_t at = ch_find(s, pe, &found);
    if (found)
        return s->ch[at].set;
    if (s->nch == s->capc) {
        size_t cap = s->capc ? s->capc * 2 : 4;
        struct ssa_child *n = kapi_pool_alloc(pool, cap * sizeof(*n));
        if (s->nch)
            memcpy(n, s->ch, s->nch * sizeof(*n));
        s->ch = n;
        s->capc = cap;
    }
    memmove(&s->ch[at + 1], &s->ch[at], (s->nch - at) * sizeof(*s->ch));
    s->ch[at].pe = *pe;
    s->ch[at].set = ssa_set_new(pool);
    s->nch++;
    return s->ch[at].set;
}

void ssa_set_insert(struct kapi_pool *pool, struct ssa_set *s, const struct ssa_pe *path, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i + 1 < n; i++)
        s = ch_descend(pool, s, &path[i]);
    mem_insert(pool, s, &path[n - 1]);
}

bool ssa_set_has_member(const struct ssa_set *s, const struct ssa_pe *pe)
{
    bool found;
    if (!s)
        return false;
    mem_find(s, pe, &found);
    return found;
}

const struct ssa_set *ssa_set_child(const struct ssa_set *s, const struct ssa_pe *pe)
{
    bool found;
    if (!s)
        return NULL;
    size_t at = ch_find(s, pe, &found);
    return found ? s->ch[at].set : NULL;
}

bool ssa_set_has(const struct ssa_set *s, const struct ssa_pe *path, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i + 1 < n && s; i++)
        s = ssa_set_child(s, &path[i]);
    return ssa_set_has_member(s, &path[n - 1]);
}

bool ssa_set_empty(const struct ssa_set *s)
{
    if (!s)
        return true;
    if (s->nmem)
        return false;
    for (size_t i = 0; i < s->nch; i++)
        if (!ssa_set_empty(s->ch[i].set))
            return false;
    return true;
}

size_t ssa_set_count(const struct ssa_set *s)
{
    if (!s)
        return 0;
    size_t n = s->nmem;
    for (size_t i = 0; i < s->nch; i++)
        n += ssa_set_count(s->ch[i].set);
    return n;
}

static const struct ssa_set EMPTY;

static struct ssa_set *set_alloc(struct kapi_pool *pool, size_t nmem, size_t nch)
{
    struct ssa_set *o = ssa_set_new(pool);
    if (nmem) {
        o->mem = kapi_pool_alloc(pool, nmem * sizeof(*o->mem));
        o->capm = nmem;
    }
    if (nch) {
        o->ch = kapi_pool_alloc(pool, nch * sizeof(*o->ch));
        o->capc = nch;
    }
    return o;
}

struct ssa_set *ssa_set_union(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b)
{
    if (!a)
        a = &EMPTY;
    if (!b)
        b = &EMPTY;
    struct ssa_set *o = set_alloc(pool, a->nmem + b->nmem, a->nch + b->nch);
    size_t i = 0, j = 0;
    while (i < a->nmem || j < b->nmem) {
        int c = i >= a->nmem ? 1 : j >= b->nmem ? -1 : ssa_pe_cmp(&a->mem[i], &b->mem[j]);
        if (c < 0)
            o->mem[o->nmem++] = a->mem[i++];
        else if (c > 0)
            o->mem[o->nmem++] = b->mem[j++];
        else {
            o->mem[o->nmem++] = a->mem[i++];
            j++;
        }
    }
    i = j = 0;
    while (i < a->nch || j < b->nch) {
        int c = i >= a->nch ? 1 : j >= b->nch ? -1 : ssa_pe_cmp(&a->ch[i].pe, &b->ch[j].pe);
        if (c < 0)
            o->ch[o->nch++] = a->ch[i++];
        else if (c > 0)
            o->ch[o->nch++] = b->ch[j++];
        else {
            o->ch[o->nch].pe = a->ch[i].pe;
            o->ch[o->nch++].set = ssa_set_union(pool, a->ch[i].set, b->ch[j].set);
            i++;
            j++;
        }
    }
    return o;
}

struct ssa_set *ssa_set_diff(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b)
{
    if (!a)
        a = &EMPTY;
    if (!b)
        b = &EMPTY;
    struct ssa_set *o = set_alloc(pool, a->nmem, a->nch);
    size_t j = 0;
    for (size_t i = 0; i < a->nmem; i++) {
        while (j < b->nmem && ssa_pe_cmp(&b->mem[j], &a->mem[i]) < 0)
            j++;
        if (j < b->nmem && ssa_pe_cmp(&b->mem[j], &a->mem[i]) == 0)
            continue;
        o->mem[o->nmem++] = a->mem[i];
    }
    for (size_t i = 0; i < a->nch; i++) {
        const struct ssa_set *bc = ssa_set_child(b, &a->ch[i].pe);
        if (!bc) {
            o->ch[o->nch++] = a->ch[i];
            continue;
        }
        struct ssa_set *d = ssa_set_diff(pool, a->ch[i].set, bc);
        if (!ssa_set_empty(d)) {
            o->ch[o->nch].pe = a->ch[i].pe;
            o->ch[o->nch++].set = d;
        }
    }
    return o;
}

struct ssa_set *ssa_set_rdiff(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b)
{
    if (!a)
        a = &EMPTY;
    if (!b)
        b = &EMPTY;
    struct ssa_set *o = set_alloc(pool, a->nmem, a->nch);
    for (size_t i = 0; i < a->nmem; i++)
        if (!ssa_set_has_member(b, &a->mem[i]))
            o->mem[o->nmem++] = a->mem[i];
    for (size_t i = 0; i < a->nch; i++) {
        if (ssa_set_has_member(b, &a->ch[i].pe))
            continue;
        const struct ssa_set *bc = ssa_set_child(b, &a->ch[i].pe);
        if (!bc) {
            o->ch[o->nch++] = a->ch[i];
            continue;
        }
        struct ssa_set *d = ssa_set_rdiff(pool, a->ch[i].set, bc);
        if (!ssa_set_empty(d)) {
            o->ch[o->nch].pe = a->ch[i].pe;
            o->ch[o->nch++].set = d;
        }
    }
    return o;
}

struct ssa_set *ssa_set_inter(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b)
{
    if (!a)
        a = &EMPTY;
    if (!b)
        b = &EMPTY;
    struct ssa_set *o = set_alloc(pool, a->nmem, a->nch);
    for (size_t i = 0; i < a->nmem; i++)
        if (ssa_set_has_member(b, &a->mem[i]))
            o->mem[o->nmem++] = a->mem[i];
    for (size_t i = 0; i < a->nch; i++) {
        const struct ssa_set *bc = ssa_set_child(b, &a->ch[i].pe);
        if (!bc)
            continue;
        struct ssa_set *d = ssa_set_inter(pool, a->ch[i].set, bc);
        if (!ssa_set_empty(d)) {
            o->ch[o->nch].pe = a->ch[i].pe;
            o->ch[o->nch++].set = d;
        }
    }
    return o;
}

struct iter_state {
    struct ssa_pe *path;
    size_t cap;
    ssa_iter_fn fn;
    void *ctx;
};

static void iterate_rec(const struct ssa_set *s, struct iter_state *st, size_t depth)
{
    if (depth + 1 > st->cap) {
        st->cap = (depth + 1) * 2;
        st->path = kapi_xrealloc(st->path, st->cap * sizeof(*st->path));
    }
    for (size_t i = 0; i < s->nmem; i++) {
        st->path[depth] = s->mem[i];
        st->fn(st->ctx, st->path, depth + 1);
    }
    for (size_t i = 0; i < s->nch; i++) {
        if (depth + 1 > st->cap) {
            st->cap = (depth + 1) * 2;
            st->path = kapi_xrealloc(st->path, st->cap * sizeof(*st->path));
        }
        st->path[depth] = s->ch[i].pe;
        iterate_rec(s->ch[i].set, st, depth + 1);
    }
}

void ssa_set_iterate(const struct ssa_set *s, ssa_iter_fn fn, void *ctx)
{
    if (!s)
        return;
    struct iter_state st = {.fn = fn, .ctx = ctx};
    iterate_rec(s, &st, 0);
    free(st.path);
}

/* ------------------------------------------------------------------ */
/* FieldsV1                                                            */

/* Adds the member for pe. Field names are distinct, so their keys (which
 * no other kind's key can equal) are new and appended as they are; the
 * other kinds go through kapi_obj_set, which keeps the first position of a
 * key met twice. */
static void emit_member(struct kapi_pool *pool, struct kapi_value *o, const struct ssa_pe *pe,
                        struct kapi_value *val)
{
    char *k = ssa_pe_serialize(pool, pe);
    if (pe->kind == PE_FIELD)
        kapi_obj_append(pool, o, k, pe->nlen + 2, val);
    else
        kapi_obj_set(pool, o, k, val);
}

static struct kapi_value *emit(struct kapi_pool *pool, const struct ssa_set *s, bool self)
{
    struct kapi_value *o = kapi_value_object(pool);
    if (!s)
        return o;
    if (self && (s->nmem || s->nch))
        kapi_obj_append(pool, o, ".", 1, kapi_value_object(pool));
    size_t i = 0, j = 0;
    while (i < s->nmem || j < s->nch) {
        int c = i >= s->nmem ? 1 : j >= s->nch ? -1 : ssa_pe_cmp(&s->mem[i], &s->ch[j].pe);
        if (c < 0) {
            emit_member(pool, o, &s->mem[i], kapi_value_object(pool));
            i++;
        } else {
            emit_member(pool, o, &s->ch[j].pe, emit(pool, s->ch[j].set, c == 0));
            if (c == 0)
                i++;
            j++;
        }
    }
    return o;
}

struct kapi_value *ssa_set_to_value(struct kapi_pool *pool, const struct ssa_set *s)
{
    return emit(pool, s, false);
}

static int kv_cmp(const void *x, const void *y)
{
    const struct ssa_kv *a = x, *b = y;
    return bytes_cmp(a->name, a->nlen, b->name, b->nlen);
}

/* Parses one FieldsV1 key. Returns 1 for an element, 0 for an unknown kind
 * (skipped, as upstream), -1 with *err on malformed text. */
static int pe_parse(struct kapi_pool *pool, const char *k, size_t len, struct ssa_pe *pe, const char **err)
{
    memset(pe, 0, sizeof(*pe));
    if (len < 2) {
        *err = "key must be 2 characters long:";
        return -1;
    }
    if (k[1] != ':') {
        *err = kapi_pool_printf(pool, "missing colon: %.*s", (int)(len > 200 ? 200 : len), k);
        return -1;
    }
    const char *body = k + 2;
    size_t bl = len - 2;
    struct kapi_json_error je;
    struct kapi_json_opts jo = {.max_depth = 64};
    switch (k[0]) {
    case 'f':
        pe->kind = PE_FIELD;
        pe->name = body;
        pe->nlen = bl;
        return 1;
    case 'v': {
        struct kapi_value *v = kapi_json_parse(pool, body, bl, &jo, &je);
        if (!v) {
            *err = kapi_pool_printf(pool, "parsing value path element: %s", je.msg);
            return -1;
        }
        pe->kind = PE_VALUE;
        pe->val = v;
        return 1;
    }
    case 'k': {
        struct kapi_value *v = kapi_json_parse(pool, body, bl, &jo, &je);
        if (!v || v->type != KAPI_V_OBJECT) {
            *err = v ? "ReadObjectCB: expect { or n, but found something else"
                     : kapi_pool_printf(pool, "parsing key path element: %s", je.msg);
            return -1;
        }
        size_t n = v->u.obj.len;
        struct ssa_kv *kv = kapi_pool_alloc(pool, (n ? n : 1) * sizeof(*kv));
        for (size_t i = 0; i < n; i++) {
            kv[i].name = v->u.obj.members[i].key;
            kv[i].nlen = v->u.obj.members[i].klen;
            kv[i].val = v->u.obj.members[i].val;
        }
        qsort(kv, n, sizeof(*kv), kv_cmp);
        pe->kind = PE_KEY;
        pe->keys = kv;
        pe->nkeys = n;
        return 1;
    }
    case 'i': {
        /* strconv.Atoi: optional sign, decimal digits, int64 range */
        const char *p = body;
        size_t i = 0;
        bool neg = false;
        if (i < bl && (p[i] == '+' || p[i] == '-')) {
            neg = p[i] == '-';
            i++;
        }
        if (i == bl) {
            *err = kapi_pool_printf(pool, "strconv.Atoi: parsing %s: invalid syntax",
                                    kapi_go_quote(pool, body, bl > 100 ? 100 : bl));
            return -1;
        }
        uint64_t val = 0;
        for (; i < bl; i++) {
            if (p[i] < '0' || p[i] > '9') {
                *err = kapi_pool_printf(pool, "strconv.Atoi: parsing %s: invalid syntax",
                                        kapi_go_quote(pool, body, bl > 100 ? 100 : bl));
                return -1;
            }
            if (val > (UINT64_C(1) << 63) / 10) {
                *err = kapi_pool_printf(pool, "strconv.Atoi: parsing %s: value out of range",
                                        kapi_go_quote(pool, body, bl > 100 ? 100 : bl));
                return -1;
            }
            val = val * 10 + (uint64_t)(p[i] - '0');
        }
        if (val > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
            *err = kapi_pool_printf(pool, "strconv.Atoi: parsing %s: value out of range",
                                    kapi_go_quote(pool, body, bl > 100 ? 100 : bl));
            return -1;
        }
        pe->kind = PE_INDEX;
        pe->index = neg ? (int64_t)(0 - val) : (int64_t)val;
        return 1;
    }
    default:
        return 0;
    }
}

/* Returns the children set (NULL when none) and whether the node is a member. */
static struct ssa_set *read_node(struct kapi_pool *pool, const struct kapi_value *v, bool *is_member,
                                 int depth, const char **err)
{
    *is_member = false;
    if (*err)
        return NULL;
    if (depth > SSA_MAX_DEPTH) {
        *err = "fields are nested too deeply";
        return NULL;
    }
    if (v->type == KAPI_V_NULL) {
        *is_member = true;
        return NULL;
    }
    if (v->type != KAPI_V_OBJECT) {
        *err = "ReadMapCB: expect { or n, but found something else";
        return NULL;
    }
    struct ssa_set *children = NULL;
    for (size_t i = 0; i < v->u.obj.len; i++) {
        const struct kapi_member *m = &v->u.obj.members[i];
        if (m->klen == 1 && m->key[0] == '.') {
            *is_member = true;
            continue;
        }
        struct ssa_pe pe;
        int r = pe_parse(pool, m->key, m->klen, &pe, err);
        if (r < 0)
            return NULL;
        if (r == 0)
            continue;
        bool child_member;
        struct ssa_set *gc = read_node(pool, m->val, &child_member, depth + 1, err);
        if (*err)
            return NULL;
        if (child_member) {
            if (!children)
                children = ssa_set_new(pool);
            mem_insert(pool, children, &pe);
        }
        if (gc) {
            if (!children)
                children = ssa_set_new(pool);
            struct ssa_set *slot = ch_descend(pool, children, &pe);
            *slot = *gc;
        }
    }
    if (!children)
        *is_member = true;
    return children;
}

struct ssa_set *ssa_set_from_value(struct kapi_pool *pool, const struct kapi_value *v, const char **err)
{
    *err = NULL;
    if (!v)
        return ssa_set_new(pool);
    bool member;
    struct ssa_set *s = read_node(pool, v, &member, 0, err);
    if (*err)
        return NULL;
    return s ? s : ssa_set_new(pool);
}
