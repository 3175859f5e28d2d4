/* codec/value: the one in-memory value model that JSON, YAML (and later
 * protobuf) decode into and encode from. Values live in a kapi_pool; objects
 * keep member insertion order (upstream's field order matters on output). */
#ifndef KAPI_VALUE_H
#define KAPI_VALUE_H

#include "../base/base.h"

enum kapi_vtype {
    KAPI_V_NULL,
    KAPI_V_BOOL,
    KAPI_V_INT,    /* integral number that fits int64 */
    KAPI_V_FLOAT,  /* any other number */
    KAPI_V_STRING,
    KAPI_V_ARRAY,
    KAPI_V_OBJECT,
};

struct kapi_value;

struct kapi_member {
    const char *key;   /* NUL-terminated; may contain no NUL */
    size_t klen;
    struct kapi_value *val;
};

struct kapi_value {
    enum kapi_vtype type;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *s; /* NUL-terminated; len excludes the NUL; may hold NULs */
            size_t len;
        } str;
        struct {
            struct kapi_value **items;
            size_t len, cap;
        } arr;
        struct {
            struct kapi_member *members;
            size_t len, cap;
        } obj;
    } u;
};

/* Constructors: all allocate from pool and never fail. */
struct kapi_value *kapi_value_null(struct kapi_pool *pool);
struct kapi_value *kapi_value_bool(struct kapi_pool *pool, bool b);
struct kapi_value *kapi_value_int(struct kapi_pool *pool, int64_t i);
struct kapi_value *kapi_value_float(struct kapi_pool *pool, double f);
struct kapi_value *kapi_value_str(struct kapi_pool *pool, const char *s);          /* copies */
struct kapi_value *kapi_value_strn(struct kapi_pool *pool, const char *s, size_t n); /* copies */
struct kapi_value *kapi_value_array(struct kapi_pool *pool);
struct kapi_value *kapi_value_object(struct kapi_pool *pool);

/* Object access. Lookups are by exact key; set replaces in place (keeping
 * the position) or appends; del returns true when a member was removed. */
struct kapi_value *kapi_obj_get(const struct kapi_value *obj, const char *key);
void kapi_obj_set(struct kapi_pool *pool, struct kapi_value *obj, const char *key, struct kapi_value *val);
bool kapi_obj_del(struct kapi_value *obj, const char *key);
/* Appends key (klen bytes, NUL-terminated) without looking for it and
 * without copying it: for builders that know their keys are new, with key
 * a literal or a string of a pool that outlives obj. */
void kapi_obj_append(struct kapi_pool *pool, struct kapi_value *obj, const char *key, size_t klen,
                     struct kapi_value *val);
/* Walks nested objects: kapi_value_path(v, "metadata", "name", NULL). */
struct kapi_value *kapi_value_path(const struct kapi_value *v, ...);
/* String content of v, or NULL when v is NULL or not a string. */
const char *kapi_value_cstr(const struct kapi_value *v);
/* Convenience: kapi_value_cstr(kapi_obj_get(obj, key)). */
const char *kapi_obj_get_str(const struct kapi_value *obj, const char *key);
/* Returns the object at key, creating an empty one (or replacing a non-object). */
struct kapi_value *kapi_obj_ensure_obj(struct kapi_pool *pool, struct kapi_value *obj, const char *key);

void kapi_arr_push(struct kapi_pool *pool, struct kapi_value *arr, struct kapi_value *val);

struct kapi_value *kapi_value_clone(struct kapi_pool *pool, const struct kapi_value *v);
/* Deep equality; objects compare as maps (member order ignored). */
bool kapi_value_equal(const struct kapi_value *a, const struct kapi_value *b);

#endif
