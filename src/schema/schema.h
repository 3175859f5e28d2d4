/* schema: the Kubernetes API type tables generated from upstream's
 * generated.proto files (types_gen.c, by tools/gen-schema.py) and lookups
 * over them: a message by proto name or by (group, version, kind), its fields
 * by JSON name or field number, plus the list/patch markers of each field.
 * The tables are static and read-only, so lookups are thread-safe. */
#ifndef KAPI_SCHEMA_H
#define KAPI_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum kapi_pb_kind {
    KAPI_PB_STRING,
    KAPI_PB_BYTES,
    KAPI_PB_BOOL,
    KAPI_PB_INT32,
    KAPI_PB_INT64,
    KAPI_PB_UINT32,
    KAPI_PB_UINT64,
    KAPI_PB_DOUBLE,
    KAPI_PB_FLOAT,
    KAPI_PB_MESSAGE,
};

/* Field flags. A map field's kind/msg describe its values; keys are strings. */
#define KAPI_SCHEMA_F_REPEATED 0x01
#define KAPI_SCHEMA_F_MAP      0x02
#define KAPI_SCHEMA_F_OPTIONAL 0x04  /* carries the +optional marker */
#define KAPI_SCHEMA_F_REQUIRED 0x08  /* carries the +required marker */
#define KAPI_SCHEMA_F_INLINE   0x10  /* embedded Go struct: in JSON its fields sit in the parent */
#define KAPI_SCHEMA_F_OMITEMPTY 0x20 /* its Go JSON tag says omitempty (tools/omitempty.txt); set only
                                      * on fields without +optional/+required */

enum kapi_schema_list_type {
    KAPI_SCHEMA_LIST_NONE,
    KAPI_SCHEMA_LIST_ATOMIC,
    KAPI_SCHEMA_LIST_SET,
    KAPI_SCHEMA_LIST_MAP,
};

/* +patchStrategy bits */
#define KAPI_SCHEMA_PATCH_MERGE       0x01
#define KAPI_SCHEMA_PATCH_RETAIN_KEYS 0x02
#define KAPI_SCHEMA_PATCH_REPLACE     0x04

/* Messages whose JSON form is not one member per field. */
enum kapi_schema_special {
    KAPI_SCHEMA_PLAIN,
    KAPI_SCHEMA_TIME,          /* RFC 3339 string, seconds precision; zero = null */
    KAPI_SCHEMA_MICROTIME,     /* RFC 3339 string, 6 fraction digits; zero = null */
    KAPI_SCHEMA_DURATION,      /* Go time.Duration string ("1h2m3s") */
    KAPI_SCHEMA_INTORSTRING,   /* int or string */
    KAPI_SCHEMA_QUANTITY,      /* its string */
    KAPI_SCHEMA_RAWEXT,        /* raw bytes are JSON (or nested "k8s\0" protobuf) */
    KAPI_SCHEMA_RAWJSON,       /* raw bytes are JSON (FieldsV1, apiextensions JSON) */
    KAPI_SCHEMA_PROPS_OR_BOOL, /* apiextensions JSONSchemaPropsOrBool */
    KAPI_SCHEMA_PROPS_OR_ARRAY,
    KAPI_SCHEMA_PROPS_OR_STRARRAY,
};

/* Message flags. */
#define KAPI_SCHEMA_M_SLICE 0x01  /* wrapper of a Go slice: JSON is its items array */

struct kapi_schema_field {
    const char *name;          /* JSON name */
    uint16_t name_len;
    uint32_t number;           /* proto field number */
    uint8_t kind;              /* enum kapi_pb_kind (of the values, for maps) */
    uint8_t flags;             /* KAPI_SCHEMA_F_* */
    uint8_t list_type;         /* enum kapi_schema_list_type */
    uint8_t patch_strategy;    /* KAPI_SCHEMA_PATCH_* */
    int32_t msg;               /* message index when kind is MESSAGE, else -1 */
    const char *patch_merge_key;  /* NULL if none */
    const char *list_map_keys;    /* comma-separated +listMapKey values, or NULL */
};

struct kapi_schema_msg {
    const char *full_name;     /* "k8s.io.api.core.v1.Pod" */
    const char *name;          /* "Pod" */
    uint16_t pkg;              /* index into kapi_schema_pkgs */
    uint16_t first_field;      /* fields are kapi_schema_fields[first_field ...] in file order */
    uint16_t nfields;
    uint32_t numidx;           /* kapi_schema_numidx[numidx + n] = field index + 1, or 0 */
    uint16_t max_number;
    uint32_t byname;           /* kapi_schema_byname[byname ...]: field indexes by JSON name */
    uint32_t bynum;            /* kapi_schema_bynum[bynum ...]: field indexes by number */
    uint8_t special;           /* enum kapi_schema_special */
    uint8_t flags;             /* KAPI_SCHEMA_M_* */
};

struct kapi_schema_pkg {
    const char *name;          /* proto package */
    const char *group;         /* API group ("" for core), NULL if not an API package */
    const char *version;
    uint16_t first_msg, nmsgs; /* messages are sorted by full name, so contiguous */
};

/* The generated tables (types_gen.c). */
extern const struct kapi_schema_pkg kapi_schema_pkgs[];
extern const size_t kapi_schema_npkgs;
extern const struct kapi_schema_msg kapi_schema_msgs[];
extern const size_t kapi_schema_nmsgs;
extern const struct kapi_schema_field kapi_schema_fields[];
extern const size_t kapi_schema_nfields;
extern const uint16_t kapi_schema_numidx[];
extern const uint16_t kapi_schema_byname[];
extern const uint16_t kapi_schema_bynum[];

/* The hash of a JSON field name that the per-message name indexes use (the
 * length and three bytes tell nearly all fields of one message apart). */
static inline uint32_t kapi_schema_name_hash(const char *s, size_t n)
{
    uint32_t h = (uint32_t)n * 0x9E3779B1u;
    if (n) {
        h ^= (uint32_t)(unsigned char)s[0];
        h ^= (uint32_t)(unsigned char)s[n - 1] << 8;
        h ^= (uint32_t)(unsigned char)s[n / 2] << 16;
    }
    h *= 0x85EBCA6Bu;
    return h ^ (h >> 15);
}

/* Message by full proto name ("k8s.io.api.apps.v1.Deployment"), or NULL. */
const struct kapi_schema_msg *kapi_schema_msg_find(const char *full_name);
/* The message named kind in group/version's package ("" is core), or NULL.
 * Kinds that live in meta/v1 (Status, DeleteOptions, WatchEvent, ...) are
 * found for any group-version that lacks its own message of that name. */
const struct kapi_schema_msg *kapi_schema_kind_find(const char *group, const char *version,
                                                    const char *kind);
/* The group and version of m's package (group NULL for non-API packages). */
const struct kapi_schema_pkg *kapi_schema_msg_pkg(const struct kapi_schema_msg *m);
/* Field i (0 <= i < m->nfields) in declaration order. */
const struct kapi_schema_field *kapi_schema_msg_field(const struct kapi_schema_msg *m, size_t i);
/* Declared field by JSON name (binary search; name need not be
 * NUL-terminated), or NULL. Inline fields answer to their proto name only. */
const struct kapi_schema_field *kapi_schema_field_by_name(const struct kapi_schema_msg *m,
                                                          const char *name, size_t len);
/* Like kapi_schema_field_by_name, but as JSON sees the object: also finds the
 * fields of inline (embedded) messages. *owner (if not NULL) receives the
 * message the field is declared in. */
const struct kapi_schema_field *kapi_schema_field_lookup(const struct kapi_schema_msg *m,
                                                         const char *name, size_t len,
                                                         const struct kapi_schema_msg **owner);
/* Field by proto number (O(1)), or NULL. */
const struct kapi_schema_field *kapi_schema_field_by_number(const struct kapi_schema_msg *m,
                                                            uint32_t number);
/* The message type of a MESSAGE field (or of a map's values), else NULL. */
/* Equality of n bytes of two names (JSON keys against field names): the
 * hot comparison of every decode and encode. Whole words, the last one
 * overlapping the previous, instead of a byte loop for the tail. */
static inline bool kapi_schema_name_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (; n > 8; a += 8, b += 8, n -= 8) {
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t p, q, r, s;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&r, a + n - 4, 4);
        memcpy(&s, b + n - 4, 4);
        return ((p ^ q) | (r ^ s)) == 0;
    }
    if (n >= 2) {
        uint16_t p, q, r, s;
        memcpy(&p, a, 2);
        memcpy(&q, b, 2);
        memcpy(&r, a + n - 2, 2);
        memcpy(&s, b + n - 2, 2);
        return ((p ^ q) | (r ^ s)) == 0;
    }
    return n == 0 || *a == *b;
}

static inline const struct kapi_schema_msg *kapi_schema_field_msg(const struct kapi_schema_field *f)
{
    return f->msg >= 0 ? &kapi_schema_msgs[f->msg] : NULL;
}

#endif
