/* Unit tests for schema/typed: encoding/json's type errors, strict-decoding
 * findings and their paths, canonical member order, nulls, special types,
 * and (when ../shared is present) upstream's fixtures: each shuffled object
 * must come back byte-identical after kapi_typed_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "codec/json.h"
#include "schema/quantity.h"
#include "schema/schema.h"
#include "schema/typed.h"

static const char *kind_group(const char *kind)
{
    return strcmp(kind, "Deployment") == 0 || strcmp(kind, "StatefulSet") == 0 ||
                   strcmp(kind, "ControllerRevision") == 0
               ? "apps"
               : "";
}

struct run {
    struct kapi_pool *pool;
    struct kapi_value *v;
    struct kapi_typed_result res;
    int rc;
    char *out;  /* compact JSON after the check (pool) */
};

static void run_check(struct run *r, const char *group, const char *version, const char *kind,
                      const char *json)
{
    r->pool = kapi_pool_new();
    struct kapi_json_dup *dups = NULL;
    struct kapi_json_opts opts = {.dups = &dups};
    struct kapi_json_error err;
    r->v = kapi_json_parse(r->pool, json, strlen(json), &opts, &err);
    assert_non_null(r->v);
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, version, kind);
    assert_non_null(m);
    r->rc = kapi_typed_check(r->pool, m, r->v, dups, &r->res);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, r->v);
    r->out = kapi_pool_strndup(r->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
}

static void expect_error(const char *kind, const char *json, const char *msg)
{
    struct run r;
    const char *group = kind_group(kind);
    run_check(&r, group, "v1", kind, json);
    assert_int_equal(r.rc, -1);
    assert_non_null(r.res.type_error);
    assert_string_equal(r.res.type_error, msg);
    kapi_pool_free(r.pool);
}

static void expect_output(const char *kind, const char *json, const char *want)
{
    struct run r;
    const char *group = kind_group(kind);
    run_check(&r, group, "v1", kind, json);
    if (r.rc != 0)
        fail_msg("unexpected error: %s", r.res.type_error);
    assert_string_equal(r.out, want);
    kapi_pool_free(r.pool);
}

static void test_type_errors(void **state)
{
    (void)state;
    expect_error("Deployment", "{\"spec\":{\"replicas\":\"3\"}}",
                 "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32");
    expect_error("Deployment", "{\"spec\":{\"replicas\":3000000000}}",
                 "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32");
    expect_error("Deployment", "{\"spec\":{\"replicas\":1.5}}",
                 "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32");
    expect_error("Deployment", "{\"spec\":{\"replicas\":true}}",
                 "json: cannot unmarshal bool into Go struct field DeploymentSpec.spec.replicas of type int32");
    expect_error("Pod", "{\"metadata\":{\"name\":5}}",
                 "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string");
    expect_error("Pod", "{\"metadata\":{\"name\":{}}}",
                 "json: cannot unmarshal object into Go struct field ObjectMeta.metadata.name of type string");
    expect_error("Pod", "{\"metadata\":{\"labels\":[]}}",
                 "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string");
    expect_error("Pod", "{\"metadata\":{\"labels\":{\"a\":1}}}",
                 "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
    /* array indices are not part of Go's field path; the innermost struct is */
    expect_error("Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":7}]}}",
                 "json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string");
    expect_error("Pod", "{\"spec\":{\"containers\":{}}}",
                 "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container");
    expect_error("Pod", "{\"spec\":{\"containers\":[\"x\"]}}",
                 "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container");
    expect_error("Pod", "{\"spec\":\"x\"}",
                 "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec");
    expect_error("Pod", "{\"kind\":1}",
                 "json: cannot unmarshal number into Go struct field Pod.kind of type string");
    expect_error("Pod", "[]", "json: cannot unmarshal array into Go value of type v1.Pod");
    expect_error("Pod", "{\"spec\":{\"hostNetwork\":\"yes\"}}",
                 "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool");
    /* inline (embedded) structs: the outer struct names the field */
    expect_error("Pod", "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":\"x\"}]}}",
                 "json: cannot unmarshal string into Go struct field Volume.spec.volumes.hostPath of type v1.HostPathVolumeSource");
    expect_error("Pod", "{\"spec\":{\"containers\":[{\"resources\":{\"limits\":[]}}]}}",
                 "json: cannot unmarshal array into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList");
    /* Secret data is []byte: base64 errors carry no field context */
    expect_error("Secret", "{\"data\":{\"a\":\"not base64\"}}", "illegal base64 data at input byte 3");
    expect_error("Secret", "{\"data\":{\"a\":\"abc\"}}", "illegal base64 data at input byte 0");
}

static void test_unmarshaler_errors(void **state)
{
    (void)state;
    /* IntOrString decodes a non-string as int32; Go adds the outer context */
    expect_error("Service", "{\"spec\":{\"ports\":[{\"targetPort\":true}]}}",
                 "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32");
    expect_error("Service", "{\"spec\":{\"ports\":[{\"targetPort\":1.5}]}}",
                 "json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.targetPort of type int32");
    expect_error("Pod", "{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":\"1x\"}}}]}}",
                 "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect_error("Pod", "{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":true}}}]}}",
                 "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":5}}",
                 "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"yesterday\"}}",
                 "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\"");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-01-02 03:04:05Z\"}}",
                 "parsing time \"2024-01-02 03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 03:04:05Z\" as \"T\"");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-13-02T03:04:05Z\"}}",
                 "parsing time \"2024-13-02T03:04:05Z\": month out of range");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2023-02-29T03:04:05Z\"}}",
                 "parsing time \"2023-02-29T03:04:05Z\": day out of range");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-01-02T03:04:05Zjunk\"}}",
                 "parsing time \"2024-01-02T03:04:05Zjunk\": extra text: \"junk\"");
    /* an UnmarshalJSON error ends decoding and wins over an earlier type error */
    expect_error("Pod", "{\"metadata\":{\"name\":1,\"creationTimestamp\":\"x\"}}",
                 "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\"");
    /* otherwise the first type error is the one reported */
    expect_error("Pod", "{\"metadata\":{\"name\":1,\"namespace\":2}}",
                 "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string");
}

static void expect_strict(const char *kind, const char *json, const char *const *want, size_t n)
{
    struct run r;
    const char *group = kind_group(kind);
    run_check(&r, group, "v1", kind, json);
    assert_int_equal(r.rc, 0);
    if (r.res.nunknown != n) {
        for (size_t i = 0; i < r.res.nunknown; i++)
            printf("  got: %s\n", r.res.unknown[i]);
        fail_msg("want %zu findings, got %zu", n, r.res.nunknown);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r.res.unknown[i], want[i]);
    kapi_pool_free(r.pool);
}

static void test_unknown_and_duplicates(void **state)
{
    (void)state;
    static const char *const w1[] = {"unknown field \"spec.foo\""};
    expect_strict("Deployment", "{\"spec\":{\"foo\":1,\"replicas\":1}}", w1, 1);
    static const char *const w2[] = {"unknown field \"spec.template.spec.containers[1].foo\""};
    expect_strict("Deployment",
                  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"foo\":{\"x\":1}}]}}}}",
                  w2, 1);
    static const char *const w3[] = {"duplicate field \"metadata.name\"", "unknown field \"spec.foo\""};
    expect_strict("Pod", "{\"metadata\":{\"name\":\"a\",\"name\":\"b\"},\"spec\":{\"foo\":1}}", w3, 2);
    /* map keys: duplicates are reported with the key in the path */
    static const char *const w4[] = {"duplicate field \"metadata.labels.a\""};
    expect_strict("Pod", "{\"metadata\":{\"labels\":{\"a\":\"1\",\"a\":\"2\"}}}", w4, 1);
    /* nothing inside an unknown field or a RawExtension is looked at */
    expect_strict("Pod", "{\"foo\":{\"a\":1,\"a\":2,\"b\":{}}}",
                  (const char *const[]){"unknown field \"foo\""}, 1);
    expect_strict("ControllerRevision", "{\"data\":{\"a\":1,\"a\":2,\"zzz\":{}}}", NULL, 0);
    /* case matters: "Spec" is not "spec" */
    expect_strict("Pod", "{\"Spec\":{}}", (const char *const[]){"unknown field \"Spec\""}, 1);
    /* repeated unknown names are reported once */
    expect_strict("Pod", "{\"spec\":{\"containers\":[{\"x\":1,\"x\":2}]}}",
                  (const char *const[]){"unknown field \"spec.containers[0].x\""}, 1);
    /* embedded TypeMeta in nested kinds (StatefulSet's claim templates) */
    expect_strict("StatefulSet", "{\"spec\":{\"volumeClaimTemplates\":[{\"kind\":\"PersistentVolumeClaim\"}],"
                  "\"template\":{\"kind\":\"x\"}}}",
                  (const char *const[]){"unknown field \"spec.template.kind\""}, 1);
}

static void test_strict_message(void **state)
{
    (void)state;
    struct run r;
    run_check(&r, "", "v1", "Pod", "{\"a\":1,\"metadata\":{\"b\":2}}");
    assert_int_equal(r.rc, 0);
    assert_string_equal(kapi_typed_strict_message(r.pool, &r.res),
                        "strict decoding error: unknown field \"a\", unknown field \"metadata.b\"");
    kapi_pool_free(r.pool);
    run_check(&r, "", "v1", "Pod", "{}");
    assert_null(kapi_typed_strict_message(r.pool, &r.res));
    kapi_pool_free(r.pool);
    enum kapi_field_validation fv;
    assert_int_equal(kapi_field_validation_parse("Strict", KAPI_FV_WARN, &fv), 0);
    assert_int_equal(fv, KAPI_FV_STRICT);
    assert_int_equal(kapi_field_validation_parse(NULL, KAPI_FV_WARN, &fv), 0);
    assert_int_equal(fv, KAPI_FV_WARN);
    assert_int_equal(kapi_field_validation_parse("strict", KAPI_FV_WARN, &fv), -1);
}

static void test_canonical_output(void **state)
{
    (void)state;
    /* Go's field order, unknowns and nulls dropped, map keys sorted; an
     * ObjectMeta always carries creationTimestamp (null when unset) */
    expect_output("Pod",
                  "{\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"web\"}]},\"zzz\":1,"
                  "\"metadata\":{\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"name\":\"p\",\"namespace\":null},"
                  "\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
                  "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"creationTimestamp\":null,"
                  "\"labels\":{\"a\":\"1\",\"b\":\"2\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}");
    /* quantities (strings or numbers) in their canonical form */
    expect_output("Pod",
                  "{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"memory\":\"1024Mi\",\"cpu\":\"1000m\"},"
                  "\"limits\":{\"cpu\":0.5,\"memory\":2,\"x\":\" 1.5Gi \"}}}]}}",
                  "{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"2\",\"x\":\"1536Mi\"},"
                  "\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}");
    /* times in UTC, seconds; Go's zero time is null */
    expect_output("Pod",
                  "{\"metadata\":{\"creationTimestamp\":\"2024-01-02T03:04:05.123+01:30\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"2024-01-02T01:34:05Z\"}}");
    expect_output("Pod", "{\"metadata\":{\"deletionTimestamp\":\"0001-01-01T00:00:00Z\"}}",
                  "{\"metadata\":{\"creationTimestamp\":null}}");
    /* inline struct fields sit at the embedding position (Volume: name, then the source) */
    expect_output("Pod", "{\"spec\":{\"volumes\":[{\"emptyDir\":{},\"name\":\"v\"}]}}",
                  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}");
    /* nulls inside arrays and maps become Go's zero values */
    expect_output("Pod", "{\"metadata\":{\"finalizers\":[null],\"labels\":{\"a\":null}}}",
                  "{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"a\":\"\"},\"finalizers\":[\"\"]}}");
    /* IntOrString keeps its JSON type; bytes are re-encoded canonically */
    expect_output("Service", "{\"spec\":{\"ports\":[{\"targetPort\":\"http\",\"port\":80}]}}",
                  "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":\"http\"}]}}");
    expect_output("Secret", "{\"data\":{\"a\":\"YR==\",\"b\":\"YQ==\\n\"}}", "{\"data\":{\"a\":\"YQ==\",\"b\":\"YQ==\"}}");
    /* raw extensions are kept verbatim */
    expect_output("ControllerRevision", "{\"data\":{\"z\":1,\"a\":{\"y\":null}},\"revision\":2}",
                  "{\"data\":{\"z\":1,\"a\":{\"y\":null}},\"revision\":2}");
}

/* The shortcuts (plain leaves, string maps, the expanded-field index with
 * inline structs, canonical timestamps kept as sent) give what the full walk
 * gives: a body in canonical order and the same body shuffled come out
 * byte-identical, and findings keep their document order. */
/* Quantities the check rewrites keep their text (as decoded, spaces
 * trimmed) in the pool's side table; canonical ones get no entry. */
static void test_quantity_originals(void **state)
{
    (void)state;
    struct run r;
    run_check(&r, "", "v1", "Pod",
              "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"a.io/x\":\"1.5\","
              "\"b.io/y\":1.5,\"c.io/z\":\" 2 \",\"d.io/w\":\"500m\",\"e.io/v\":\" 0.5Ki\",\"f.io/u\":3,"
              "\"g.io/t\":\"1000m\"}}}]}}");
    assert_int_equal(r.rc, 0);
    const struct kapi_value *lim = kapi_value_path(r.v, "spec", "containers", NULL)->u.arr.items[0];
    lim = kapi_value_path(lim, "resources", "limits", NULL);
    static const char *const want[][3] = {
        {"a.io/x", "1500m", "1.5"}, {"b.io/y", "1500m", "1.5"}, {"c.io/z", "2", NULL}, {"d.io/w", "500m", NULL},
        {"e.io/v", "512", "0.5Ki"}, {"f.io/u", "3", NULL},      {"g.io/t", "1", "1000m"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const struct kapi_value *v = kapi_obj_get(lim, want[i][0]);
        assert_non_null(v);
        assert_string_equal(kapi_value_cstr(v), want[i][1]);
        const char *o = kapi_quantity_original(r.pool, v);
        if (want[i][2])
            assert_string_equal(o, want[i][2]);
        else if (o)
            fail_msg("%s: unexpected original %s", want[i][0], o);
    }
    kapi_pool_free(r.pool);
}

static void test_fast_paths(void **state)
{
    (void)state;
    static const char canon[] =
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"2026-11-27T10:00:00Z\","
        "\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\","
        "\"defaultMode\":420}}],\"containers\":[{\"name\":\"web\",\"image\":\"i\",\"ports\":[{\"containerPort\":80,"
        "\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":\"500m\"}},\"livenessProbe\":{\"httpGet\":{\"path\":\"/\","
        "\"port\":80},\"periodSeconds\":10},\"stdin\":true}],\"priority\":0}}";
    static const char shuffled[] =
        "{\"spec\":{\"priority\":0,\"containers\":[{\"stdin\":true,\"livenessProbe\":{\"periodSeconds\":10,\"httpGet\":"
        "{\"port\":80,\"path\":\"/\"}},\"resources\":{\"limits\":{\"cpu\":\"500m\"}},\"ports\":[{\"protocol\":\"TCP\","
        "\"containerPort\":80}],\"image\":\"i\",\"name\":\"web\"}],\"volumes\":[{\"configMap\":{\"defaultMode\":420,"
        "\"name\":\"c\"},\"name\":\"v\"}]},\"metadata\":{\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"creationTimestamp\":"
        "\"2026-11-27T10:00:00Z\",\"name\":\"p\"},\"apiVersion\":\"v1\",\"kind\":\"Pod\"}";
    expect_output("Pod", canon, canon);
    expect_output("Pod", shuffled, canon);
    /* a timestamp that is not canonical is still rewritten */
    expect_output("Pod", "{\"metadata\":{\"creationTimestamp\":\"2026-11-27T11:00:00+01:00\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"2026-11-27T10:00:00Z\"}}");
    expect_output("Pod", "{\"metadata\":{\"creationTimestamp\":\"2026-11-27T10:00:00.000Z\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"2026-11-27T10:00:00Z\"}}");
    /* times already in the written form are kept without a parse, but only
     * when valid and not Go's zero time (leap days, ranges, MicroTime) */
    expect_output("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-02-29T23:59:59Z\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"2024-02-29T23:59:59Z\"}}");
    expect_output("Pod", "{\"metadata\":{\"creationTimestamp\":\"2000-02-29T00:00:00Z\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"2000-02-29T00:00:00Z\"}}");
    expect_output("Pod", "{\"metadata\":{\"creationTimestamp\":\"0000-01-01T00:00:00Z\"}}",
                  "{\"metadata\":{\"creationTimestamp\":\"0000-01-01T00:00:00Z\"}}");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2100-02-29T00:00:00Z\"}}",
                 "parsing time \"2100-02-29T00:00:00Z\": day out of range");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-04-31T00:00:00Z\"}}",
                 "parsing time \"2024-04-31T00:00:00Z\": day out of range");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-01-02T24:00:00Z\"}}",
                 "parsing time \"2024-01-02T24:00:00Z\": hour out of range");
    expect_error("Pod", "{\"metadata\":{\"creationTimestamp\":\"2024-01-02T23:60:00Z\"}}",
                 "parsing time \"2024-01-02T23:60:00Z\": minute out of range");
    expect_output("Event", "{\"eventTime\":\"2024-01-02T03:04:05.123456Z\"}",
                  "{\"eventTime\":\"2024-01-02T03:04:05.123456Z\"}");
    expect_output("Event", "{\"eventTime\":\"2024-01-02T03:04:05,123456Z\"}",
                  "{\"eventTime\":\"2024-01-02T03:04:05.123456Z\"}");
    expect_output("Event", "{\"eventTime\":\"0001-01-01T00:00:00.000000Z\",\"count\":1}", "{\"count\":1}");
    expect_output("Event", "{\"eventTime\":\"0001-01-01T00:00:00.000001Z\"}",
                  "{\"eventTime\":\"0001-01-01T00:00:00.000001Z\"}");
    /* leaves of the wrong type still fail with the field's path */
    expect_error("Pod", "{\"spec\":{\"priority\":\"x\"}}",
                 "json: cannot unmarshal string into Go struct field PodSpec.spec.priority of type int32");
    expect_error("Pod", "{\"spec\":{\"priority\":4294967296}}",
                 "json: cannot unmarshal number 4294967296 into Go struct field PodSpec.spec.priority of type int32");
    expect_error("Pod", "{\"metadata\":{\"labels\":{\"a\":1}}}",
                 "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
    expect_error("Pod", "{\"spec\":{\"volumes\":[{\"configMap\":{\"defaultMode\":\"x\"}}]}}",
                 "json: cannot unmarshal string into Go struct field ConfigMapVolumeSource.spec.volumes.configMap.defaultMode of type int32");
    /* unknown fields without duplicates (the shortcuts stay on) */
    static const char *const w1[] = {"unknown field \"spec.containers[0].zz\"", "unknown field \"spec.yy\"",
                                     "unknown field \"metadata.xx\""};
    expect_strict("Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"zz\":1,\"image\":\"i\"}],\"yy\":2},"
                  "\"metadata\":{\"name\":\"n\",\"xx\":{}}}", w1, 3);
    /* with duplicates (the shortcuts step aside): the same order */
    static const char *const w2[] = {"duplicate field \"spec.containers[0].name\"", "unknown field \"spec.containers[0].zz\"",
                                     "unknown field \"spec.yy\"", "duplicate field \"metadata.labels.a\"",
                                     "unknown field \"metadata.xx\""};
    expect_strict("Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"zz\":1,\"image\":\"i\",\"name\":\"b\"}],\"yy\":2},"
                  "\"metadata\":{\"labels\":{\"a\":\"1\",\"a\":\"2\"},\"name\":\"n\",\"xx\":{}}}", w2, 5);
}

/* ---- upstream fixtures ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}

static void shuffle_members(struct kapi_value *v)
{
    size_t n = v->u.obj.len;
    for (size_t i = n; i > 1; i--) {
        size_t j = rng() % i;
        struct kapi_member t = v->u.obj.members[i - 1];
        v->u.obj.members[i - 1] = v->u.obj.members[j];
        v->u.obj.members[j] = t;
    }
}

static void shuffle(struct kapi_value *v, const struct kapi_schema_msg *m);

static void shuffle_elem(struct kapi_value *v, const struct kapi_schema_field *f)
{
    const struct kapi_schema_msg *em = kapi_schema_field_msg(f);
    if (!em)
        return;
    if (em->special == KAPI_SCHEMA_PLAIN && !(em->flags & KAPI_SCHEMA_M_SLICE)) {
        shuffle(v, em);
    } else if (em->special >= KAPI_SCHEMA_PROPS_OR_BOOL) {
        const struct kapi_schema_field *sf = kapi_schema_field_by_name(em, "schema", 6);
        if (v->type == KAPI_V_OBJECT)
            shuffle(v, kapi_schema_field_msg(sf));
        else if (v->type == KAPI_V_ARRAY)
            for (size_t i = 0; i < v->u.arr.len; i++)
                shuffle(v->u.arr.items[i], kapi_schema_field_msg(sf));
    }
    /* raw extensions and JSON values are kept as sent: not shuffled */
}

/* Shuffles the members of every object Go would reorder on output. */
static void shuffle(struct kapi_value *v, const struct kapi_schema_msg *m)
{
    if (!m || v->type != KAPI_V_OBJECT)
        return;
    shuffle_members(v);
    for (size_t i = 0; i < v->u.obj.len; i++) {
        struct kapi_member *mem = &v->u.obj.members[i];
        const struct kapi_schema_field *f = kapi_schema_field_lookup(m, mem->key, mem->klen, NULL);
        if (!f)
            continue;
        if (f->flags & KAPI_SCHEMA_F_MAP) {
            if (mem->val->type != KAPI_V_OBJECT)
                continue;
            shuffle_members(mem->val);
            for (size_t j = 0; j < mem->val->u.obj.len; j++)
                shuffle_elem(mem->val->u.obj.members[j].val, f);
        } else if (f->flags & KAPI_SCHEMA_F_REPEATED) {
            if (mem->val->type != KAPI_V_ARRAY)
                continue;
            for (size_t j = 0; j < mem->val->u.arr.len; j++)
                shuffle_elem(mem->val->u.arr.items[j], f);
        } else {
            shuffle_elem(mem->val, f);
        }
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    *len = got;
    return buf;
}

static void test_fixtures(void **state)
{
    (void)state;
    static const char *cands[] = {"../shared/k8s-api/v1.33/testdata", "/work/shared/k8s-api/v1.33/testdata"};
    const char *dir = NULL;
    DIR *d = NULL;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cands) && !d; i++)
        if ((d = opendir(cands[i])))
            dir = cands[i];
    if (!d) {
        printf("SKIPPED: ../shared absent (k8s-api/v1.33/testdata); canonical order fixtures not checked\n");
        return;
    }
    size_t total = 0, ok = 0, nokind = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(nl - 5), de->d_name);
        /* <group>.<version>.<Kind>; group "core" is "" */
        char *k = strrchr(name, '.');
        if (!k)
            continue;
        *k++ = 0;
        char *ver = strrchr(name, '.');
        if (!ver)
            continue;
        *ver++ = 0;
        const char *group = strcmp(name, "core") == 0 ? "" : name;
        const struct kapi_schema_msg *m = kapi_schema_kind_find(group, ver, k);
        if (!m) {
            nokind++;
            continue;
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        size_t len = 0;
        char *data = read_all(path, &len);
        assert_non_null(data);
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error err;
        struct kapi_value *v = kapi_json_parse(pool, data, len, NULL, &err);
        assert_non_null(v);
        rng_state = 42;
        shuffle(v, m);
        struct kapi_typed_result res;
        int rc = kapi_typed_check(pool, m, v, NULL, &res);
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_json_write_indent(&b, v);
        size_t flen = len;
        while (flen && data[flen - 1] == '\n')
            flen--;
        size_t olen = b.len;
        while (olen && b.data[olen - 1] == '\n')
            olen--;
        total++;
        if (rc == 0 && res.nunknown == 0 && olen == flen && memcmp(b.data, data, flen) == 0) {
            ok++;
        } else {
            size_t i = 0;
            while (i < olen && i < flen && b.data[i] == data[i])
                i++;
            size_t from = i > 80 ? i - 80 : 0;
            printf("MISMATCH %s.%s.%s rc=%d err=%s unknown=%zu first=%s at %zu:\n  got: %.*s\n want: %.*s\n",
                   name, ver, k, rc, res.type_error ? res.type_error : "-", res.nunknown,
                   res.nunknown ? res.unknown[0] : "-", i,
                   (int)(i + 80 < olen ? 160 : olen - from), b.data + from,
                   (int)(i + 80 < flen ? 160 : flen - from), data + from);
        }
        kapi_buf_dispose(&b);
        kapi_pool_free(pool);
        free(data);
    }
    closedir(d);
    printf("typed fixtures: %zu of %zu byte-identical after shuffle+check (%zu without a kind message)\n",
           ok, total, nokind);
    assert_int_equal(ok, total);
}

/* Not a timing assertion: prints the cost of a check on a realistic Pod. */
static void test_speed_report(void **state)
{
    (void)state;
    static const char pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-7d4b9c8f6d-x2k9p\",\"generateName\":"
        "\"web-7d4b9c8f6d-\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"7d4b9c8f6d\"},"
        "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d4b9c8f6d\",\"uid\":"
        "\"3b1f9d7e-5c2a-4e8b-9f0d-1a2b3c4d5e6f\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{"
        "\"volumes\":[{\"name\":\"kube-api-access-abcde\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{"
        "\"expirationSeconds\":3607,\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":"
        "\"ca.crt\",\"path\":\"ca.crt\"}]}}],\"defaultMode\":420}}],\"containers\":[{\"name\":\"web\",\"image\":"
        "\"nginx:1.25\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
        "{\"name\":\"B\",\"value\":\"2\"}],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":"
        "{\"cpu\":\"250m\",\"memory\":\"64Mi\"}},\"volumeMounts\":[{\"name\":\"kube-api-access-abcde\",\"readOnly\":true,"
        "\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"livenessProbe\":{\"httpGet\":{\"path\":"
        "\"/healthz\",\"port\":80,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":3,\"timeoutSeconds\":1,\"periodSeconds\":"
        "10,\"successThreshold\":1,\"failureThreshold\":3},\"terminationMessagePath\":\"/dev/termination-log\","
        "\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
        "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\","
        "\"serviceAccount\":\"default\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"tolerations\":"
        "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":"
        "300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"}}";
    const struct kapi_schema_msg *m = kapi_schema_kind_find("", "v1", "Pod");
    assert_non_null(m);
    int iters = 20000;
    struct timespec a, b;
    double parse_ns = 0, check_ns = 0;
    for (int i = 0; i < iters; i++) {
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error err;
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct kapi_value *v = kapi_json_parse(pool, pod, sizeof(pod) - 1, NULL, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        parse_ns += (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        struct kapi_typed_result res;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = kapi_typed_check(pool, m, v, NULL, &res);
        clock_gettime(CLOCK_MONOTONIC, &b);
        check_ns += (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        assert_int_equal(rc, 0);
        assert_int_equal(res.nunknown, 0);
        kapi_pool_free(pool);
    }
    printf("typed check of a %zu-byte Pod: parse %.2f us, check %.2f us per call\n", sizeof(pod) - 1,
           parse_ns / iters / 1000, check_ns / iters / 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_unmarshaler_errors),
        cmocka_unit_test(test_unknown_and_duplicates),
        cmocka_unit_test(test_strict_message),
        cmocka_unit_test(test_canonical_output),
        cmocka_unit_test(test_fast_paths),
        cmocka_unit_test(test_quantity_originals),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_speed_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
