/* The gnostic openapi.v2.Document protobuf encoding of the Swagger 2.0
 * document: a small Pod-like document is encoded and walked back field by
 * field with a minimal wire decoder; a large one is checked for being
 * well-formed at every nesting level; limits and bad input fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "codec/yaml.h"
#include "endpoints/openapi_pb.h"

/* ---- a minimal protobuf walker ---- */

struct msg {
    const unsigned char *p;
    size_t len;
};

struct fld {
    unsigned num;
    unsigned wt;
    uint64_t v;           /* varint / fixed64 value */
    struct msg sub;       /* length-delimited payload */
};

static bool rd_varint(const unsigned char **c, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*c >= end)
            return false;
        unsigned char b = *(*c)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Reads the field at *c; false at the end; fails the test on bad bytes. */
static bool next_field(const unsigned char **c, const unsigned char *end, struct fld *f)
{
    if (*c == end)
        return false;
    uint64_t tag = 0;
    assert_true(rd_varint(c, end, &tag));
    f->num = (unsigned)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    assert_true(f->num > 0);
    switch (f->wt) {
    case 0:
        assert_true(rd_varint(c, end, &f->v));
        break;
    case 1:
        assert_true((size_t)(end - *c) >= 8);
        f->v = 0;
        for (int i = 0; i < 8; i++)
            f->v |= (uint64_t)(*c)[i] << (8 * i);
        *c += 8;
        break;
    case 2: {
        uint64_t n = 0;
        assert_true(rd_varint(c, end, &n));
        assert_true(n <= (uint64_t)(end - *c));
        f->sub.p = *c;
        f->sub.len = (size_t)n;
        *c += n;
        break;
    }
    default:
        fail_msg("unexpected wire type %u", f->wt);
    }
    return true;
}

static size_t count(struct msg m, unsigned num)
{
    const unsigned char *c = m.p, *end = m.p + m.len;
    struct fld f = {0};
    size_t n = 0;
    while (next_field(&c, end, &f))
        n += f.num == num;
    return n;
}

/* The idx-th occurrence of field num (which must exist). */
static struct fld get(struct msg m, unsigned num, size_t idx)
{
    const unsigned char *c = m.p, *end = m.p + m.len;
    struct fld f = {0};
    while (next_field(&c, end, &f))
        if (f.num == num && idx-- == 0)
            return f;
    fail_msg("field %u not found", num);
    return f;
}

static struct msg sub(struct msg m, unsigned num)
{
    struct fld f = get(m, num, 0);
    assert_int_equal(f.wt, 2);
    return f.sub;
}

static struct msg subn(struct msg m, unsigned num, size_t idx)
{
    struct fld f = get(m, num, idx);
    assert_int_equal(f.wt, 2);
    return f.sub;
}

static void assert_str(struct msg m, unsigned num, const char *want)
{
    struct msg s = sub(m, num);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

static uint64_t varint_of(struct msg m, unsigned num)
{
    struct fld f = get(m, num, 0);
    assert_int_equal(f.wt, 0);
    return f.v;
}

static double double_of(struct msg m, unsigned num)
{
    struct fld f = get(m, num, 0);
    assert_int_equal(f.wt, 1);
    double d;
    memcpy(&d, &f.v, sizeof(d));
    return d;
}

/* Field numbers never go down within one message, as Go writes them. */
static void assert_ascending(struct msg m)
{
    const unsigned char *c = m.p, *end = m.p + m.len;
    struct fld f = {0};
    unsigned last = 0;
    while (next_field(&c, end, &f)) {
        assert_true(f.num >= last);
        last = f.num;
    }
}

/* The NamedX entry (name 1, value 2) of repeated field num whose name is
 * name; returns its value message. */
static struct msg named(struct msg m, unsigned num, const char *name)
{
    size_t n = count(m, num);
    for (size_t i = 0; i < n; i++) {
        struct msg e = subn(m, num, i);
        struct msg k = sub(e, 1);
        if (k.len == strlen(name) && memcmp(k.p, name, k.len) == 0)
            return sub(e, 2);
    }
    fail_msg("no entry named %s", name);
    return m;
}

/* Any.yaml (field 2) parses back to the same value as the JSON text. */
static void assert_any_yaml(struct msg any, const char *json)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct msg y = sub(any, 2);
    struct kapi_yaml_error ye;
    struct kapi_value *got = kapi_yaml_parse(pool, (const char *)y.p, y.len, &ye);
    assert_non_null(got);
    struct kapi_json_error je;
    struct kapi_value *want = kapi_json_parse(pool, json, strlen(json), NULL, &je);
    assert_non_null(want);
    assert_true(kapi_value_equal(got, want));
    assert_int_equal(count(any, 1), 0); /* google.protobuf.Any stays unset */
    kapi_pool_free(pool);
}

static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s", err.msg);
    return v;
}

static const char small_doc[] =
    "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.33.0\"},"
    "\"paths\":{\"/api/v1/namespaces/{namespace}/pods/{name}\":{"
    "\"patch\":{\"description\":\"partially update the specified Pod\",\"operationId\":\"patchCoreV1NamespacedPod\","
    "\"parameters\":["
    "{\"name\":\"dryRun\",\"in\":\"query\",\"type\":\"string\",\"uniqueItems\":true},"
    "{\"name\":\"force\",\"in\":\"query\",\"type\":\"boolean\",\"required\":true},"
    "{\"name\":\"body\",\"in\":\"body\",\"required\":true,\"schema\":{\"$ref\":\"#/definitions/Patch\"}},"
    "{\"name\":\"name\",\"in\":\"path\",\"type\":\"string\",\"required\":true},"
    "{\"$ref\":\"#/parameters/pretty\"}],"
    "\"responses\":{\"200\":{\"description\":\"OK\",\"schema\":{\"$ref\":\"#/definitions/io.k8s.api.core.v1.Pod\"}},"
    "\"401\":{\"description\":\"Unauthorized\"}},"
    "\"x-kubernetes-action\":\"patch\","
    "\"x-kubernetes-group-version-kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}}}},"
    "\"definitions\":{\"io.k8s.api.core.v1.Pod\":{\"description\":\"Pod is a collection of containers.\","
    "\"type\":\"object\",\"required\":[\"spec\",\"metadata\"],"
    "\"properties\":{"
    "\"apiVersion\":{\"type\":\"string\"},"
    "\"metadata\":{\"$ref\":\"#/definitions/ObjectMeta\"},"
    "\"containers\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/Container\"},"
    "\"x-kubernetes-list-map-keys\":[\"name\"],\"x-kubernetes-list-type\":\"map\","
    "\"x-kubernetes-patch-merge-key\":\"name\",\"x-kubernetes-patch-strategy\":\"merge\"},"
    "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
    "\"closed\":{\"type\":\"object\",\"additionalProperties\":false},"
    "\"port\":{\"type\":\"integer\",\"format\":\"int32\",\"minimum\":-1.5,\"maxLength\":300,"
    "\"enum\":[1,\"two\"],\"default\":8080,\"nullable\":true},"
    "\"ios\":{\"type\":\"string\",\"format\":\"int-or-string\",\"x-kubernetes-int-or-string\":true}},"
    "\"x-kubernetes-group-version-kind\":[{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"}]}}}";

static void test_small_document(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_buf out;
    kapi_buf_init(&out, 0);
    assert_int_equal(kapi_openapi_v2_protobuf(&out, parse(pool, small_doc)), 0);
    struct msg doc = {(const unsigned char *)out.data, out.len};
    assert_ascending(doc);
    /* Exact leading bytes, in the layout kube-apiserver sends: swagger (1),
     * info (2){title 1, version 2}, then the paths (8) tag. */
    static const char head[] = "\x0a\x03" "2.0" "\x12\x15\x0a\x0a" "Kubernetes" "\x12\x07" "v1.33.0" "\x42";
    assert_true(out.len > sizeof(head));
    assert_memory_equal(out.data, head, sizeof(head) - 1);

    assert_str(doc, 1, "2.0");
    struct msg info = sub(doc, 2);
    assert_str(info, 1, "Kubernetes");
    assert_str(info, 2, "v1.33.0");

    /* Paths.path (2) -> NamedPathItem; patch is PathItem field 8. */
    struct msg paths = sub(doc, 8);
    assert_int_equal(count(paths, 2), 1);
    struct msg item = named(paths, 2, "/api/v1/namespaces/{namespace}/pods/{name}");
    assert_int_equal(count(item, 2), 0);
    struct msg op = sub(item, 8);
    assert_ascending(op);
    assert_str(op, 3, "partially update the specified Pod");
    assert_str(op, 5, "patchCoreV1NamespacedPod");
    assert_int_equal(count(op, 8), 5);

    /* ParametersItem.parameter(1) -> Parameter.non_body_parameter(2) ->
     * NonBodyParameter.query_parameter_sub_schema(3). */
    struct msg q = sub(sub(sub(subn(op, 8, 0), 1), 2), 3);
    assert_ascending(q);
    assert_int_equal(count(q, 1), 0); /* required false: omitted */
    assert_str(q, 2, "query");
    assert_str(q, 4, "dryRun");
    assert_str(q, 6, "string");
    assert_int_equal(varint_of(q, 20), 1);
    q = sub(sub(sub(subn(op, 8, 1), 1), 2), 3);
    assert_int_equal(varint_of(q, 1), 1);
    assert_str(q, 4, "force");
    assert_str(q, 6, "boolean");
    /* Body parameter: Parameter.body_parameter(1). */
    struct msg body = sub(sub(subn(op, 8, 2), 1), 1);
    assert_str(body, 2, "body");
    assert_str(body, 3, "body");
    assert_int_equal(varint_of(body, 4), 1);
    assert_str(sub(body, 5), 1, "#/definitions/Patch");
    /* Path parameter: NonBodyParameter.path_parameter_sub_schema(4), whose
     * type is field 5 (no allow_empty_value there). */
    struct msg pp = sub(sub(sub(subn(op, 8, 3), 1), 2), 4);
    assert_int_equal(varint_of(pp, 1), 1);
    assert_str(pp, 2, "path");
    assert_str(pp, 4, "name");
    assert_str(pp, 5, "string");
    /* A $ref parameter: ParametersItem.json_reference(2). */
    assert_str(sub(subn(op, 8, 4), 2), 1, "#/parameters/pretty");

    /* Responses.response_code(1) -> NamedResponseValue -> ResponseValue.response(1). */
    struct msg resps = sub(op, 9);
    assert_int_equal(count(resps, 1), 2);
    struct msg r200 = sub(named(resps, 1, "200"), 1);
    assert_str(r200, 1, "OK");
    assert_str(sub(sub(r200, 2), 1), 1, "#/definitions/io.k8s.api.core.v1.Pod");
    assert_str(sub(named(resps, 1, "401"), 1), 1, "Unauthorized");

    /* Operation.vendor_extension(13): NamedAny{name, Any{yaml}}. */
    assert_int_equal(count(op, 13), 2);
    assert_any_yaml(named(op, 13, "x-kubernetes-action"), "\"patch\"");
    assert_any_yaml(named(op, 13, "x-kubernetes-group-version-kind"),
                    "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}");

    /* Definitions.additional_properties(1) -> NamedSchema. */
    struct msg defs = sub(doc, 9);
    assert_int_equal(count(defs, 1), 1);
    struct msg pod = named(defs, 1, "io.k8s.api.core.v1.Pod");
    assert_ascending(pod);
    assert_str(pod, 4, "Pod is a collection of containers.");
    assert_int_equal(count(pod, 19), 2);
    assert_memory_equal(subn(pod, 19, 1).p, "metadata", 8);
    assert_str(sub(pod, 22), 1, "object");
    assert_int_equal(count(pod, 31), 1);
    assert_any_yaml(named(pod, 31, "x-kubernetes-group-version-kind"),
                    "[{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"}]");

    struct msg props = sub(pod, 25);
    assert_int_equal(count(props, 1), 7);
    assert_str(sub(named(props, 1, "apiVersion"), 22), 1, "string");
    assert_str(named(props, 1, "metadata"), 1, "#/definitions/ObjectMeta");

    struct msg cont = named(props, 1, "containers");
    assert_ascending(cont);
    assert_str(sub(cont, 22), 1, "array");
    assert_int_equal(count(sub(cont, 23), 1), 1);
    assert_str(sub(sub(cont, 23), 1), 1, "#/definitions/Container");
    assert_int_equal(count(cont, 31), 4);
    assert_any_yaml(named(cont, 31, "x-kubernetes-list-map-keys"), "[\"name\"]");
    assert_any_yaml(named(cont, 31, "x-kubernetes-list-type"), "\"map\"");
    assert_any_yaml(named(cont, 31, "x-kubernetes-patch-merge-key"), "\"name\"");
    assert_any_yaml(named(cont, 31, "x-kubernetes-patch-strategy"), "\"merge\"");

    /* AdditionalPropertiesItem: schema(1), or boolean(2) written even when false. */
    assert_str(sub(sub(sub(named(props, 1, "labels"), 21), 1), 22), 1, "string");
    struct msg closed = sub(named(props, 1, "closed"), 21);
    assert_int_equal(count(closed, 1), 0);
    assert_int_equal(count(closed, 2), 1);
    assert_int_equal(varint_of(closed, 2), 0);

    struct msg port = named(props, 1, "port");
    assert_ascending(port);
    assert_str(port, 2, "int32");
    assert_true(double_of(port, 9) == -1.5);
    assert_int_equal(varint_of(port, 11), 300);
    assert_int_equal(count(port, 20), 2);
    assert_any_yaml(subn(port, 20, 1), "\"two\"");
    assert_any_yaml(sub(port, 5), "8080");
    assert_int_equal(count(port, 31), 0); /* "nullable" is not a v2 field */

    struct msg ios = named(props, 1, "ios");
    assert_str(ios, 2, "int-or-string");
    assert_any_yaml(named(ios, 31, "x-kubernetes-int-or-string"), "true");

    kapi_buf_dispose(&out);
    kapi_pool_free(pool);
}

/* Walks every message of a Document whose shape the test knows, checking
 * each length sits inside its parent; returns the number of schemas seen. */
static size_t check_schema(struct msg s, int depth);

static void check_named_anys(struct msg m, unsigned num)
{
    size_t n = count(m, num);
    for (size_t i = 0; i < n; i++) {
        struct msg e = subn(m, num, i);
        assert_true(count(e, 1) == 1);
        count(sub(e, 2), 2);
    }
}

static size_t check_schema(struct msg s, int depth)
{
    assert_true(depth < 50);
    assert_ascending(s);
    size_t seen = 1;
    if (count(s, 21))
        if (count(sub(s, 21), 1))
            seen += check_schema(sub(sub(s, 21), 1), depth + 1);
    if (count(s, 22))
        count(sub(s, 22), 1);
    if (count(s, 23)) {
        struct msg it = sub(s, 23);
        for (size_t i = 0; i < count(it, 1); i++)
            seen += check_schema(subn(it, 1, i), depth + 1);
    }
    if (count(s, 25)) {
        struct msg pr = sub(s, 25);
        for (size_t i = 0; i < count(pr, 1); i++)
            seen += check_schema(sub(subn(pr, 1, i), 2), depth + 1);
    }
    check_named_anys(s, 31);
    return seen;
}

static void test_large_document_well_formed(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_buf j;
    kapi_buf_init(&j, 0);
    kapi_buf_puts(&j, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.33.0\"},\"paths\":{");
    for (int i = 0; i < 100; i++)
        kapi_buf_printf(&j,
                        "%s\"/apis/g%d/v1/things\":{\"get\":{\"operationId\":\"list%d\",\"parameters\":["
                        "{\"name\":\"limit\",\"in\":\"query\",\"type\":\"integer\"},"
                        "{\"name\":\"watch\",\"in\":\"query\",\"type\":\"boolean\"}],"
                        "\"responses\":{\"200\":{\"description\":\"OK\"}},\"x-kubernetes-action\":\"list\"},"
                        "\"post\":{\"operationId\":\"create%d\",\"responses\":{\"201\":{\"description\":\"Created\"}}}}",
                        i ? "," : "", i, i, i);
    kapi_buf_puts(&j, "},\"definitions\":{");
    /* Descriptions of growing length push lengths across varint byte
     * boundaries (127/128, 16383/16384) at several nesting levels. */
    for (int i = 0; i < 100; i++) {
        kapi_buf_printf(&j, "%s\"def.Thing%d\":{\"description\":\"", i ? "," : "", i);
        for (int k = 0; k < i * 170; k++)
            kapi_buf_putc(&j, (char)('a' + k % 26));
        kapi_buf_printf(&j,
                        "\",\"type\":\"object\",\"properties\":{"
                        "\"spec\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\","
                        "\"items\":{\"$ref\":\"#/definitions/def.Thing%d\"},\"x-kubernetes-list-type\":\"atomic\"}}},"
                        "\"data\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}},"
                        "\"x-kubernetes-group-version-kind\":[{\"group\":\"g%d\",\"kind\":\"Thing\",\"version\":\"v1\"}]}",
                        (i + 1) % 100, i);
    }
    kapi_buf_puts(&j, "}}");
    struct kapi_value *v = parse(pool, j.data);
    kapi_buf_dispose(&j);

    struct kapi_buf out;
    kapi_buf_init(&out, 0);
    assert_int_equal(kapi_openapi_v2_protobuf(&out, v), 0);
    assert_true(out.len > 100 * 170 * 50);
    struct msg doc = {(const unsigned char *)out.data, out.len};
    assert_ascending(doc);

    struct msg defs = sub(doc, 9);
    assert_int_equal(count(defs, 1), 100);
    size_t schemas = 0;
    for (size_t i = 0; i < 100; i++) {
        struct msg e = subn(defs, 1, i);
        char name[32];
        snprintf(name, sizeof(name), "def.Thing%zu", i);
        assert_str(e, 1, name);
        struct msg s = sub(e, 2);
        if (i == 0)
            assert_int_equal(count(s, 4), 0); /* empty string: omitted, as proto3 */
        else
            assert_int_equal(sub(s, 4).len, i * 170);
        schemas += check_schema(s, 0);
    }
    assert_int_equal(schemas, 100 * 6);

    struct msg paths = sub(doc, 8);
    assert_int_equal(count(paths, 2), 100);
    for (size_t i = 0; i < 100; i++) {
        struct msg item = sub(subn(paths, 2, i), 2);
        assert_ascending(item);
        struct msg get = sub(item, 2), post = sub(item, 4);
        assert_int_equal(count(get, 8), 2);
        assert_str(sub(sub(sub(subn(get, 8, 0), 1), 2), 3), 6, "integer");
        check_named_anys(get, 13);
        assert_str(sub(named(sub(post, 9), 1, "201"), 1), 1, "Created");
    }
    kapi_buf_dispose(&out);
    kapi_pool_free(pool);
}

static void test_appends_and_limits(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *doc = parse(pool, small_doc);

    /* Appends after what is already there. */
    struct kapi_buf out;
    kapi_buf_init(&out, 0);
    kapi_buf_puts(&out, "abc");
    assert_int_equal(kapi_openapi_v2_protobuf(&out, doc), 0);
    assert_memory_equal(out.data, "abc", 3);
    struct msg m = {(const unsigned char *)out.data + 3, out.len - 3};
    assert_str(m, 1, "2.0");
    size_t full = out.len - 3;

    /* A buffer limit anywhere inside fails and restores the old length. */
    for (size_t lim = 3; lim < full + 3; lim += 97) {
        struct kapi_buf small;
        kapi_buf_init(&small, lim + 1);
        kapi_buf_puts(&small, "abc");
        assert_int_equal(kapi_openapi_v2_protobuf(&small, doc), -1);
        assert_int_equal(small.len, 3);
        kapi_buf_dispose(&small);
    }
    struct kapi_buf exact;
    kapi_buf_init(&exact, full + 1); /* room for the NUL the buffer keeps */
    assert_int_equal(kapi_openapi_v2_protobuf(&exact, doc), 0);
    assert_int_equal(exact.len, full);
    assert_memory_equal(exact.data, out.data + 3, full);
    kapi_buf_dispose(&exact);
    kapi_buf_dispose(&out);

    /* Not an object. */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_openapi_v2_protobuf(&b, parse(pool, "[1]")), -1);
    assert_int_equal(b.len, 0);

    /* Absurdly deep schema nesting is refused instead of recursing on. */
    struct kapi_buf j;
    kapi_buf_init(&j, 0);
    kapi_buf_puts(&j, "{\"definitions\":{\"a\":");
    for (int i = 0; i < 1000; i++)
        kapi_buf_puts(&j, "{\"items\":");
    kapi_buf_puts(&j, "{}");
    for (int i = 0; i < 1000; i++)
        kapi_buf_putc(&j, '}');
    kapi_buf_puts(&j, "}}");
    assert_int_equal(kapi_openapi_v2_protobuf(&b, parse(pool, j.data)), -1);
    assert_int_equal(b.len, 0);
    kapi_buf_dispose(&j);

    /* An empty object is an empty message. */
    assert_int_equal(kapi_openapi_v2_protobuf(&b, parse(pool, "{}")), 0);
    assert_int_equal(b.len, 0);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_document),
        cmocka_unit_test(test_large_document_well_formed),
        cmocka_unit_test(test_appends_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
