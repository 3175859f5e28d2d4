/* Unit tests for src/api/names: name rules, Go quoting, field error texts
 * and ObjectMeta validation, against upstream's test expectations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/names.h"
#include "codec/json.h"

static struct kapi_pool *pool;

static int setup(void **state)
{
    pool = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    kapi_pool_free(pool);
    return 0;
}

static char *rep(char c, size_t n)
{
    char *s = kapi_pool_alloc(pool, n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

#define SUBDOMAIN_MSG                                                                                  \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " \
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "      \
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                                      \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must " \
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "    \
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

static void test_dns(void **state)
{
    const char *m[KAPI_NAME_MSGS_MAX];
    static const char *const good_sub[] = {"a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012",
                                           "1a", "1-a", "1--a--b--2", "a.a", "ab.a", "abc.a", "a1.a", "a-1.a",
                                           "a--1--2--b.a", "a.1", "ab.1", "0.a", "01.a", "1.0", "12.1",
                                           "a.b.c.d.e", "aa.bb.cc.dd.ee", "1.2.3.4.5", "11.22.33.44.55"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(good_sub); i++)
        assert_int_equal(kapi_is_dns1123_subdomain(good_sub[i], m), 0);
    assert_int_equal(kapi_is_dns1123_subdomain(rep('a', 253), m), 0);
    static const char *const bad_sub[] = {"", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-",
                                          "-1", "_", "a_", "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a",
                                          "a..b", "1.", ".1", "1..2", " ", "a ", " a", "a b", "1 ", " 1",
                                          "1 2", "A.a", "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1",
                                          "A1.1", "1A.1", "0.A", "01.A", "012.A", "1A.a", "1a.A", "A.B.C.D.E",
                                          "AA.BB.CC.DD.EE", "a.B.c.d.e", "aa.bB.cc.dd.ee", "a@b", "a,b", "a/b",
                                          "a:b", "a;b", "a=b", "a!b", "a%b", "a^b"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad_sub); i++) {
        assert_int_equal(kapi_is_dns1123_subdomain(bad_sub[i], m), 1);
        assert_string_equal(m[0], SUBDOMAIN_MSG);
    }
    assert_int_equal(kapi_is_dns1123_subdomain(rep('a', 254), m), 1);
    assert_string_equal(m[0], "must be no more than 253 characters");
    char *long_bad = rep('A', 254);
    assert_int_equal(kapi_is_dns1123_subdomain(long_bad, m), 2);
    assert_string_equal(m[1], SUBDOMAIN_MSG);

    assert_int_equal(kapi_is_dns1123_label("my-name", m), 0);
    assert_int_equal(kapi_is_dns1123_label(rep('a', 63), m), 0);
    assert_int_equal(kapi_is_dns1123_label("a.b", m), 1);
    assert_string_equal(m[0], "must not contain dots");
    assert_int_equal(kapi_is_dns1123_label("Foo", m), 1);
    assert_string_equal(m[0], LABEL_MSG);
    assert_int_equal(kapi_is_dns1123_label(rep('a', 64), m), 1);
    assert_string_equal(m[0], "must be no more than 63 characters");

    assert_int_equal(kapi_is_dns1035_label("my-name", m), 0);
    assert_int_equal(kapi_is_dns1035_label("1abc", m), 1);
    assert_string_equal(m[0], "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                              "with an alphabetic character, and end with an alphanumeric character (e.g. "
                              "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
}

static void test_name_rules(void **state)
{
    const char *m[KAPI_NAME_MSGS_MAX];
    /* generateName may end in '-'. */
    assert_int_equal(kapi_name_dns_subdomain("web-", true, m), 0);
    assert_int_equal(kapi_name_dns_subdomain("web-", false, m), 1);
    assert_int_equal(kapi_name_dns_label("web-", true, m), 0);
    assert_int_equal(kapi_name_dns_label("-", true, m), 1); /* only masked when longer than 1 */
    assert_int_equal(kapi_name_dns1035_label("a-", true, m), 0);
    /* Masking shortens the prefix by one byte, so 254 bytes ending in '-' pass. */
    char *p = rep('a', 254);
    p[253] = '-';
    assert_int_equal(kapi_name_dns_subdomain(p, true, m), 0);

    assert_int_equal(kapi_name_path_segment("ok:name", false, m), 0);
    assert_int_equal(kapi_name_path_segment(".", false, m), 1);
    assert_string_equal(m[0], "may not be '.'");
    assert_int_equal(kapi_name_path_segment("..", false, m), 1);
    assert_string_equal(m[0], "may not be '..'");
    assert_int_equal(kapi_name_path_segment("..", true, m), 0);
    assert_int_equal(kapi_name_path_segment("a/b%c", false, m), 2);
    assert_string_equal(m[0], "may not contain '/'");
    assert_string_equal(m[1], "may not contain '%'");
}

static void test_qualified_names(void **state)
{
    const char *m[KAPI_NAME_MSGS_MAX];
    const char *good[] = {"simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
                          "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple",
                          "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678",
                          "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "requests.storage-foo",
                          rep('a', 63), kapi_pool_printf(pool, "%s/%s", rep('a', 253), rep('b', 63))};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(good); i++)
        if (kapi_is_qualified_name(good[i], m))
            fail_msg("'%s' rejected: %s", good[i], m[0]);
    const char *bad[] = {"nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-", "only/one/slash",
                         "Example.com/abc", "example_com/abc", "example.com/", "/simple", rep('a', 64),
                         kapi_pool_printf(pool, "%s/abc", rep('a', 254))};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad); i++)
        if (!kapi_is_qualified_name(bad[i], m))
            fail_msg("'%s' accepted", bad[i]);

    assert_int_equal(kapi_is_qualified_name("/", m), 3);
    assert_string_equal(m[0], "prefix part must be non-empty");
    assert_string_equal(m[1], "name part must be non-empty");
    assert_string_equal(m[2], "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                              "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                              "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    assert_int_equal(kapi_is_qualified_name("Example.com/abc", m), 1);
    assert_string_equal(m[0], "prefix part " SUBDOMAIN_MSG);
    assert_int_equal(kapi_is_qualified_name(rep('a', 64), m), 1);
    assert_string_equal(m[0], "name part must be no more than 63 characters");

    const char *good_values[] = {"simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234",
                                 rep('a', 63), "", "Uppercase_Is_OK_123"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(good_values); i++)
        assert_int_equal(kapi_is_label_value(good_values[i], m), 0);
    const char *bad_values[] = {"nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun", "\\backslashes\\are\\bad",
                                "-starts-with-dash", "ends-with-dash-", ".starts.with.dot", "ends.with.dot."};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad_values); i++)
        assert_int_equal(kapi_is_label_value(bad_values[i], m), 1);
    assert_int_equal(kapi_is_label_value(rep('a', 64), m), 1);
    assert_string_equal(m[0], "must be no more than 63 characters");
}

static void test_generate_name(void **state)
{
    char *n = kapi_generate_name(pool, "web-");
    assert_int_equal(strlen(n), 9);
    assert_memory_equal(n, "web-", 4);
    for (int i = 4; i < 9; i++)
        assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", n[i]));
    n = kapi_generate_name(pool, rep('x', 100));
    assert_int_equal(strlen(n), 63);
    assert_memory_equal(n, rep('x', 58), 58);
    /* Two draws practically never collide (27^5 possibilities). */
    assert_string_not_equal(kapi_generate_name(pool, "a-"), kapi_generate_name(pool, "a-"));
}

static void test_go_quote(void **state)
{
    assert_string_equal(kapi_go_quote(pool, "Foo", 3), "\"Foo\"");
    assert_string_equal(kapi_go_quote(pool, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(kapi_go_quote(pool, "\a\b\f\n\r\t\v\x01\x7f", 9), "\"\\a\\b\\f\\n\\r\\t\\v\\x01\\x7f\"");
    assert_string_equal(kapi_go_quote(pool, "r\xc4\x81", 3), "\"r\xc4\x81\"");       /* rā */
    assert_string_equal(kapi_go_quote(pool, "\xff\xc3", 2), "\"\\xff\\xc3\"");         /* invalid UTF-8 */
    assert_string_equal(kapi_go_quote(pool, "\xc2\xa0", 2), "\"\\u00a0\"");            /* NBSP */
    assert_string_equal(kapi_go_quote(pool, "\xe2\x80\x8b", 3), "\"\\u200b\"");        /* ZWSP */
    assert_string_equal(kapi_go_quote(pool, "\xf3\xb0\x80\x80", 4), "\"\\U000f0000\"");/* private use */
    assert_string_equal(kapi_go_quote(pool, "\xed\xa0\x80", 3), "\"\\xed\\xa0\\x80\""); /* surrogate */
    assert_string_equal(kapi_go_quote(pool, "a\0b", 3), "\"a\\x00b\"");
    const char *items[] = {"orphan", "x\"y"};
    assert_string_equal(kapi_go_string_slice(pool, items, 2), "[]string{\"orphan\", \"x\\\"y\"}");
    assert_string_equal(kapi_go_string_slice(pool, items, 0), "[]string(nil)");
}

static const char *last_error(const struct kapi_field_errors *errs)
{
    return kapi_field_error_string(pool, &errs->items[errs->len - 1]);
}

static void test_field_errors(void **state)
{
    struct kapi_field_errors errs = {0};
    kapi_ferr_invalid(pool, &errs, "metadata.name", "Foo", "bad name");
    assert_string_equal(last_error(&errs), "metadata.name: Invalid value: \"Foo\": bad name");
    assert_string_equal(kapi_field_error_body(pool, &errs.items[0]), "Invalid value: \"Foo\": bad name");
    kapi_ferr_required(pool, &errs, "spec.x", NULL);
    assert_string_equal(last_error(&errs), "spec.x: Required value");
    kapi_ferr_required(pool, &errs, "metadata.name", "name or generateName is required");
    assert_string_equal(last_error(&errs), "metadata.name: Required value: name or generateName is required");
    const char *valid[] = {"Always", "IfNotPresent", "Never"};
    kapi_ferr_not_supported(pool, &errs, "spec.imagePullPolicy", "Sometimes", valid, 3);
    assert_string_equal(last_error(&errs), "spec.imagePullPolicy: Unsupported value: \"Sometimes\": supported "
                                           "values: \"Always\", \"IfNotPresent\", \"Never\"");
    kapi_ferr_not_supported(pool, &errs, "f", "x", NULL, 0);
    assert_string_equal(last_error(&errs), "f: Unsupported value: \"x\"");
    kapi_ferr_too_long(pool, &errs, "metadata.annotations", KAPI_ANNOTATIONS_MAX_BYTES);
    assert_string_equal(last_error(&errs), "metadata.annotations: Too long: may not be more than 262144 bytes");
    kapi_ferr_too_long(pool, &errs, "f", 1);
    assert_string_equal(last_error(&errs), "f: Too long: may not be more than 1 byte");
    kapi_ferr_too_long(pool, &errs, "f", -1);
    assert_string_equal(last_error(&errs), "f: Too long: value is too long");
    kapi_ferr_too_many(pool, &errs, "spec.items", 5, 3);
    assert_string_equal(last_error(&errs), "spec.items: Too many: 5: must have at most 3 items");
    kapi_ferr_too_many(pool, &errs, "spec.items", -1, 1);
    assert_string_equal(last_error(&errs), "spec.items: Too many: must have at most 1 item");
    kapi_ferr_duplicate(pool, &errs, "spec.ports[1].name", "http");
    assert_string_equal(last_error(&errs), "spec.ports[1].name: Duplicate value: \"http\"");
    kapi_ferr_forbidden(pool, &errs, "metadata.namespace", "not allowed on this type");
    assert_string_equal(last_error(&errs), "metadata.namespace: Forbidden: not allowed on this type");
    kapi_ferr_not_found(pool, &errs, "spec.x", "y");
    assert_string_equal(last_error(&errs), "spec.x: Not found: \"y\"");
    kapi_ferr_internal(pool, &errs, "metadata.name", "boom");
    assert_string_equal(last_error(&errs), "metadata.name: Internal error: boom");
    kapi_ferr_invalid_int(pool, &errs, "metadata.generation", -1, "must be greater than or equal to 0");
    assert_string_equal(last_error(&errs), "metadata.generation: Invalid value: -1: must be greater than or equal to 0");
    kapi_ferr_add(pool, &errs, KAPI_FERR_TYPE_INVALID, "spec.replicas", "\"x\"", "must be of type integer");
    assert_string_equal(last_error(&errs), "spec.replicas: Invalid value: \"x\": must be of type integer");
    assert_string_equal(kapi_field_error_type_text(KAPI_FERR_TOO_MANY), "Too many");
    assert_null(kapi_field_error_type_text("Nope"));

    /* Aggregates: empty, single, several, duplicates dropped. */
    struct kapi_field_errors agg = {0};
    assert_string_equal(kapi_field_errors_aggregate(pool, &agg), "");
    kapi_ferr_required(pool, &agg, "a", NULL);
    assert_string_equal(kapi_field_errors_aggregate(pool, &agg), "a: Required value");
    kapi_ferr_required(pool, &agg, "a", NULL);
    assert_string_equal(kapi_field_errors_aggregate(pool, &agg), "a: Required value");
    kapi_ferr_required(pool, &agg, "b", NULL);
    assert_string_equal(kapi_field_errors_aggregate(pool, &agg), "[a: Required value, b: Required value]");
    /* Many appends grow the list. */
    for (int i = 0; i < 40; i++)
        kapi_ferr_required(pool, &agg, kapi_pool_printf(pool, "f%d", i), NULL);
    assert_int_equal(agg.len, 43);
    assert_string_equal(agg.items[42].field, "f39");
}

static struct kapi_value *json(const char *text)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, text, strlen(text), NULL, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, err.msg);
    return v;
}

static const char *validate(const char *meta_json, kapi_name_fn fn, bool namespaced)
{
    struct kapi_field_errors errs = {0};
    kapi_validate_object_meta(pool, json(meta_json), fn, namespaced, &errs);
    return kapi_field_errors_aggregate(pool, &errs);
}

static void test_object_meta(void **state)
{
    assert_string_equal(validate("{\"name\":\"web\",\"namespace\":\"default\"}", kapi_name_dns_subdomain, true), "");
    assert_string_equal(validate("{\"namespace\":\"default\"}", kapi_name_dns_subdomain, true),
                        "metadata.name: Required value: name or generateName is required");
    assert_string_equal(validate("{\"name\":\"Foo\",\"namespace\":\"default\"}", kapi_name_dns_subdomain, true),
                        "metadata.name: Invalid value: \"Foo\": " SUBDOMAIN_MSG);
    assert_string_equal(validate("{\"name\":\"web\"}", kapi_name_dns_subdomain, true),
                        "metadata.namespace: Required value");
    assert_string_equal(validate("{\"name\":\"web\",\"namespace\":\"x\"}", kapi_name_dns_subdomain, false),
                        "metadata.namespace: Forbidden: not allowed on this type");
    assert_string_equal(validate("{\"name\":\"web\",\"namespace\":\"a.b\"}", kapi_name_dns_subdomain, true),
                        "metadata.namespace: Invalid value: \"a.b\": must not contain dots");
    /* generateName is checked as a prefix, then the generated name. */
    assert_string_equal(validate("{\"generateName\":\"web-\",\"name\":\"web-abcde\"}", kapi_name_dns_subdomain, false),
                        "");
    assert_string_equal(validate("{\"generateName\":\"Web-\",\"name\":\"Web-abcde\"}", kapi_name_dns_label, false),
                        "[metadata.generateName: Invalid value: \"Web-\": " LABEL_MSG
                        ", metadata.name: Invalid value: \"Web-abcde\": " LABEL_MSG "]");
    assert_string_equal(validate("{\"name\":\"..\"}", kapi_name_path_segment, false),
                        "metadata.name: Invalid value: \"..\": may not be '..'");
    assert_string_equal(validate("{\"name\":\"a\",\"generation\":-1}", kapi_name_dns_subdomain, false),
                        "metadata.generation: Invalid value: -1: must be greater than or equal to 0");
    assert_string_equal(validate("{\"name\":\"a\",\"labels\":{\"a b\":\"-x\"}}", kapi_name_dns_subdomain, false),
                        "[metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric "
                        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), metadata.labels: Invalid value: \"-x\": "
                        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                        "'my_value',  or '12345', regex used for validation is "
                        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]");
    /* Annotation keys are compared lower-cased; the message shows the original. */
    assert_string_equal(validate("{\"name\":\"a\",\"annotations\":{\"Example.com/X\":\"1\"}}", kapi_name_dns_subdomain,
                                 false),
                        "");
    assert_string_equal(validate("{\"name\":\"a\",\"annotations\":{\"a/b/c\":\"1\"}}", kapi_name_dns_subdomain, false),
                        "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of "
                        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                        "(e.g. 'example.com/MyName')");
    /* Total size: key + value bytes, limit inclusive. */
    char *big = kapi_pool_printf(pool, "{\"name\":\"a\",\"annotations\":{\"a\":\"%s\"}}", rep('b', 262143));
    assert_string_equal(validate(big, kapi_name_dns_subdomain, false), "");
    big = kapi_pool_printf(pool, "{\"name\":\"a\",\"annotations\":{\"a\":\"%s\"}}", rep('b', 262144));
    assert_string_equal(validate(big, kapi_name_dns_subdomain, false),
                        "metadata.annotations: Too long: may not be more than 262144 bytes");
    big = kapi_pool_printf(pool, "{\"name\":\"a\",\"annotations\":{\"a\":\"%s\",\"c\":\"%s\"}}",
                           rep('b', 131071), rep('d', 131071));
    assert_string_equal(validate(big, kapi_name_dns_subdomain, false), "");

    assert_string_equal(validate("{\"name\":\"a\",\"finalizers\":[\"kubernetes.io/pv-protection\",\"a/b/c\"]}",
                                 kapi_name_dns_subdomain, false),
                        "metadata.finalizers: Invalid value: \"a/b/c\": a qualified name must consist of "
                        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                        "(e.g. 'example.com/MyName')");
    assert_string_equal(validate("{\"name\":\"a\",\"finalizers\":[\"orphan\",\"foregroundDeletion\"]}",
                                 kapi_name_dns_subdomain, false),
                        "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: "
                        "finalizer orphan and foregroundDeletion cannot be both set");
    assert_string_equal(
        validate("{\"name\":\"a\",\"ownerReferences\":[{\"apiVersion\":\"apps/\",\"kind\":\"\",\"name\":\"\",\"uid\":\"\"}]}",
                 kapi_name_dns_subdomain, false),
        "[metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty, "
        "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty, metadata.ownerReferences.name: "
        "Invalid value: \"\": must not be empty, metadata.ownerReferences.uid: Invalid value: \"\": must not be empty]");
    assert_string_equal(
        validate("{\"name\":\"a\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"A\",\"name\":\"x\",\"uid\":\"1\","
                 "\"controller\":true},{\"apiVersion\":\"v1\",\"kind\":\"B\",\"name\":\"y\",\"uid\":\"2\",\"controller\":true}]}",
                 kapi_name_dns_subdomain, false),
        "metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\", "
        "Kind:\"A\", Name:\"x\", UID:\"1\", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}, "
        "v1.OwnerReference{APIVersion:\"v1\", Kind:\"B\", Name:\"y\", UID:\"2\", Controller:(*bool)(0xc000000000), "
        "BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can have Controller set to true. Found \"true\" in "
        "references for A/x and B/y");
    const char *ev = validate("{\"name\":\"a\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Event\","
                              "\"name\":\"x\",\"uid\":\"1\"}]}",
                              kapi_name_dns_subdomain, false);
    assert_non_null(strstr(ev, ": /v1, Kind=Event is disallowed from being an owner"));
    assert_string_equal(
        validate("{\"name\":\"a\",\"managedFields\":[{\"manager\":\"m\",\"operation\":\"Apply\",\"fieldsType\":\"FieldsV1\"},"
                 "{\"manager\":\"m\",\"operation\":\"Merge\",\"fieldsType\":\"FieldsV2\"}]}",
                 kapi_name_dns_subdomain, false),
        "[metadata.managedFields[1].operation: Invalid value: \"Merge\": must be `Apply` or `Update`, "
        "metadata.managedFields[1].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`]");
    {
        /* every check of an entry, each with the entry's own index */
        char long_m[130], long_s[258];
        memset(long_m, 'm', 129);
        long_m[129] = 0;
        memset(long_s, 's', 257);
        long_s[257] = 0;
        char *in = kapi_pool_printf(pool,
                                    "{\"name\":\"a\",\"managedFields\":[{\"manager\":\"ok\",\"operation\":\"Update\"},"
                                    "{\"manager\":\"%s\",\"operation\":\"Update\",\"subresource\":\"%s\"},"
                                    "{\"manager\":\"a\\u0001\",\"operation\":\"Apply\"}]}",
                                    long_m, long_s);
        assert_string_equal(validate(in, kapi_name_dns_subdomain, false),
                            "[metadata.managedFields[1].manager: Too long: may not be more than 128 bytes, "
                            "metadata.managedFields[1].subresource: Too long: may not be more than 256 bytes, "
                            "metadata.managedFields[2].manager: Invalid value: \"a\\x01\": all characters must be "
                            "printable]");
    }
    /* No metadata at all. */
    struct kapi_field_errors errs = {0};
    kapi_validate_object_meta(pool, NULL, kapi_name_dns_subdomain, true, &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs),
                        "[metadata.name: Required value: name or generateName is required, metadata.namespace: "
                        "Required value]");
}

static const char *validate_update(const char *new_json, const char *old_json)
{
    struct kapi_field_errors errs = {0};
    kapi_validate_object_meta_update(pool, json(new_json), json(old_json), &errs);
    return kapi_field_errors_aggregate(pool, &errs);
}

static void test_object_meta_update(void **state)
{
    const char *old = "{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u1\",\"resourceVersion\":\"5\",\"generation\":3,"
                      "\"creationTimestamp\":\"2024-01-02T03:04:05Z\"}";
    assert_string_equal(validate_update(old, old), "");
    assert_string_equal(validate_update("{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u1\",\"generation\":3,"
                                        "\"creationTimestamp\":\"2024-01-02T03:04:05Z\"}",
                                        old),
                        "metadata.resourceVersion: Invalid value: \"\": must be specified for an update");
    assert_string_equal(validate_update("{\"name\":\"b\",\"namespace\":\"n\",\"uid\":\"u2\",\"resourceVersion\":\"5\","
                                        "\"generation\":2,\"creationTimestamp\":\"2025-01-02T03:04:05Z\"}",
                                        old),
                        "[metadata.generation: Invalid value: 2: must not be decremented, metadata.name: Invalid "
                        "value: \"b\": field is immutable, metadata.uid: Invalid value: \"u2\": field is immutable, "
                        "metadata.creationTimestamp: Invalid value: 2025-01-02 03:04:05 +0000 UTC: field is "
                        "immutable]");
    const char *deleting = "{\"name\":\"a\",\"resourceVersion\":\"5\",\"deletionTimestamp\":\"2024-01-02T03:04:05Z\","
                           "\"finalizers\":[\"x\"]}";
    assert_string_equal(validate_update("{\"name\":\"a\",\"resourceVersion\":\"5\",\"deletionTimestamp\":"
                                        "\"2024-01-02T03:04:05Z\",\"finalizers\":[\"z\",\"x\",\"y\"]}",
                                        deleting),
                        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
                        "deleted, found new finalizers []string{\"y\", \"z\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qualified_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_go_quote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_meta_update, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
