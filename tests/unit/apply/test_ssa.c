/* Unit tests for src/apply (server-side apply and managedFields): FieldsV1
 * text as upstream writes it, apply create/update/prune, shared ownership,
 * conflicts and their messages, force, Update after Apply, the status
 * subresource, capping of update managers, before-first-apply, CRD-typed
 * list maps, bad input. Test JSON is written with ' for ". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/names.h"
#include "apiext/schema.h"
#include "apply/ssa.h"
#include "codec/json.h"
#include "schema/schema.h"

static struct kapi_pool *P;

static int setup(void **state)
{
    (void)state;
    P = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kapi_pool_free(P);
    return 0;
}

static char *Q(const char *s)
{
    char *t = kapi_pool_strdup(P, s);
    for (char *q = t; *q; q++)
        if (*q == '\'')
            *q = '"';
    return t;
}

static struct kapi_value *J(const char *s)
{
    char *t = Q(s);
    struct kapi_json_error e;
    struct kapi_value *v = kapi_json_parse(P, t, strlen(t), NULL, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", t, e.msg);
    return v;
}

static char *W(const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    char *s = kapi_pool_strndup(P, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

static struct kapi_ssa_type deploy(void)
{
    const struct kapi_schema_msg *m = kapi_schema_kind_find("apps", "v1", "Deployment");
    assert_non_null(m);
    return kapi_ssa_type_builtin(m);
}

static const char *DEPLOY =
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'nginx','namespace':'default',"
    "'labels':{'app':'nginx'}},'spec':{'replicas':2,'selector':{'matchLabels':{'app':'nginx'}},"
    "'template':{'metadata':{'labels':{'app':'nginx'}},'spec':{'containers':[{'name':'nginx','image':'nginx'}]}}}}";

/* The fieldsV1 kubectl server-side apply of DEPLOY records upstream. */
static const char *DEPLOY_APPLY_FIELDS =
    "{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:replicas':{},'f:selector':{},'f:template':{"
    "'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'.':{},"
    "'f:image':{},'f:name':{}}}}}}}";

static const struct kapi_value *entry(const struct kapi_value *obj, size_t i)
{
    const struct kapi_value *mf = kapi_value_path(obj, "metadata", "managedFields", NULL);
    assert_non_null(mf);
    assert_true(i < mf->u.arr.len);
    return mf->u.arr.items[i];
}

static size_t nentries(const struct kapi_value *obj)
{
    const struct kapi_value *mf = kapi_value_path(obj, "metadata", "managedFields", NULL);
    return mf ? mf->u.arr.len : 0;
}

static const char *fields(const struct kapi_value *obj, size_t i)
{
    return W(kapi_obj_get(entry(obj, i), "fieldsV1"));
}

static struct kapi_value *apply_ok(struct kapi_ssa_type t, const struct kapi_value *live, const char *cfg,
                                   const char *mgr, bool force, const char *sub, const char *now)
{
    struct kapi_ssa_result r;
    int rc = kapi_ssa_apply(P, t, "apps/v1", live, J(cfg), mgr, force, sub, now, &r);
    if (rc != 0)
        fail_msg("apply failed: %s", r.error);
    if (r.nconflicts)
        fail_msg("unexpected conflicts: %s", r.message);
    assert_non_null(r.obj);
    return r.obj;
}

/* ---- FieldsV1 ---- */

static void test_fieldsv1_roundtrip(void **state)
{
    (void)state;
    /* kubectl create deployment: exactly as kube-apiserver stores it */
    const char *in =
        "{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:progressDeadlineSeconds':{},'f:replicas':{},"
        "'f:revisionHistoryLimit':{},'f:selector':{},'f:strategy':{'f:rollingUpdate':{'.':{},'f:maxSurge':{},"
        "'f:maxUnavailable':{}},'f:type':{}},'f:template':{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},"
        "'f:spec':{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'.':{},'f:image':{},'f:imagePullPolicy':{},"
        "'f:name':{},'f:resources':{},'f:terminationMessagePath':{},'f:terminationMessagePolicy':{}}},"
        "'f:dnsPolicy':{},'f:restartPolicy':{},'f:schedulerName':{},'f:securityContext':{},"
        "'f:terminationGracePeriodSeconds':{}}}}}";
    const char *err = NULL;
    const char *out = kapi_ssa_fields_canonical(P, J(in), &err);
    assert_null(err);
    assert_string_equal(out, Q(in));
    /* out-of-order input is sorted; "." goes first; keys sort by name;
     * unknown element kinds are dropped; v: and i: survive */
    out = kapi_ssa_fields_canonical(
        P, J("{'f:b':{},'x:zz':{},'f:a':{'f:y':{},'.':{}},'k:{\\'protocol\\':\\'TCP\\',\\'containerPort\\':80}':{},"
             "'v:\\'b\\'':{},'v:1':{},'i:3':{}}"),
        &err);
    assert_null(err);
    assert_string_equal(out, Q("{'f:a':{'.':{},'f:y':{}},'f:b':{},"
                               "'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{},'v:1':{},'v:\\'b\\'':{},"
                               "'i:3':{}}"));
    assert_null(kapi_ssa_fields_canonical(P, J("{'q':{}}"), &err));
    assert_non_null(err);
    assert_null(kapi_ssa_fields_canonical(P, J("{'f:a':3}"), &err));
    assert_null(kapi_ssa_fields_canonical(P, J("{'k:[1]':{}}"), &err));
}

static void test_fields_of_config(void **state)
{
    (void)state;
    const char *f = kapi_ssa_fields_of(P, deploy(), J(DEPLOY));
    /* before stripping metadata, the whole set */
    assert_string_equal(
        f, Q("{'f:apiVersion':{},'f:kind':{},'f:metadata':{'f:labels':{'f:app':{}},'f:name':{},'f:namespace':{}},"
             "'f:spec':{'f:replicas':{},'f:selector':{},'f:template':{'f:metadata':{'f:labels':{'f:app':{}}},"
             "'f:spec':{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'.':{},'f:image':{},'f:name':{}}}}}}}"));
    /* ports: list map keyed by containerPort+protocol, protocol defaulted */
    const struct kapi_schema_msg *pod = kapi_schema_kind_find("", "v1", "Pod");
    f = kapi_ssa_fields_of(P, kapi_ssa_type_builtin(pod),
                           J("{'spec':{'containers':[{'name':'a','ports':[{'containerPort':80}]}],"
                             "'nodeSelector':{'x':'y'},'tolerations':[{'key':'k'}]}}"));
    assert_string_equal(f, Q("{'f:spec':{'f:containers':{'k:{\\'name\\':\\'a\\'}':{'.':{},'f:name':{},'f:ports':{"
                             "'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:containerPort':{}}}}},"
                             "'f:nodeSelector':{},'f:tolerations':{}}}"));
    /* finalizers are a set */
    f = kapi_ssa_fields_of(P, kapi_ssa_type_builtin(pod), J("{'metadata':{'finalizers':['b','a']}}"));
    assert_string_equal(f, Q("{'f:metadata':{'f:finalizers':{'v:\\'a\\'':{},'v:\\'b\\'':{}}}}"));
}

/* ---- apply ---- */

static void test_apply_create_entry(void **state)
{
    (void)state;
    struct kapi_value *o = apply_ok(deploy(), NULL, DEPLOY, "kubectl", false, "", "2024-05-01T10:00:00Z");
    const char *want = kapi_pool_printf(P,
                                        "{'manager':'kubectl','operation':'Apply','apiVersion':'apps/v1','time':"
                                        "'2024-05-01T10:00:00Z','fieldsType':'FieldsV1','fieldsV1':%s}",
                                        DEPLOY_APPLY_FIELDS);
    assert_string_equal(W(entry(o, 0)), Q(want));
    assert_int_equal(kapi_value_path(o, "spec", "replicas", NULL)->u.i, 2);
    assert_string_equal(kapi_value_cstr(kapi_value_path(o, "metadata", "name", NULL)), "nginx");
}

static void test_apply_removes_dropped_field(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = apply_ok(
        t, NULL,
        "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','labels':{'app':'x','tier':'web'}}}", "m",
        false, "", "2024-05-01T10:00:00Z");
    assert_non_null(kapi_value_path(o, "metadata", "labels", "tier", NULL));
    o = apply_ok(t, o, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','labels':{'app':'x'}}}",
                 "m", false, "", "2024-05-01T10:00:05Z");
    assert_null(kapi_value_path(o, "metadata", "labels", "tier", NULL));
    assert_non_null(kapi_value_path(o, "metadata", "labels", "app", NULL));
    assert_string_equal(fields(o, 0), Q("{'f:metadata':{'f:labels':{'f:app':{}}}}"));
    /* dropping the last label leaves no labels */
    o = apply_ok(t, o, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'}}", "m", false, "",
                 "2024-05-01T10:00:06Z");
    assert_null(kapi_value_path(o, "metadata", "labels", NULL));
    assert_int_equal(nentries(o), 0);
}

static void test_shared_ownership(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    const char *a = "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'replicas':2}}";
    struct kapi_value *o = apply_ok(t, NULL, a, "a", false, "", "2024-05-01T10:00:00Z");
    o = apply_ok(t, o, a, "b", false, "", "2024-05-01T10:00:01Z");
    assert_int_equal(nentries(o), 2);
    /* the same value: nothing changed, so b's new entry carries no time
     * and sorts first (entries sort by operation, then time) */
    assert_string_equal(kapi_obj_get_str(entry(o, 0), "manager"), "b");
    assert_null(kapi_obj_get(entry(o, 0), "time"));
    assert_string_equal(kapi_obj_get_str(entry(o, 1), "manager"), "a");
    /* a stops applying replicas: b still owns it, the value stays */
    o = apply_ok(t, o, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'paused':true}}",
                 "a", false, "", "2024-05-01T10:00:02Z");
    assert_int_equal(kapi_value_path(o, "spec", "replicas", NULL)->u.i, 2);
    assert_true(kapi_value_path(o, "spec", "paused", NULL)->u.b);
}

static void test_conflict_and_force(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = apply_ok(
        t, NULL, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'replicas':2}}", "a",
        false, "", "2024-05-01T10:00:00Z");
    struct kapi_ssa_result r;
    const char *b = "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'replicas':3}}";
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", o, J(b), "b", false, "", "2024-05-01T10:00:01Z", &r), 0);
    assert_null(r.obj);
    assert_int_equal(r.nconflicts, 1);
    assert_int_equal(r.status, 409);
    assert_string_equal(r.conflicts[0].manager, "a");
    assert_string_equal(r.conflicts[0].field, ".spec.replicas");
    assert_string_equal(r.conflicts[0].message, "conflict with \"a\"");
    assert_string_equal(r.message, "Apply failed with 1 conflict: conflict with \"a\": .spec.replicas");
    assert_string_equal(kapi_ssa_conflict_message(P, r.conflicts, r.nconflicts), r.message);
    /* force: b takes the field, a keeps nothing else and disappears */
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", o, J(b), "b", true, "", "2024-05-01T10:00:01Z", &r), 0);
    assert_non_null(r.obj);
    assert_int_equal(kapi_value_path(r.obj, "spec", "replicas", NULL)->u.i, 3);
    assert_int_equal(nentries(r.obj), 1);
    assert_string_equal(kapi_obj_get_str(entry(r.obj, 0), "manager"), "b");
}

static void test_multi_conflict_message(void **state)
{
    (void)state;
    struct kapi_ssa_conflict c[3] = {
        {.manager = "kubectl-edit", .api_version = "apps/v1", .field = ".spec.replicas"},
        {.manager = "a", .api_version = "apps/v1", .field = ".spec.paused", .applied = true},
        {.manager = "kubectl-edit",
         .api_version = "apps/v1",
         .field = ".spec.template.spec.containers[name=\"app\"].image"},
    };
    assert_string_equal(kapi_ssa_conflict_message(P, c, 3),
                        "Apply failed with 3 conflicts: conflicts with \"a\":\n- .spec.paused\n"
                        "conflicts with \"kubectl-edit\" using apps/v1:\n- .spec.replicas\n"
                        "- .spec.template.spec.containers[name=\"app\"].image");
    struct kapi_ssa_conflict s = {.manager = "m", .api_version = "v1", .subresource = "status", .field = ".status.x"};
    assert_string_equal(kapi_ssa_conflict_message(P, &s, 1),
                        "Apply failed with 1 conflict: conflict with \"m\" with subresource \"status\" using v1: "
                        ".status.x");
}

static void test_update_after_apply(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = apply_ok(t, NULL, DEPLOY, "a", false, "", "2024-05-01T10:00:00Z");
    /* kubectl edit changes the image */
    struct kapi_value *n = kapi_value_clone(P, o);
    struct kapi_value *c0 = kapi_value_path(n, "spec", "template", "spec", "containers", NULL)->u.arr.items[0];
    kapi_obj_set(P, c0, "image", kapi_value_str(P, "nginx:2"));
    const char *err = NULL;
    assert_int_equal(kapi_ssa_update(P, t, "apps/v1", o, n, "kubectl-edit", "", "2024-05-01T10:01:00Z", &err), 0);
    assert_int_equal(nentries(n), 2);
    assert_string_equal(W(entry(n, 1)),
                        Q("{'manager':'kubectl-edit','operation':'Update','apiVersion':'apps/v1','time':"
                          "'2024-05-01T10:01:00Z','fieldsType':'FieldsV1','fieldsV1':{'f:spec':{'f:template':{"
                          "'f:spec':{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'f:image':{}}}}}}}}"));
    /* the applier lost the image */
    assert_null(strstr(fields(n, 0), "f:image"));
    /* applying the old image again conflicts with the editor */
    struct kapi_ssa_result r;
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", n, J(DEPLOY), "a", false, "", "2024-05-01T10:02:00Z", &r), 0);
    assert_int_equal(r.nconflicts, 1);
    assert_string_equal(r.conflicts[0].field, ".spec.template.spec.containers[name=\"nginx\"].image");
    assert_string_equal(r.message, "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: "
                                   ".spec.template.spec.containers[name=\"nginx\"].image");
}

/* Field tracking runs on every worker thread at once: the associative-list
 * index each compare sorts must not share state between threads. Each
 * thread repeats one update of a Deployment with many containers (listed in
 * a scrambled order, so the sort has work to do) and must get the result a
 * single thread gets. */
#define RACE_THREADS 4
#define RACE_ROUNDS 150
#define RACE_CONTAINERS 48

static char *race_deploy(bool changed)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 1 << 20);
    kapi_buf_puts(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\","
                      "\"uid\":\"u1\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[");
    for (int i = 0; i < RACE_CONTAINERS; i++) {
        int k = (i * 29) % RACE_CONTAINERS; /* 29 is prime to 48: a permutation */
        char c[128];
        snprintf(c, sizeof(c), "%s{\"name\":\"c%02d\",\"image\":\"img:%d\"}", i ? "," : "", k,
                 changed && k % 7 == 0 ? 2 : 1);
        kapi_buf_puts(&b, c);
    }
    kapi_buf_puts(&b, "]}}}}");
    return b.data;
}

static char *race_once(void)
{
    struct kapi_pool *pool = kapi_pool_new();
    char *o = race_deploy(false), *n = race_deploy(true);
    const char *e = NULL;
    struct kapi_json_error je;
    struct kapi_value *ov = kapi_json_parse(pool, o, strlen(o), NULL, &je);
    struct kapi_value *nv = kapi_json_parse(pool, n, strlen(n), NULL, &je);
    if (!ov || !nv)
        return strdup("bad test JSON");
    const struct kapi_schema_msg *m = kapi_schema_kind_find("apps", "v1", "Deployment");
    struct kapi_ssa_type t = kapi_ssa_type_builtin(m);
    kapi_ssa_update(pool, t, "apps/v1", NULL, ov, "creator", "", "2024-05-01T10:00:00Z", &e);
    kapi_ssa_update(pool, t, "apps/v1", ov, nv, "editor", "", "2024-05-01T10:01:00Z", &e);
    struct kapi_buf b;
    kapi_buf_init(&b, 1 << 22);
    kapi_json_write(&b, kapi_value_path(nv, "metadata", "managedFields", NULL));
    kapi_buf_putc(&b, 0);
    char *out = strdup(b.data);
    kapi_buf_dispose(&b);
    free(o);
    free(n);
    kapi_pool_free(pool);
    return out;
}

struct race_arg {
    const char *want;
    int bad;
};

static void *race_main(void *p)
{
    struct race_arg *a = p;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        char *got = race_once();
        a->bad += strcmp(got, a->want) != 0;
        free(got);
    }
    return NULL;
}

static void test_update_on_many_threads(void **state)
{
    (void)state;
    char *want = race_once();
    /* the editor owns exactly the images it changed (c00, c07, ... c42) */
    assert_non_null(strstr(want, "\"manager\":\"editor\""));
    assert_non_null(strstr(want, "k:{\\\"name\\\":\\\"c42\\\"}"));
    pthread_t th[RACE_THREADS];
    struct race_arg args[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) {
        args[i] = (struct race_arg){.want = want};
        assert_int_equal(pthread_create(&th[i], NULL, race_main, &args[i]), 0);
    }
    int bad = 0;
    for (int i = 0; i < RACE_THREADS; i++) {
        pthread_join(th[i], NULL);
        bad += args[i].bad;
    }
    assert_int_equal(bad, 0);
    free(want);
}

static void test_update_create_and_untracked(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    /* create: everything the client set becomes the creator's */
    struct kapi_value *n = J(DEPLOY);
    const char *err = NULL;
    kapi_ssa_update(P, t, "apps/v1", NULL, n, "kubectl-create", "", "2024-05-01T10:00:00Z", &err);
    assert_int_equal(nentries(n), 1);
    assert_string_equal(
        fields(n, 0),
        Q("{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:replicas':{},'f:selector':{},'f:template':{"
          "'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{"
          "'.':{},'f:image':{},'f:name':{}}}}}}}"));
    /* an existing object without managedFields stays untracked on update */
    struct kapi_value *old = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','uid':'u1'}}");
    struct kapi_value *nw = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','uid':'u1'},"
                              "'spec':{'replicas':4}}");
    kapi_ssa_update(P, t, "apps/v1", old, nw, "x", "", "2024-05-01T10:00:00Z", &err);
    assert_int_equal(nentries(nw), 0);
    /* then the first apply puts the existing fields under before-first-apply */
    struct kapi_value *o =
        apply_ok(t, nw, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'paused':true}}",
                 "a", false, "", "2024-05-01T10:05:00Z");
    assert_int_equal(nentries(o), 2);
    assert_string_equal(kapi_obj_get_str(entry(o, 1), "manager"), "before-first-apply");
    assert_string_equal(fields(o, 1), Q("{'f:spec':{'f:replicas':{}}}"));
}

static void test_client_managed_fields(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = apply_ok(t, NULL, DEPLOY, "a", false, "", "2024-05-01T10:00:00Z");
    /* an empty list resets tracking */
    struct kapi_value *n = kapi_value_clone(P, o);
    kapi_obj_set(P, kapi_obj_get(n, "metadata"), "managedFields", kapi_value_array(P));
    const char *err = NULL;
    kapi_ssa_update(P, t, "apps/v1", o, n, "x", "", "2024-05-01T10:01:00Z", &err);
    assert_int_equal(nentries(n), 0);
    /* malformed entries are ignored in favour of the stored ones */
    n = kapi_value_clone(P, o);
    kapi_obj_set(P, kapi_obj_get(n, "metadata"), "managedFields", J("[{'manager':'z','operation':'Bogus'}]"));
    kapi_ssa_update(P, t, "apps/v1", o, n, "x", "", "2024-05-01T10:01:00Z", &err);
    assert_int_equal(nentries(n), 1);
    assert_string_equal(kapi_obj_get_str(entry(n, 0), "manager"), "a");
    /* validation texts */
    struct kapi_field_errors errs = {0};
    kapi_ssa_validate_managed_fields(P, J("[{'manager':'z','operation':'Bogus','fieldsType':'FieldsV2'}]"), &errs);
    assert_int_equal(errs.len, 2);
    assert_string_equal(kapi_field_error_string(P, &errs.items[0]),
                        "metadata.managedFields[0].operation: Invalid value: \"Bogus\": must be `Apply` or `Update`");
    /* a config may not carry managedFields */
    struct kapi_ssa_result r;
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", o,
                                    J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d',"
                                      "'managedFields':[]}}"),
                                    "a", false, "", "2024-05-01T10:00:00Z", &r),
                     -1);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.error, "metadata.managedFields must be nil");
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", o,
                                    J("{'apiVersion':'apps/v2','kind':'Deployment','metadata':{'name':'d'}}"), "a",
                                    false, "", "2024-05-01T10:00:00Z", &r),
                     -1);
    assert_string_equal(r.error, "invalid object type: apps/v2, Kind=Deployment");
}

static void test_status_subresource(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = apply_ok(t, NULL, DEPLOY, "a", false, "", "2024-05-01T10:00:00Z");
    struct kapi_value *n = kapi_value_clone(P, o);
    kapi_obj_set(P, n, "status", J("{'replicas':2,'readyReplicas':1}"));
    const char *err = NULL;
    kapi_ssa_update(P, t, "apps/v1", o, n, "kube-controller-manager", "status", "2024-05-01T10:00:10Z", &err);
    assert_int_equal(nentries(n), 2);
    assert_string_equal(W(entry(n, 1)),
                        Q("{'manager':'kube-controller-manager','operation':'Update','apiVersion':'apps/v1','time':"
                          "'2024-05-01T10:00:10Z','fieldsType':'FieldsV1','fieldsV1':{'f:status':{"
                          "'f:readyReplicas':{},'f:replicas':{}}},'subresource':'status'}"));
    /* server-side apply to status */
    struct kapi_value *s =
        apply_ok(t, n, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'nginx'},'status':{'replicas':2}}",
                 "st", false, "status", "2024-05-01T10:00:20Z");
    bool found = false;
    for (size_t i = 0; i < nentries(s); i++)
        if (strcmp(kapi_obj_get_str(entry(s, i), "manager"), "st") == 0) {
            found = true;
            assert_string_equal(kapi_obj_get_str(entry(s, i), "subresource"), "status");
            assert_string_equal(kapi_obj_get_str(entry(s, i), "operation"), "Apply");
        }
    assert_true(found);
}

static void test_cap_managers(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    struct kapi_value *o = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'}}");
    const char *err = NULL;
    kapi_ssa_update(P, t, "apps/v1", NULL, o, "creator", "", "2024-05-01T10:00:00Z", &err);
    for (int i = 0; i < 12; i++) {
        struct kapi_value *n = kapi_value_clone(P, o);
        kapi_obj_set(P, kapi_obj_ensure_obj(P, kapi_obj_ensure_obj(P, n, "metadata"), "labels"),
                     kapi_pool_printf(P, "l%d", i), kapi_value_str(P, "v"));
        kapi_obj_set(P, kapi_obj_get(n, "metadata"), "uid", kapi_value_str(P, "u"));
        kapi_ssa_update(P, t, "apps/v1", o, n, kapi_pool_printf(P, "m%02d", i), "",
                        kapi_pool_printf(P, "2024-05-01T10:00:%02dZ", i + 1), &err);
        o = n;
    }
    assert_int_equal(nentries(o), 10);
    bool ancient = false;
    for (size_t i = 0; i < nentries(o); i++)
        if (strcmp(kapi_obj_get_str(entry(o, i), "manager"), "ancient-changes") == 0) {
            ancient = true;
            assert_string_equal(fields(o, i), Q("{'f:metadata':{'f:labels':{'.':{},'f:l0':{},'f:l1':{},'f:l2':{}}}}"));
        }
    assert_true(ancient);
}

static void test_crd_list_map(void **state)
{
    (void)state;
    char *cerr = NULL;
    struct kapi_crd_schema *s = kapi_crd_schema_compile(
        J("{'type':'object','properties':{'spec':{'type':'object','properties':{'ports':{'type':'array',"
          "'x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['port','proto'],'items':{'type':'object',"
          "'properties':{'port':{'type':'integer'},'proto':{'type':'string','default':'TCP'},'name':{'type':"
          "'string'}}}},'sel':{'type':'object','x-kubernetes-map-type':'atomic','additionalProperties':{'type':"
          "'string'}}}}}}"),
        &cerr);
    assert_non_null(s);
    struct kapi_ssa_type t = kapi_ssa_type_crd(s);
    struct kapi_ssa_result r;
    const char *a = "{'apiVersion':'ex.com/v1','kind':'W','metadata':{'name':'w'},'spec':{'ports':[{'port':80,"
                    "'name':'http'}],'sel':{'a':'b'}}}";
    const char *b = "{'apiVersion':'ex.com/v1','kind':'W','metadata':{'name':'w'},'spec':{'ports':[{'port':443,"
                    "'proto':'TCP','name':'https'}]}}";
    assert_int_equal(kapi_ssa_apply(P, t, "ex.com/v1", NULL, J(a), "a", false, "", "2024-05-01T10:00:00Z", &r), 0);
    struct kapi_value *o = r.obj;
    assert_non_null(o);
    assert_string_equal(fields(o, 0), Q("{'f:spec':{'f:ports':{'k:{\\'port\\':80,\\'proto\\':\\'TCP\\'}':{'.':{},"
                                        "'f:name':{},'f:port':{}}},'f:sel':{}}}"));
    assert_int_equal(kapi_ssa_apply(P, t, "ex.com/v1", o, J(b), "b", false, "", "2024-05-01T10:00:01Z", &r), 0);
    o = r.obj;
    assert_non_null(o);
    assert_string_equal(W(kapi_value_path(o, "spec", "ports", NULL)),
                        Q("[{'port':80,'name':'http'},{'port':443,'proto':'TCP','name':'https'}]"));
    /* a's second apply without its port removes only its own item */
    assert_int_equal(kapi_ssa_apply(P, t, "ex.com/v1", o,
                                    J("{'apiVersion':'ex.com/v1','kind':'W','metadata':{'name':'w'},'spec':{}}"), "a",
                                    false, "", "2024-05-01T10:00:02Z", &r),
                     0);
    assert_string_equal(W(kapi_value_path(r.obj, "spec", "ports", NULL)),
                        Q("[{'port':443,'proto':'TCP','name':'https'}]"));
    /* duplicates in a config are rejected with upstream's text */
    assert_int_equal(kapi_ssa_apply(P, t, "ex.com/v1", o,
                                    J("{'apiVersion':'ex.com/v1','kind':'W','metadata':{'name':'w','namespace':'n'},"
                                      "'spec':{'ports':[{'port':1},{'port':1}]}}"),
                                    "a", false, "", "2024-05-01T10:00:02Z", &r),
                     -1);
    assert_string_equal(r.error, "failed to create typed patch object (n/w; ex.com/v1, Kind=W): .spec.ports: "
                                 "duplicate entries for key [port=1,proto=\"TCP\"]");
    kapi_crd_schema_free(s);
}

static void test_duplicates_builtin(void **state)
{
    (void)state;
    struct kapi_ssa_result r;
    assert_int_equal(
        kapi_ssa_apply(P, deploy(), "apps/v1", NULL,
                       J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','namespace':'ns'},"
                         "'spec':{'template':{'spec':{'containers':[{'name':'a'},{'name':'a'}]}},'bogus':1}}"),
                       "m", false, "", "2024-05-01T10:00:00Z", &r),
        -1);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.error, "failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): errors:\n"
                                 "  .spec.template.spec.containers: duplicate entries for key [name=\"a\"]\n"
                                 "  .spec.bogus: field not declared in schema");
}

static void test_user_agent(void **state)
{
    (void)state;
    assert_string_equal(kapi_ssa_manager_from_user_agent(P, "kubectl/v1.33.0 (linux/amd64) kubernetes/abc"),
                        "kubectl");
    assert_string_equal(kapi_ssa_manager_from_user_agent(P, "Go-http-client/1.1"), "Go-http-client");
    assert_string_equal(kapi_ssa_manager_from_user_agent(P, "a\tb\x01"), "ab");
    assert_string_equal(kapi_ssa_manager_from_user_agent(P, ""), "");
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(strlen(kapi_ssa_manager_from_user_agent(P, big)), 128);
}

static void test_hostile(void **state)
{
    (void)state;
    struct kapi_ssa_type t = deploy();
    /* deep nesting, huge lists and odd types do not crash */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"annotations\":");
    for (int i = 0; i < 500; i++)
        kapi_buf_puts(&b, "{\"a\":");
    kapi_buf_puts(&b, "1");
    for (int i = 0; i < 500; i++)
        kapi_buf_putc(&b, '}');
    kapi_buf_puts(&b, "},\"spec\":{\"template\":{\"spec\":{\"containers\":[");
    for (int i = 0; i < 3000; i++)
        kapi_buf_printf(&b, "%s{\"name\":\"c%d\"}", i ? "," : "", i);
    kapi_buf_puts(&b, "]}}}}");
    struct kapi_json_error je;
    struct kapi_value *cfg = kapi_json_parse(P, b.data, b.len, NULL, &je);
    kapi_buf_dispose(&b);
    assert_non_null(cfg);
    struct kapi_ssa_result r;
    kapi_ssa_apply(P, t, "apps/v1", NULL, cfg, "m", false, "", "2024-05-01T10:00:00Z", &r);
    struct kapi_value *live = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','managedFields':"
                                "[{'manager':'x','operation':'Apply','apiVersion':'apps/v1','fieldsType':'FieldsV1',"
                                "'fieldsV1':{'f:spec':{'k:{bad':{}}}}]},'spec':'str'}");
    assert_int_equal(kapi_ssa_apply(P, t, "apps/v1", live, J("{'apiVersion':'apps/v1','kind':'Deployment'}"), "m",
                                    false, "", "2024-05-01T10:00:00Z", &r),
                     -1);
    assert_int_equal(r.status, 500);
    live = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'template':'x',"
             "'replicas':{'a':[1,2]}}}");
    kapi_ssa_apply(P, t, "apps/v1", live,
                   J("{'apiVersion':'apps/v1','kind':'Deployment','spec':{'template':{'spec':{}},'replicas':3}}"), "m",
                   false, "", "2024-05-01T10:00:00Z", &r);
    const char *err;
    struct kapi_value *n = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'managedFields':7}}");
    kapi_ssa_update(P, t, "apps/v1", live, n, "m", "", "2024-05-01T10:00:00Z", &err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fieldsv1_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fields_of_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_create_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_removes_dropped_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_ownership, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_conflict_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_after_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_create_and_untracked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_managed_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_subresource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_managers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crd_list_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test(test_update_on_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
