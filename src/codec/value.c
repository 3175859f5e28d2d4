/* Implementation of src/codec/value.h. */
#include "value.h"

#include <string.h>

static struct kapi_value *mk(struct kapi_pool *pool, enum kapi_vtype t)
{
    struct kapi_value *v = kapi_pool_calloc(pool, sizeof(*v));
    v->type = t;
    return v;
}

struct kapi_value *kapi_value_null(struct kapi_pool *pool) { return mk(pool, KAPI_V_NULL); }

struct kapi_value *kapi_value_bool(struct kapi_pool *pool, bool b)
{
    struct kapi_value *v = mk(pool, KAPI_V_BOOL);
    v->u.b = b;
    return v;
}

struct kapi_value *kapi_value_int(struct kapi_pool *pool, int64_t i)
{
    struct kapi_value *v = mk(pool, KAPI_V_INT);
    v->u.i = i;
    return v;
}

struct kapi_value *kapi_value_float(struct kapi_pool *pool, double f)
{
    struct kapi_value *v = mk(pool, KAPI_V_FLOAT);
    v->u.f = f;
    return v;
}

struct kapi_value *kapi_value_strn(struct kapi_pool *pool, const char *s, size_t n)
{
    struct kapi_value *v = mk(pool, KAPI_V_STRING);
    v->u.str.s = kapi_pool_strndup(pool, s, n);
    v->u.str.len = n;
    return v;
}

struct kapi_value *kapi_value_str(struct kapi_pool *pool, const char *s)
{
    return kapi_value_strn(pool, s, strlen(s));
}

struct kapi_value *kapi_value_array(struct kapi_pool *pool) { return mk(pool, KAPI_V_ARRAY); }
struct kapi_value *kapi_value_object(struct kapi_pool *pool) { return mk(pool, KAPI_V_OBJECT); }

/* The first member of obj called key (kl bytes), or NULL. The first byte is
 * tested inline: most members of the same length differ there. */
static inline struct kapi_member *member_find(const struct kapi_value *obj, const char *key, size_t kl)
{
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        struct kapi_member *m = &obj->u.obj.members[i];
        if (m->klen == kl && (kl == 0 || m->key[0] == key[0]) && memcmp(m->key, key, kl) == 0)
            return m;
    }
    return NULL;
}

struct kapi_value *kapi_obj_get(const struct kapi_value *obj, const char *key)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return NULL;
    const struct kapi_member *m = member_find(obj, key, strlen(key));
    return m ? m->val : NULL;
}

static struct kapi_member *member_new(struct kapi_pool *pool, struct kapi_value *obj)
{
    if (obj->u.obj.len == obj->u.obj.cap) {
        size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
        struct kapi_member *nm = kapi_pool_alloc(pool, cap * sizeof(*nm));
        if (obj->u.obj.len)
            memcpy(nm, obj->u.obj.members, obj->u.obj.len * sizeof(*nm));
        obj->u.obj.members = nm;
        obj->u.obj.cap = cap;
    }
    return &obj->u.obj.members[obj->u.obj.len++];
}

void kapi_obj_set(struct kapi_pool *pool, struct kapi_value *obj, const char *key, struct kapi_value *val)
{
    size_t kl = strlen(key);
    struct kapi_member *found = member_find(obj, key, kl);
    if (found) {
        found->val = val;
        return;
    }
    struct kapi_member *m = member_new(pool, obj);
    m->key = kapi_pool_strndup(pool, key, kl);
    m->klen = kl;
    m->val = val;
}

void kapi_obj_append(struct kapi_pool *pool, struct kapi_value *obj, const char *key, size_t klen,
                     struct kapi_value *val)
{
    struct kapi_member *m = member_new(pool, obj);
    m->key = key;
    m->klen = klen;
    m->val = val;
}

bool kapi_obj_del(struct kapi_value *obj, const char *key)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return false;
    struct kapi_member *m = member_find(obj, key, strlen(key));
    if (!m)
        return false;
    size_t i = (size_t)(m - obj->u.obj.members);
    memmove(m, m + 1, (obj->u.obj.len - i - 1) * sizeof(*m));
    obj->u.obj.len--;
    return true;
}

struct kapi_value *kapi_value_path(const struct kapi_value *v, ...)
{
    va_list ap;
    va_start(ap, v);
    const char *k;
    struct kapi_value *cur = (struct kapi_value *)v;
    while (cur && (k = va_arg(ap, const char *)) != NULL)
        cur = kapi_obj_get(cur, k);
    va_end(ap);
    return cur;
}

const char *kapi_value_cstr(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_STRING ? v->u.str.s : NULL;
}

const char *kapi_obj_get_str(const struct kapi_value *obj, const char *key)
{
    return kapi_value_cstr(kapi_obj_get(obj, key));
}

struct kapi_value *kapi_obj_ensure_obj(struct kapi_pool *pool, struct kapi_value *obj, const char *key)
{
    struct kapi_value *v = kapi_obj_get(obj, key);
    if (v && v->type == KAPI_V_OBJECT)
        return v;
    v = kapi_value_object(pool);
    kapi_obj_set(pool, obj, key, v);
    return v;
}

void kapi_arr_push(struct kapi_pool *pool, struct kapi_value *arr, struct kapi_value *val)
{
    if (arr->u.arr.len == arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 8;
        struct kapi_value **ni = kapi_pool_alloc(pool, cap * sizeof(*ni));
        if (arr->u.arr.len)
            memcpy(ni, arr->u.arr.items, arr->u.arr.len * sizeof(*ni));
        arr->u.arr.items = ni;
        arr->u.arr.cap = cap;
    }
    arr->u.arr.items[arr->u.arr.len++] = val;
}

struct kapi_value *kapi_value_clone(struct kapi_pool *pool, const struct kapi_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case KAPI_V_STRING:
        return kapi_value_strn(pool, v->u.str.s, v->u.str.len);
    case KAPI_V_ARRAY: {
        struct kapi_value *a = kapi_value_array(pool);
        for (size_t i = 0; i < v->u.arr.len; i++)
            kapi_arr_push(pool, a, kapi_value_clone(pool, v->u.arr.items[i]));
        return a;
    }
    case KAPI_V_OBJECT: {
        struct kapi_value *o = kapi_value_object(pool);
        o->u.obj.cap = o->u.obj.len = v->u.obj.len;
        o->u.obj.members = kapi_pool_alloc(pool, (v->u.obj.len ? v->u.obj.len : 1) * sizeof(struct kapi_member));
        for (size_t i = 0; i < v->u.obj.len; i++) {
            o->u.obj.members[i].key = kapi_pool_strndup(pool, v->u.obj.members[i].key, v->u.obj.members[i].klen);
            o->u.obj.members[i].klen = v->u.obj.members[i].klen;
            o->u.obj.members[i].val = kapi_value_clone(pool, v->u.obj.members[i].val);
        }
        return o;
    }
    default: {
        struct kapi_value *c = kapi_pool_alloc(pool, sizeof(*c));
        *c = *v;
        return c;
    }
    }
}

bool kapi_value_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type) {
        if ((a->type == KAPI_V_INT && b->type == KAPI_V_FLOAT))
            return (double)a->u.i == b->u.f;
        if ((a->type == KAPI_V_FLOAT && b->type == KAPI_V_INT))
            return a->u.f == (double)b->u.i;
        return false;
    }
    switch (a->type) {
    case KAPI_V_NULL:
        return true;
    case KAPI_V_BOOL:
        return a->u.b == b->u.b;
    case KAPI_V_INT:
        return a->u.i == b->u.i;
    case KAPI_V_FLOAT:
        return a->u.f == b->u.f;
    case KAPI_V_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case KAPI_V_ARRAY:
        if (a->u.arr.len != b->u.arr.len)
            return false;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!kapi_value_equal(a->u.arr.items[i], b->u.arr.items[i]))
                return false;
        return true;
    case KAPI_V_OBJECT:
        if (a->u.obj.len != b->u.obj.len)
            return false;
        for (size_t i = 0; i < a->u.obj.len; i++) {
            const struct kapi_member *m = &a->u.obj.members[i];
            struct kapi_value *bv = NULL;
            for (size_t j = 0; j < b->u.obj.len; j++) {
                const struct kapi_member *n = &b->u.obj.members[j];
                if (n->klen == m->klen && memcmp(n->key, m->key, m->klen) == 0) {
                    bv = n->val;
                    break;
                }
            }
            if (!bv || !kapi_value_equal(m->val, bv))
                return false;
        }
        return true;
    }
    return false;
}
