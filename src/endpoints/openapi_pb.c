/* Implementation of src/endpoints/openapi_pb.h.
 *
 * Field numbers follow openapiv2/OpenAPIv2.proto of google/gnostic. Fields
 * are written in ascending number order, as Go's marshaller does, so the
 * bytes are deterministic. Proto3 rules: zero scalars are omitted, except
 * inside a oneof (where presence is the point, e.g.
 * additionalProperties: false). Nested messages are written in place and
 * their length prefix inserted afterwards, which avoids a sizing pass. */
#include "openapi_pb.h"

#include <math.h>
#include <string.h>

#include "../codec/yaml.h"

/* Far deeper than any real schema; keeps a hostile or cyclic-looking value
 * from exhausting the stack. */
#define PB_MAX_DEPTH 200

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };

struct pb {
    struct kapi_buf *out;
    bool fail;
    int depth;
};

/* ---- wire primitives ---- */

static size_t varint_encode(uint64_t v, unsigned char tmp[10])
{
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    return n;
}

static void put_raw(struct pb *p, const void *d, size_t n)
{
    if (!p->fail && kapi_buf_append(p->out, d, n) != 0)
        p->fail = true;
}

static void put_varint(struct pb *p, uint64_t v)
{
    unsigned char tmp[10];
    put_raw(p, tmp, varint_encode(v, tmp));
}

static void put_tag(struct pb *p, unsigned field, unsigned wt)
{
    put_varint(p, ((uint64_t)field << 3) | wt);
}

static void put_bytes(struct pb *p, unsigned field, const char *s, size_t n)
{
    put_tag(p, field, WT_LEN);
    put_varint(p, n);
    put_raw(p, s, n);
}

/* Opens a nested message; returns where its body starts. */
static size_t msg_begin(struct pb *p, unsigned field)
{
    put_tag(p, field, WT_LEN);
    return p->out->len;
}

/* Closes a nested message by inserting its length before the body. */
static void msg_end(struct pb *p, size_t start)
{
    if (p->fail)
        return;
    size_t body = p->out->len - start;
    unsigned char tmp[10];
    size_t n = varint_encode(body, tmp);
    if (kapi_buf_append(p->out, tmp, n) != 0) {
        p->fail = true;
        return;
    }
    memmove(p->out->data + start + n, p->out->data + start, body);
    memcpy(p->out->data + start, tmp, n);
}

/* ---- typed fields from JSON members ---- */

static bool is_ext(const char *key)
{
    return key[0] == 'x' && key[1] == '-';
}

static void f_str(struct pb *p, unsigned field, const struct kapi_value *obj, const char *key)
{
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (v && v->type == KAPI_V_STRING && v->u.str.len)
        put_bytes(p, field, v->u.str.s, v->u.str.len);
}

static void f_bool(struct pb *p, unsigned field, const struct kapi_value *obj, const char *key)
{
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (v && v->type == KAPI_V_BOOL && v->u.b) {
        put_tag(p, field, WT_VARINT);
        put_varint(p, 1);
    }
}

static void f_int64(struct pb *p, unsigned field, const struct kapi_value *obj, const char *key)
{
    const struct kapi_value *v = kapi_obj_get(obj, key);
    int64_t i = 0;
    if (v && v->type == KAPI_V_INT)
        i = v->u.i;
    else if (v && v->type == KAPI_V_FLOAT && isfinite(v->u.f) && v->u.f >= -9.2e18 && v->u.f <= 9.2e18)
        i = (int64_t)v->u.f;
    if (i) {
        put_tag(p, field, WT_VARINT);
        put_varint(p, (uint64_t)i); /* negative int64: ten-byte two's complement */
    }
}

static void f_double(struct pb *p, unsigned field, const struct kapi_value *obj, const char *key)
{
    const struct kapi_value *v = kapi_obj_get(obj, key);
    double d = 0;
    if (v && v->type == KAPI_V_INT)
        d = (double)v->u.i;
    else if (v && v->type == KAPI_V_FLOAT)
        d = v->u.f;
    if (d == 0)
        return;
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(bits >> (8 * i));
    put_tag(p, field, WT_I64);
    put_raw(p, le, 8);
}

/* A JSON array of strings (or a lone string) as repeated string. */
static void f_strs(struct pb *p, unsigned field, const struct kapi_value *v)
{
    if (!v)
        return;
    if (v->type == KAPI_V_STRING) {
        put_bytes(p, field, v->u.str.s, v->u.str.len);
        return;
    }
    if (v->type != KAPI_V_ARRAY)
        return;
    for (size_t i = 0; i < v->u.arr.len; i++) {
        const struct kapi_value *s = v->u.arr.items[i];
        if (s->type == KAPI_V_STRING)
            put_bytes(p, field, s->u.str.s, s->u.str.len);
    }
}

/* Any{yaml = 2}: gnostic keeps arbitrary JSON (vendor extensions, default,
 * example, enum) as the YAML text of the value; value (1) stays unset. */
static void any_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    struct kapi_buf y;
    kapi_buf_init(&y, 0);
    if (kapi_yaml_write(&y, v) != 0)
        p->fail = true;
    size_t m = msg_begin(p, field);
    if (y.len)
        put_bytes(p, 2, y.data, y.len);
    msg_end(p, m);
    kapi_buf_dispose(&y);
}

static void f_any(struct pb *p, unsigned field, const struct kapi_value *obj, const char *key)
{
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (v)
        any_msg(p, field, v);
}

static void f_enum(struct pb *p, unsigned field, const struct kapi_value *obj)
{
    const struct kapi_value *v = kapi_obj_get(obj, "enum");
    for (size_t i = 0; v && v->type == KAPI_V_ARRAY && i < v->u.arr.len; i++)
        any_msg(p, field, v->u.arr.items[i]);
}

/* NamedAny{name = 1, value = 2} for every member of obj; only "x-" keys
 * when ext_only (vendor extensions), all keys otherwise (examples). */
static void named_anys(struct pb *p, unsigned field, const struct kapi_value *obj, bool ext_only)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        const struct kapi_member *mb = &obj->u.obj.members[i];
        if (ext_only && !is_ext(mb->key))
            continue;
        size_t m = msg_begin(p, field);
        put_bytes(p, 1, mb->key, mb->klen);
        any_msg(p, 2, mb->val);
        msg_end(p, m);
    }
}

static void f_ext(struct pb *p, unsigned field, const struct kapi_value *obj)
{
    named_anys(p, field, obj, true);
}

static bool enter(struct pb *p)
{
    if (++p->depth > PB_MAX_DEPTH)
        p->fail = true;
    return !p->fail;
}

/* ---- messages ---- */

/* ExternalDocs{description 1, url 2, vendor_extension 3} */
static void external_docs(struct pb *p, unsigned field, const struct kapi_value *obj)
{
    const struct kapi_value *v = kapi_obj_get(obj, "externalDocs");
    if (!v || v->type != KAPI_V_OBJECT)
        return;
    size_t m = msg_begin(p, field);
    f_str(p, 1, v, "description");
    f_str(p, 2, v, "url");
    f_ext(p, 3, v);
    msg_end(p, m);
}

/* Xml{name 1, namespace 2, prefix 3, attribute 4, wrapped 5, ve 6} */
static void xml_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    f_str(p, 1, v, "name");
    f_str(p, 2, v, "namespace");
    f_str(p, 3, v, "prefix");
    f_bool(p, 4, v, "attribute");
    f_bool(p, 5, v, "wrapped");
    f_ext(p, 6, v);
    msg_end(p, m);
}

static void schema_body(struct pb *p, const struct kapi_value *v);

static void schema_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    if (enter(p))
        schema_body(p, v);
    p->depth--;
    msg_end(p, m);
}

/* NamedSchema{name 1, value 2} for each member of a JSON object. */
static void named_schemas(struct pb *p, unsigned field, const struct kapi_value *obj)
{
    for (size_t i = 0; obj && obj->type == KAPI_V_OBJECT && i < obj->u.obj.len; i++) {
        const struct kapi_member *mb = &obj->u.obj.members[i];
        size_t m = msg_begin(p, field);
        put_bytes(p, 1, mb->key, mb->klen);
        schema_msg(p, 2, mb->val);
        msg_end(p, m);
    }
}

/* Schema: numbers as in OpenAPIv2.proto (_ref 1 ... vendor_extension 31). */
static void schema_body(struct pb *p, const struct kapi_value *v)
{
    if (!v || v->type != KAPI_V_OBJECT)
        return;
    f_str(p, 1, v, "$ref");
    f_str(p, 2, v, "format");
    f_str(p, 3, v, "title");
    f_str(p, 4, v, "description");
    f_any(p, 5, v, "default");
    f_double(p, 6, v, "multipleOf");
    f_double(p, 7, v, "maximum");
    f_bool(p, 8, v, "exclusiveMaximum");
    f_double(p, 9, v, "minimum");
    f_bool(p, 10, v, "exclusiveMinimum");
    f_int64(p, 11, v, "maxLength");
    f_int64(p, 12, v, "minLength");
    f_str(p, 13, v, "pattern");
    f_int64(p, 14, v, "maxItems");
    f_int64(p, 15, v, "minItems");
    f_bool(p, 16, v, "uniqueItems");
    f_int64(p, 17, v, "maxProperties");
    f_int64(p, 18, v, "minProperties");
    f_strs(p, 19, kapi_obj_get(v, "required"));
    f_enum(p, 20, v);

    /* AdditionalPropertiesItem: oneof {Schema schema 1; bool boolean 2} */
    const struct kapi_value *ap = kapi_obj_get(v, "additionalProperties");
    if (ap && (ap->type == KAPI_V_BOOL || ap->type == KAPI_V_OBJECT)) {
        size_t m = msg_begin(p, 21);
        if (ap->type == KAPI_V_BOOL) {
            put_tag(p, 2, WT_VARINT);
            put_varint(p, ap->u.b);
        } else {
            schema_msg(p, 1, ap);
        }
        msg_end(p, m);
    }

    /* TypeItem{repeated string value 1}: "type" may be a string or a list. */
    const struct kapi_value *t = kapi_obj_get(v, "type");
    if (t && (t->type == KAPI_V_STRING || t->type == KAPI_V_ARRAY)) {
        size_t m = msg_begin(p, 22);
        f_strs(p, 1, t);
        msg_end(p, m);
    }

    /* ItemsItem{repeated Schema schema 1}: one schema or a tuple of them. */
    const struct kapi_value *it = kapi_obj_get(v, "items");
    if (it && (it->type == KAPI_V_OBJECT || it->type == KAPI_V_ARRAY)) {
        size_t m = msg_begin(p, 23);
        if (it->type == KAPI_V_OBJECT)
            schema_msg(p, 1, it);
        else
            for (size_t i = 0; i < it->u.arr.len; i++)
                schema_msg(p, 1, it->u.arr.items[i]);
        msg_end(p, m);
    }

    const struct kapi_value *all = kapi_obj_get(v, "allOf");
    for (size_t i = 0; all && all->type == KAPI_V_ARRAY && i < all->u.arr.len; i++)
        schema_msg(p, 24, all->u.arr.items[i]);

    /* Properties{repeated NamedSchema additional_properties 1} */
    const struct kapi_value *props = kapi_obj_get(v, "properties");
    if (props && props->type == KAPI_V_OBJECT) {
        size_t m = msg_begin(p, 25);
        named_schemas(p, 1, props);
        msg_end(p, m);
    }

    f_str(p, 26, v, "discriminator");
    f_bool(p, 27, v, "readOnly");
    const struct kapi_value *x = kapi_obj_get(v, "xml");
    if (x && x->type == KAPI_V_OBJECT)
        xml_msg(p, 28, x);
    external_docs(p, 29, v);
    f_any(p, 30, v, "example");
    f_ext(p, 31, v);
}

/* The shared run of fields of PrimitivesItems, Header and the non-body
 * parameter sub-schemas: type, format, items, collectionFormat, default,
 * maximum, exclusiveMaximum, minimum, exclusiveMinimum, maxLength,
 * minLength, pattern, maxItems, minItems, uniqueItems, enum, multipleOf,
 * numbered consecutively from base in every one of those messages. */
static void primitives_items_msg(struct pb *p, unsigned field, const struct kapi_value *v);

static void primitive_fields(struct pb *p, const struct kapi_value *v, unsigned base)
{
    f_str(p, base + 0, v, "type");
    f_str(p, base + 1, v, "format");
    const struct kapi_value *it = kapi_obj_get(v, "items");
    if (it && it->type == KAPI_V_OBJECT)
        primitives_items_msg(p, base + 2, it);
    f_str(p, base + 3, v, "collectionFormat");
    f_any(p, base + 4, v, "default");
    f_double(p, base + 5, v, "maximum");
    f_bool(p, base + 6, v, "exclusiveMaximum");
    f_double(p, base + 7, v, "minimum");
    f_bool(p, base + 8, v, "exclusiveMinimum");
    f_int64(p, base + 9, v, "maxLength");
    f_int64(p, base + 10, v, "minLength");
    f_str(p, base + 11, v, "pattern");
    f_int64(p, base + 12, v, "maxItems");
    f_int64(p, base + 13, v, "minItems");
    f_bool(p, base + 14, v, "uniqueItems");
    f_enum(p, base + 15, v);
    f_double(p, base + 16, v, "multipleOf");
}

/* PrimitivesItems: the shared run from 1, vendor_extension 18. */
static void primitives_items_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    if (enter(p)) {
        primitive_fields(p, v, 1);
        f_ext(p, 18, v);
    }
    p->depth--;
    msg_end(p, m);
}

/* Header: the shared run from 1, description 18, vendor_extension 19. */
static void header_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    primitive_fields(p, v, 1);
    f_str(p, 18, v, "description");
    f_ext(p, 19, v);
    msg_end(p, m);
}

/* Query and formData sub-schemas: required 1, in 2, description 3, name 4,
 * allowEmptyValue 5, the shared run from 6, vendor_extension 23. Header and
 * path ones lack allowEmptyValue: the run starts at 5, vendor_extension 22. */
static void nonbody_sub_schema(struct pb *p, unsigned field, const struct kapi_value *v, bool has_allow_empty)
{
    size_t m = msg_begin(p, field);
    f_bool(p, 1, v, "required");
    f_str(p, 2, v, "in");
    f_str(p, 3, v, "description");
    f_str(p, 4, v, "name");
    unsigned base = 5;
    if (has_allow_empty)
        f_bool(p, base++, v, "allowEmptyValue");
    primitive_fields(p, v, base);
    f_ext(p, base + 17, v);
    msg_end(p, m);
}

/* JsonReference{_ref 1, description 2} */
static void json_reference(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    f_str(p, 1, v, "$ref");
    f_str(p, 2, v, "description");
    msg_end(p, m);
}

/* Parameter: oneof {BodyParameter 1; NonBodyParameter 2}. */
static void parameter_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    const char *in = kapi_obj_get_str(v, "in");
    if (in && strcmp(in, "body") == 0) {
        /* BodyParameter{description 1, name 2, in 3, required 4, schema 5, ve 6} */
        size_t b = msg_begin(p, 1);
        f_str(p, 1, v, "description");
        f_str(p, 2, v, "name");
        f_str(p, 3, v, "in");
        f_bool(p, 4, v, "required");
        const struct kapi_value *s = kapi_obj_get(v, "schema");
        if (s)
            schema_msg(p, 5, s);
        f_ext(p, 6, v);
        msg_end(p, b);
    } else {
        /* NonBodyParameter: oneof {header 1, formData 2, query 3, path 4} */
        size_t nb = msg_begin(p, 2);
        if (in && strcmp(in, "header") == 0)
            nonbody_sub_schema(p, 1, v, false);
        else if (in && strcmp(in, "formData") == 0)
            nonbody_sub_schema(p, 2, v, true);
        else if (in && strcmp(in, "path") == 0)
            nonbody_sub_schema(p, 4, v, false);
        else
            nonbody_sub_schema(p, 3, v, true);
        msg_end(p, nb);
    }
    msg_end(p, m);
}

/* repeated ParametersItem: oneof {Parameter 1; JsonReference 2}. */
static void parameters_items(struct pb *p, unsigned field, const struct kapi_value *arr)
{
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        const struct kapi_value *v = arr->u.arr.items[i];
        if (v->type != KAPI_V_OBJECT)
            continue;
        size_t m = msg_begin(p, field);
        if (kapi_obj_get(v, "$ref"))
            json_reference(p, 2, v);
        else
            parameter_msg(p, 1, v);
        msg_end(p, m);
    }
}

/* Response{description 1, schema 2 (SchemaItem), headers 3, examples 4, ve 5} */
static void response_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    f_str(p, 1, v, "description");
    const struct kapi_value *s = kapi_obj_get(v, "schema");
    if (s && s->type == KAPI_V_OBJECT) {
        size_t si = msg_begin(p, 2);
        const char *t = kapi_obj_get_str(s, "type");
        if (t && strcmp(t, "file") == 0) {
            /* FileSchema{format 1, title 2, description 3, default 4,
             * required 5, type 6, readOnly 7, externalDocs 8, example 9, ve 10} */
            size_t fs = msg_begin(p, 2);
            f_str(p, 1, s, "format");
            f_str(p, 2, s, "title");
            f_str(p, 3, s, "description");
            f_any(p, 4, s, "default");
            f_strs(p, 5, kapi_obj_get(s, "required"));
            f_str(p, 6, s, "type");
            f_bool(p, 7, s, "readOnly");
            external_docs(p, 8, s);
            f_any(p, 9, s, "example");
            f_ext(p, 10, s);
            msg_end(p, fs);
        } else {
            schema_msg(p, 1, s);
        }
        msg_end(p, si);
    }
    const struct kapi_value *h = kapi_obj_get(v, "headers");
    if (h && h->type == KAPI_V_OBJECT) {
        size_t hm = msg_begin(p, 3);
        for (size_t i = 0; i < h->u.obj.len; i++) {
            size_t nh = msg_begin(p, 1);
            put_bytes(p, 1, h->u.obj.members[i].key, h->u.obj.members[i].klen);
            header_msg(p, 2, h->u.obj.members[i].val);
            msg_end(p, nh);
        }
        msg_end(p, hm);
    }
    const struct kapi_value *ex = kapi_obj_get(v, "examples");
    if (ex && ex->type == KAPI_V_OBJECT) {
        size_t em = msg_begin(p, 4);
        named_anys(p, 1, ex, false);
        msg_end(p, em);
    }
    f_ext(p, 5, v);
    msg_end(p, m);
}

/* Responses{repeated NamedResponseValue response_code 1, ve 2};
 * ResponseValue: oneof {Response 1; JsonReference 2}. */
static void responses_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    for (size_t i = 0; i < v->u.obj.len; i++) {
        const struct kapi_member *mb = &v->u.obj.members[i];
        if (is_ext(mb->key) || mb->val->type != KAPI_V_OBJECT)
            continue;
        size_t nr = msg_begin(p, 1);
        put_bytes(p, 1, mb->key, mb->klen);
        size_t rv = msg_begin(p, 2);
        if (kapi_obj_get(mb->val, "$ref"))
            json_reference(p, 2, mb->val);
        else
            response_msg(p, 1, mb->val);
        msg_end(p, rv);
        msg_end(p, nr);
    }
    f_ext(p, 2, v);
    msg_end(p, m);
}

/* repeated SecurityRequirement{repeated NamedStringArray 1}, each
 * NamedStringArray{name 1, StringArray{repeated string value 1} 2}. */
static void security_reqs(struct pb *p, unsigned field, const struct kapi_value *arr)
{
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        const struct kapi_value *req = arr->u.arr.items[i];
        if (req->type != KAPI_V_OBJECT)
            continue;
        size_t m = msg_begin(p, field);
        for (size_t j = 0; j < req->u.obj.len; j++) {
            size_t n = msg_begin(p, 1);
            put_bytes(p, 1, req->u.obj.members[j].key, req->u.obj.members[j].klen);
            size_t sa = msg_begin(p, 2);
            f_strs(p, 1, req->u.obj.members[j].val);
            msg_end(p, sa);
            msg_end(p, n);
        }
        msg_end(p, m);
    }
}

/* SecurityDefinitions{repeated NamedSecurityDefinitionsItem 1}; the item is
 * a oneof by "type": basic 1, apiKey 2 (oauth2 flows are not produced by
 * kapi and are left out). */
static void security_defs(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    for (size_t i = 0; i < v->u.obj.len; i++) {
        const struct kapi_value *d = v->u.obj.members[i].val;
        const char *t = kapi_obj_get_str(d, "type");
        if (!t || (strcmp(t, "basic") != 0 && strcmp(t, "apiKey") != 0))
            continue;
        size_t n = msg_begin(p, 1);
        put_bytes(p, 1, v->u.obj.members[i].key, v->u.obj.members[i].klen);
        size_t item = msg_begin(p, 2);
        if (strcmp(t, "basic") == 0) {
            size_t b = msg_begin(p, 1);
            f_str(p, 1, d, "type");
            f_str(p, 2, d, "description");
            f_ext(p, 3, d);
            msg_end(p, b);
        } else {
            size_t a = msg_begin(p, 2);
            f_str(p, 1, d, "type");
            f_str(p, 2, d, "name");
            f_str(p, 3, d, "in");
            f_str(p, 4, d, "description");
            f_ext(p, 5, d);
            msg_end(p, a);
        }
        msg_end(p, item);
        msg_end(p, n);
    }
    msg_end(p, m);
}

/* Operation{tags 1, summary 2, description 3, externalDocs 4,
 * operationId 5, produces 6, consumes 7, parameters 8, responses 9,
 * schemes 10, deprecated 11, security 12, vendor_extension 13} */
static void operation_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    f_strs(p, 1, kapi_obj_get(v, "tags"));
    f_str(p, 2, v, "summary");
    f_str(p, 3, v, "description");
    external_docs(p, 4, v);
    f_str(p, 5, v, "operationId");
    f_strs(p, 6, kapi_obj_get(v, "produces"));
    f_strs(p, 7, kapi_obj_get(v, "consumes"));
    parameters_items(p, 8, kapi_obj_get(v, "parameters"));
    const struct kapi_value *r = kapi_obj_get(v, "responses");
    if (r && r->type == KAPI_V_OBJECT)
        responses_msg(p, 9, r);
    f_strs(p, 10, kapi_obj_get(v, "schemes"));
    f_bool(p, 11, v, "deprecated");
    security_reqs(p, 12, kapi_obj_get(v, "security"));
    f_ext(p, 13, v);
    msg_end(p, m);
}

/* PathItem{_ref 1, get 2, put 3, post 4, delete 5, options 6, head 7,
 * patch 8, parameters 9, vendor_extension 10} */
static void path_item_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    static const char *const verbs[] = {"get", "put", "post", "delete", "options", "head", "patch"};
    size_t m = msg_begin(p, field);
    f_str(p, 1, v, "$ref");
    for (unsigned i = 0; i < KAPI_ARRAY_LEN(verbs); i++) {
        const struct kapi_value *op = kapi_obj_get(v, verbs[i]);
        if (op && op->type == KAPI_V_OBJECT)
            operation_msg(p, 2 + i, op);
    }
    parameters_items(p, 9, kapi_obj_get(v, "parameters"));
    f_ext(p, 10, v);
    msg_end(p, m);
}

/* Paths{vendor_extension 1, repeated NamedPathItem path 2} */
static void paths_msg(struct pb *p, unsigned field, const struct kapi_value *v)
{
    size_t m = msg_begin(p, field);
    f_ext(p, 1, v);
    for (size_t i = 0; i < v->u.obj.len; i++) {
        const struct kapi_member *mb = &v->u.obj.members[i];
        if (is_ext(mb->key) || mb->val->type != KAPI_V_OBJECT)
            continue;
        size_t n = msg_begin(p, 2);
        put_bytes(p, 1, mb->key, mb->klen);
        path_item_msg(p, 2, mb->val);
        msg_end(p, n);
    }
    msg_end(p, m);
}

int kapi_openapi_v2_protobuf(struct kapi_buf *out, const struct kapi_value *doc)
{
    if (!out || !doc || doc->type != KAPI_V_OBJECT)
        return -1;
    size_t start = out->len;
    struct pb pb = {.out = out};
    struct pb *p = &pb;

    /* Document: swagger 1, info 2, host 3, basePath 4, schemes 5,
     * consumes 6, produces 7, paths 8, definitions 9, parameters 10,
     * responses 11, security 12, securityDefinitions 13, tags 14,
     * externalDocs 15, vendor_extension 16. */
    f_str(p, 1, doc, "swagger");
    const struct kapi_value *info = kapi_obj_get(doc, "info");
    if (info && info->type == KAPI_V_OBJECT) {
        /* Info{title 1, version 2, description 3, termsOfService 4,
         * contact 5, license 6, vendor_extension 7} */
        size_t m = msg_begin(p, 2);
        f_str(p, 1, info, "title");
        f_str(p, 2, info, "version");
        f_str(p, 3, info, "description");
        f_str(p, 4, info, "termsOfService");
        const struct kapi_value *c = kapi_obj_get(info, "contact");
        if (c && c->type == KAPI_V_OBJECT) {
            size_t cm = msg_begin(p, 5);
            f_str(p, 1, c, "name");
            f_str(p, 2, c, "url");
            f_str(p, 3, c, "email");
            f_ext(p, 4, c);
            msg_end(p, cm);
        }
        const struct kapi_value *l = kapi_obj_get(info, "license");
        if (l && l->type == KAPI_V_OBJECT) {
            size_t lm = msg_begin(p, 6);
            f_str(p, 1, l, "name");
            f_str(p, 2, l, "url");
            f_ext(p, 3, l);
            msg_end(p, lm);
        }
        f_ext(p, 7, info);
        msg_end(p, m);
    }
    f_str(p, 3, doc, "host");
    f_str(p, 4, doc, "basePath");
    f_strs(p, 5, kapi_obj_get(doc, "schemes"));
    f_strs(p, 6, kapi_obj_get(doc, "consumes"));
    f_strs(p, 7, kapi_obj_get(doc, "produces"));
    const struct kapi_value *paths = kapi_obj_get(doc, "paths");
    if (paths && paths->type == KAPI_V_OBJECT)
        paths_msg(p, 8, paths);
    const struct kapi_value *defs = kapi_obj_get(doc, "definitions");
    if (defs && defs->type == KAPI_V_OBJECT) {
        size_t m = msg_begin(p, 9);
        named_schemas(p, 1, defs);
        msg_end(p, m);
    }
    const struct kapi_value *params = kapi_obj_get(doc, "parameters");
    if (params && params->type == KAPI_V_OBJECT) {
        /* ParameterDefinitions{repeated NamedParameter{name 1, Parameter 2} 1} */
        size_t m = msg_begin(p, 10);
        for (size_t i = 0; i < params->u.obj.len; i++) {
            if (params->u.obj.members[i].val->type != KAPI_V_OBJECT)
                continue;
            size_t n = msg_begin(p, 1);
            put_bytes(p, 1, params->u.obj.members[i].key, params->u.obj.members[i].klen);
            parameter_msg(p, 2, params->u.obj.members[i].val);
            msg_end(p, n);
        }
        msg_end(p, m);
    }
    const struct kapi_value *resps = kapi_obj_get(doc, "responses");
    if (resps && resps->type == KAPI_V_OBJECT) {
        /* ResponseDefinitions{repeated NamedResponse{name 1, Response 2} 1} */
        size_t m = msg_begin(p, 11);
        for (size_t i = 0; i < resps->u.obj.len; i++) {
            if (resps->u.obj.members[i].val->type != KAPI_V_OBJECT)
                continue;
            size_t n = msg_begin(p, 1);
            put_bytes(p, 1, resps->u.obj.members[i].key, resps->u.obj.members[i].klen);
            response_msg(p, 2, resps->u.obj.members[i].val);
            msg_end(p, n);
        }
        msg_end(p, m);
    }
    security_reqs(p, 12, kapi_obj_get(doc, "security"));
    const struct kapi_value *sd = kapi_obj_get(doc, "securityDefinitions");
    if (sd && sd->type == KAPI_V_OBJECT)
        security_defs(p, 13, sd);
    const struct kapi_value *tags = kapi_obj_get(doc, "tags");
    for (size_t i = 0; tags && tags->type == KAPI_V_ARRAY && i < tags->u.arr.len; i++) {
        const struct kapi_value *t = tags->u.arr.items[i];
        if (t->type != KAPI_V_OBJECT)
            continue;
        /* Tag{name 1, description 2, externalDocs 3, vendor_extension 4} */
        size_t m = msg_begin(p, 14);
        f_str(p, 1, t, "name");
        f_str(p, 2, t, "description");
        external_docs(p, 3, t);
        f_ext(p, 4, t);
        msg_end(p, m);
    }
    external_docs(p, 15, doc);
    f_ext(p, 16, doc);

    if (pb.fail) {
        out->len = start;
        if (out->data)
            out->data[start] = 0;
        return -1;
    }
    return 0;
}
