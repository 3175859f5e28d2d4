/* registry/validation: the status strategies of PersistentVolume, CronJob,
 * ServiceCIDR, VolumeAttachment, ValidatingAdmissionPolicy, FlowSchema and
 * PriorityLevelConfiguration on a write to /status (kube-apiserver 1.33's
 * field paths and messages), and what their PrepareForUpdate changes
 * before validation (kapi_kind_prepare_subresource). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/kinds.h"
#include "registry/registry.h"
#include "registry/validation.h"
#include "vtest.h"

static void check(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    bool handled = kapi_validate_subresource(pool, group, "v1", kind, "status", parse(pool, obj), parse(pool, old),
                                             &errs);
    assert_true(handled);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}

/* The causes (field: type) rather than the deduplicated message. */
static void check_count(const char *group, const char *kind, const char *obj, const char *old, size_t want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    assert_true(kapi_validate_subresource(pool, group, "v1", kind, "status", parse(pool, obj), parse(pool, old),
                                          &errs));
    assert_int_equal(errs.len, want);
    kapi_pool_free(pool);
}

static void test_persistent_volume(void **state)
{
    (void)state;
    const char *old = "{'metadata':{'name':'v','resourceVersion':'5'},'spec':{},'status':{'phase':'Available'}}";
    check("", "PersistentVolume",
          "{'metadata':{'name':'v','resourceVersion':'5'},'spec':{},'status':{'phase':'Bound'}}", old, "");
    /* ValidatePersistentVolumeStatusUpdate's one rule (the REST layer
     * normally fills the resourceVersion before validating) */
    check("", "PersistentVolume", "{'metadata':{'name':'v'},'spec':{},'status':{'phase':'Bound'}}", old,
          "resourceVersion: Required value");
}

static void test_nothing_beyond_metadata(void **state)
{
    (void)state;
    /* CronJob: the status strategy's ValidateUpdate returns no errors */
    check("batch", "CronJob",
          "{'metadata':{'name':'c'},'spec':{'schedule':'x'},'status':{'active':[{'kind':''}],"
          "'lastScheduleTime':'2024-01-02T03:04:05Z'}}",
          "{'metadata':{'name':'c'},'spec':{'schedule':'x'}}", "");
    /* ServiceCIDR: ValidateServiceCIDRStatusUpdate checks only ObjectMeta,
     * so even malformed metav1 conditions pass */
    check("networking.k8s.io", "ServiceCIDR",
          "{'metadata':{'name':'s'},'spec':{'cidrs':['10.0.0.0/24']},'status':{'conditions':[{'type':'bad type',"
          "'status':'Maybe'}]}}",
          "{'metadata':{'name':'s'},'spec':{'cidrs':['10.0.0.0/24']}}", "");
}

#define VA_OLD "{'metadata':{'name':'va'},'spec':{'attacher':'csi.example.com','nodeName':'n1','source':{'persistentVolumeName':'pv1'}}}"
#define VA(spec, status) "{'metadata':{'name':'va'},'spec':" spec ",'status':" status "}"
#define VA_SPEC "{'attacher':'csi.example.com','nodeName':'n1','source':{'persistentVolumeName':'pv1'}}"

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, ch, n);
    s[n] = 0;
    return s;
}

static void test_volume_attachment(void **state)
{
    (void)state;
    check("storage.k8s.io", "VolumeAttachment",
          VA(VA_SPEC, "{'attached':true,'attachmentMetadata':{'a':'b'},'attachError':{'message':'m','time':"
                      "'2024-01-02T03:04:05Z'}}"),
          VA_OLD, "");
    /* a message over 1024 bytes is reported with the 256 KiB limit, and
     * every error twice (ValidateVolumeAttachment runs twice upstream) */
    char *msg = repeat('x', 1025);
    struct kapi_pool *pool = kapi_pool_new();
    const char *obj = kapi_pool_printf(pool, VA(VA_SPEC, "{'attached':false,'detachError':{'message':'%s'}}"), msg);
    check("storage.k8s.io", "VolumeAttachment", obj, VA_OLD,
          "status.detachError.message: Too long: may not be more than 262144 bytes");
    check_count("storage.k8s.io", "VolumeAttachment", obj, VA_OLD, 2);
    check("storage.k8s.io", "VolumeAttachment", VA(VA_SPEC, "{'attachError':{'message':'m','errorCode':-1}}"), VA_OLD,
          "status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive");
    /* attachment metadata: keys and values together at most 256 KiB */
    char *big = repeat('v', 256 * 1024);
    obj = kapi_pool_printf(pool, VA(VA_SPEC, "{'attachmentMetadata':{'k':'%s'}}"), big);
    check("storage.k8s.io", "VolumeAttachment", obj, VA_OLD,
          "status.attachmentMetadata: Too long: may not be more than 262144 bytes");
    obj = kapi_pool_printf(pool, VA(VA_SPEC, "{'attachmentMetadata':{'%.*s':'v'}}"), 256 * 1024 - 1, big);
    check("storage.k8s.io", "VolumeAttachment", obj, VA_OLD, "");
    free(msg);
    free(big);
    kapi_pool_free(pool);
    /* the (stored) spec is validated too: attacher, source, nodeName */
#define BAD1 "{'attacher':'','nodeName':'N_1','source':{}}"
    check("storage.k8s.io", "VolumeAttachment", VA(BAD1, "{}"), VA(BAD1, "{}"),
          "[spec.attacher: Required value, spec.source: Required value: must specify exactly one of "
          "inlineVolumeSpec and persistentVolumeName, spec.nodeName: Invalid value: \"N_1\": a lowercase RFC 1123 "
          "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
    check_count("storage.k8s.io", "VolumeAttachment", VA(BAD1, "{}"), VA(BAD1, "{}"), 6);
#define BAD2 "{'attacher':'a','nodeName':'n','source':{'persistentVolumeName':'pv','inlineVolumeSpec':{}}}"
    check("storage.k8s.io", "VolumeAttachment", VA(BAD2, "{}"), VA(BAD2, "{}"),
          "spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName");
#define BAD3 "{'attacher':'a','nodeName':'n','source':{'persistentVolumeName':''}}"
    check("storage.k8s.io", "VolumeAttachment", VA(BAD3, "{}"), VA(BAD3, "{}"),
          "spec.source.persistentVolumeName: Required value: must specify non empty persistentVolumeName");
}

#define VAP(status) "{'metadata':{'name':'p'},'spec':{},'status':" status "}"
#define COND(extra) "{'type':'Ready','status':'True','reason':'Fine','lastTransitionTime':'2024-01-02T03:04:05Z'" extra "}"

static void test_validating_admission_policy(void **state)
{
    (void)state;
    const char *old = VAP("{}");
    check("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
          VAP("{'observedGeneration':1,'typeChecking':{'expressionWarnings':[{'fieldRef':'spec.validations[0].expression',"
              "'warning':'no such field'}]},'conditions':[" COND("") "]}"),
          old, "");
    check("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
          VAP("{'typeChecking':{'expressionWarnings':[{'fieldRef':'  ','warning':''},{'fieldRef':' spec.x[ ',"
              "'warning':'w'}]}}"),
          old,
          "[status.typeChecking.expressionWarnings[0].warning: Required value, "
          "status.typeChecking.expressionWarnings[0].fieldRef: Required value, "
          "status.typeChecking.expressionWarnings[1].fieldRef: Invalid value: \"spec.x[\": invalid JSONPath: "
          "unterminated array]");
    /* then metav1 ValidateConditions */
    check("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
          VAP("{'typeChecking':{'expressionWarnings':[{'fieldRef':'spec','warning':''}]},'conditions':["
              "{'type':'Ready','status':'Maybe','reason':'Fine','lastTransitionTime':'2024-01-02T03:04:05Z'},"
              COND(",'observedGeneration':-1") "]}"),
          old,
          "[status.typeChecking.expressionWarnings[0].warning: Required value, "
          "status.conditions[0].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", "
          "\"Unknown\", status.conditions[1].type: Duplicate value: \"Ready\", "
          "status.conditions[1].observedGeneration: Invalid value: -1: must be greater than or equal to zero]");
    check("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
          VAP("{'conditions':[{'type':'Ready','status':'True'}]}"), old,
          "[status.conditions[0].lastTransitionTime: Required value: must be set, "
          "status.conditions[0].reason: Required value: must be set]");
}

static void test_flowcontrol(void **state)
{
    (void)state;
    static const char *const KINDS[] = {"FlowSchema", "PriorityLevelConfiguration"};
    for (size_t i = 0; i < 2; i++) {
        const char *old = "{'metadata':{'name':'f'},'spec':{}}";
        /* only the type is checked: any status, no reason or time needed */
        check("flowcontrol.apiserver.k8s.io", KINDS[i],
              "{'metadata':{'name':'f'},'spec':{},'status':{'conditions':[{'type':'Dangling','status':'Maybe'},"
              "{'type':'bad type!'}]}}",
              old, "");
        check("flowcontrol.apiserver.k8s.io", KINDS[i],
              "{'metadata':{'name':'f'},'spec':{},'status':{'conditions':[{'type':'Dangling','status':'True'},"
              "{'status':'True'},{'type':'Dangling'},{'type':''}]}}",
              old,
              "[status.conditions[1].type: Required value: must not be empty, "
              "status.conditions[2].type: Duplicate value: \"Dangling\", "
              "status.conditions[3].type: Duplicate value: \"\", "
              "status.conditions[3].type: Required value: must not be empty]");
    }
}

/* ---- PrepareForUpdate of the status strategies. */

static struct kapi_value *prepare(struct kapi_pool *pool, const char *group, const char *kind, const char *obj,
                                  const char *old)
{
    struct kapi_kind k = {.group = group, .kind = kind, .version = "v1"};
    struct kapi_value *o = parse(pool, obj);
    kapi_kind_prepare_subresource(pool, &k, "status", o, parse(pool, old));
    return o;
}

static const char *member(const struct kapi_value *v, const char *a, const char *b)
{
    const char *s = kapi_value_cstr(kapi_value_path(v, a, b, NULL));
    return s ? s : "(none)";
}

static void test_prepare_pv_phase_time(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    const char *old = "{'status':{'phase':'Available','lastPhaseTransitionTime':'2024-01-02T03:04:05Z'}}";
    /* same phase, time dropped: the stored time is kept */
    struct kapi_value *o = prepare(pool, "", "PersistentVolume", "{'status':{'phase':'Available'}}", old);
    assert_string_equal(member(o, "status", "lastPhaseTransitionTime"), "2024-01-02T03:04:05Z");
    /* same phase, a time set by the client stays */
    o = prepare(pool, "", "PersistentVolume",
                "{'status':{'phase':'Available','lastPhaseTransitionTime':'2025-01-01T00:00:00Z'}}", old);
    assert_string_equal(member(o, "status", "lastPhaseTransitionTime"), "2025-01-01T00:00:00Z");
    /* new phase with the old time or none: now */
    o = prepare(pool, "", "PersistentVolume",
                "{'status':{'phase':'Bound','lastPhaseTransitionTime':'2024-01-02T03:04:05Z'}}", old);
    const char *t = member(o, "status", "lastPhaseTransitionTime");
    assert_int_equal(strlen(t), 20);
    assert_true(strcmp(t, "2026-01-01T00:00:00Z") > 0);
    o = prepare(pool, "", "PersistentVolume", "{'status':{'phase':'Bound','lastPhaseTransitionTime':null}}", old);
    assert_string_equal(member(o, "status", "lastPhaseTransitionTime"), t);
    /* new phase with a new time from the client: kept */
    o = prepare(pool, "", "PersistentVolume",
                "{'status':{'phase':'Bound','lastPhaseTransitionTime':'2025-05-05T00:00:00Z'}}", old);
    assert_string_equal(member(o, "status", "lastPhaseTransitionTime"), "2025-05-05T00:00:00Z");
    /* other kinds are untouched */
    o = prepare(pool, "", "PersistentVolumeClaim", "{'status':{'phase':'Bound'}}", old);
    assert_string_equal(member(o, "status", "lastPhaseTransitionTime"), "(none)");
    kapi_pool_free(pool);
}

static void test_prepare_volume_attachment_error_code(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *o = prepare(pool, "storage.k8s.io", "VolumeAttachment",
                                   "{'status':{'attachError':{'message':'a','errorCode':5},"
                                   "'detachError':{'message':'d','errorCode':7}}}",
                                   "{'status':{'detachError':{'message':'d','errorCode':1}}}");
    assert_null(kapi_value_path(o, "status", "attachError", "errorCode", NULL));
    assert_string_equal(member(o, "attachError", "message"), "(none)");
    assert_string_equal(kapi_obj_get_str(kapi_value_path(o, "status", "attachError", NULL), "message"), "a");
    const struct kapi_value *dc = kapi_value_path(o, "status", "detachError", "errorCode", NULL);
    assert_non_null(dc);
    assert_int_equal(dc->u.i, 7);
    kapi_pool_free(pool);
}

static void test_prepare_flowcontrol_metadata(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    const char *old = "{'metadata':{'name':'f','uid':'u1','labels':{'a':'1'},'resourceVersion':'3',"
                      "'managedFields':[{'manager':'old'}]},'spec':{}}";
    struct kapi_value *o =
        prepare(pool, "flowcontrol.apiserver.k8s.io", "FlowSchema",
                "{'metadata':{'name':'f','uid':'u2','labels':{'b':'2'},'generateName':'x','resourceVersion':'4',"
                "'managedFields':[{'manager':'new'}]},'spec':{}}",
                old);
    const struct kapi_value *md = kapi_obj_get(o, "metadata");
    assert_string_equal(member(o, "metadata", "uid"), "u1");
    assert_string_equal(member(o, "metadata", "resourceVersion"), "4");
    assert_string_equal(kapi_obj_get_str(kapi_obj_get(md, "labels"), "a"), "1");
    assert_null(kapi_obj_get(kapi_obj_get(md, "labels"), "b"));
    assert_null(kapi_obj_get(md, "generateName"));
    const struct kapi_value *mf = kapi_obj_get(md, "managedFields");
    assert_string_equal(kapi_obj_get_str(mf->u.arr.items[0], "manager"), "new");
    /* a PriorityLevelConfiguration too, but not a ServiceCIDR */
    o = prepare(pool, "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
                "{'metadata':{'name':'f','uid':'u2'}}", old);
    assert_string_equal(member(o, "metadata", "uid"), "u1");
    o = prepare(pool, "networking.k8s.io", "ServiceCIDR", "{'metadata':{'name':'f','uid':'u2'}}", old);
    assert_string_equal(member(o, "metadata", "uid"), "u2");
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persistent_volume),
        cmocka_unit_test(test_nothing_beyond_metadata),
        cmocka_unit_test(test_volume_attachment),
        cmocka_unit_test(test_validating_admission_policy),
        cmocka_unit_test(test_flowcontrol),
        cmocka_unit_test(test_prepare_pv_phase_time),
        cmocka_unit_test(test_prepare_volume_attachment_error_code),
        cmocka_unit_test(test_prepare_flowcontrol_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
