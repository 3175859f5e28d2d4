/* Unit tests for src/admission over the SQLite store, the watch cache and
 * the registry: a minimal pod gains upstream's ServiceAccount token volume
 * and mounts, the two default tolerations and its priority; missing
 * ServiceAccounts and PriorityClasses give upstream's 403s; automount,
 * existing mounts and tolerations, global-default classes, mirror pods,
 * updates, the flags and the start-up PriorityClasses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission/admission.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/objectmeta.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_admission *adm;
    struct kapi_pool *pool;
};

static void write_json(struct fx *f, const char *key, const char *json)
{
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
}

static void put_sa(struct fx *f, const char *ns, const char *name, const char *extra)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "", "v1", "serviceaccounts");
    assert_non_null(k);
    write_json(f, kapi_registry_key(f->pool, k, ns, name),
               kapi_pool_printf(f->pool,
                                "{\"kind\":\"ServiceAccount\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                "\"namespace\":\"%s\",\"uid\":\"u-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"}%s}",
                                name, ns, name, extra ? extra : ""));
}

static void put_pc(struct fx *f, const char *name, long value, const char *extra)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "scheduling.k8s.io", "v1", "priorityclasses");
    assert_non_null(k);
    write_json(f, kapi_registry_key(f->pool, k, NULL, name),
               kapi_pool_printf(f->pool,
                                "{\"kind\":\"PriorityClass\",\"apiVersion\":\"scheduling.k8s.io/v1\",\"metadata\":"
                                "{\"name\":\"%s\",\"uid\":\"u-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
                                "\"value\":%ld%s}",
                                name, name, value, extra ? extra : ""));
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-adm-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    f->adm = kapi_admission_new(f->cache, f->reg, NULL, NULL);
    put_sa(f, "default", "default", NULL);
    put_pc(f, "high", 1000, ",\"preemptionPolicy\":\"Never\"");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_admission_free(f->adm);
    kapi_cache_free(f->cache);
    kapi_registry_free(f->reg);
    kapi_store_close(f->store);
    kapi_pool_free(f->pool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct kapi_value *parse(struct fx *f, const char *json)
{
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(f->pool, json, strlen(json), NULL, &jerr);
    assert_non_null(v);
    return v;
}

static const char *to_json(struct fx *f, const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    const char *s = kapi_pool_strdup(f->pool, b.data);
    kapi_buf_dispose(&b);
    return s;
}

/* A pod as `kubectl run x --image=nginx` sends it, with spec fields added,
 * after upstream's decode-time defaulting. */
static struct kapi_value *pod(struct fx *f, const char *ns, const char *spec_extra, const char *meta_extra)
{
    struct kapi_value *p = parse(
        f, kapi_pool_printf(f->pool,
                            "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"namespace\":\"%s\","
                            "\"labels\":{\"run\":\"x\"}%s},\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"nginx\","
                            "\"resources\":{}}]%s}}",
                            ns, meta_extra ? meta_extra : "", spec_extra ? spec_extra : ""));
    kapi_defaults_apply(f->pool, "", "v1", "Pod", p);
    return p;
}

static int admit(struct fx *f, const char *ns, struct kapi_value *obj, const struct kapi_value *old,
                 struct kapi_status **st)
{
    *st = NULL;
    return kapi_admission_admit(f->adm, f->pool, "", "pods", "", ns, obj, old, NULL, false, st);
}

static void assert_forbidden(struct kapi_status *st, const char *message)
{
    assert_non_null(st);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");
    assert_string_equal(st->message, message);
}

static void test_minimal_pod_reads_back_like_upstream(void **state)
{
    struct fx *f = *state;
    struct kapi_value *p = pod(f, "default", NULL, NULL);
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_null(st);

    struct kapi_value *spec = kapi_obj_get(p, "spec");
    const char *vol = kapi_value_cstr(kapi_value_path(kapi_obj_get(spec, "volumes")->u.arr.items[0], "name", NULL));
    assert_non_null(vol);
    assert_int_equal(strlen(vol), strlen("kube-api-access-") + 5);
    assert_memory_equal(vol, "kube-api-access-", 16);
    for (const char *c = vol + 16; *c; c++)
        assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *c));

    /* The whole spec, members in upstream's (Go struct) order. */
    const char *want = kapi_pool_printf(
        f->pool,
        "{\"volumes\":[{\"name\":\"%s\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,"
        "\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":"
        "\"ca.crt\"}]}},{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\","
        "\"fieldPath\":\"metadata.namespace\"}}]}}],\"defaultMode\":420}}],"
        "\"containers\":[{\"name\":\"x\",\"image\":\"nginx\",\"resources\":{},\"volumeMounts\":[{\"name\":\"%s\","
        "\"readOnly\":true,\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        "\"imagePullPolicy\":\"Always\"}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,"
        "\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\",\"serviceAccount\":\"default\","
        "\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":"
        "\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
        "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
        "\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,"
        "\"preemptionPolicy\":\"PreemptLowerPriority\"}",
        vol, vol);
    assert_string_equal(to_json(f, spec), want);
}

static void test_missing_service_account_is_forbidden(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    assert_int_equal(admit(f, "other", pod(f, "other", NULL, NULL), NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: error looking up service account other/default: "
                         "serviceaccount \"default\" not found");
    assert_string_equal(st->name, "x");
    assert_string_equal(st->kind, "pods");

    /* A named account, through the deprecated field too. */
    assert_int_equal(admit(f, "default", pod(f, "default", ",\"serviceAccount\":\"robot\"", NULL), NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: error looking up service account default/robot: "
                         "serviceaccount \"robot\" not found");
    put_sa(f, "default", "robot", NULL);
    struct kapi_value *p = pod(f, "default", ",\"serviceAccount\":\"robot\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(kapi_value_cstr(kapi_value_path(p, "spec", "serviceAccountName", NULL)), "robot");
    assert_string_equal(kapi_value_cstr(kapi_value_path(p, "spec", "serviceAccount", NULL)), "robot");
}

static void test_automount_off(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", ",\"automountServiceAccountToken\":false", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_null(kapi_value_path(p, "spec", "volumes", NULL));
    assert_null(kapi_obj_get(kapi_value_path(p, "spec", "containers", NULL)->u.arr.items[0], "volumeMounts"));

    put_sa(f, "default", "quiet", ",\"automountServiceAccountToken\":false");
    p = pod(f, "default", ",\"serviceAccountName\":\"quiet\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_null(kapi_value_path(p, "spec", "volumes", NULL));

    /* The pod's own preference wins over the account's. */
    p = pod(f, "default", ",\"serviceAccountName\":\"quiet\",\"automountServiceAccountToken\":true", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_int_equal(kapi_value_path(p, "spec", "volumes", NULL)->u.arr.len, 1);
}

static void test_existing_mounts_and_init_containers(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    struct kapi_value *p = parse(
        f, "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],"
           "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox\"}],"
           "\"containers\":[{\"name\":\"a\",\"image\":\"nginx\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":"
           "\"/var/run/secrets/kubernetes.io/serviceaccount\"}]},{\"name\":\"b\",\"image\":\"nginx\"}]}}");
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    struct kapi_value *vols = kapi_value_path(p, "spec", "volumes", NULL);
    assert_int_equal(vols->u.arr.len, 2);
    const char *vol = kapi_obj_get_str(vols->u.arr.items[1], "name");
    assert_memory_equal(vol, "kube-api-access-", 16);
    struct kapi_value *init = kapi_value_path(p, "spec", "initContainers", NULL)->u.arr.items[0];
    assert_string_equal(kapi_obj_get_str(kapi_obj_get(init, "volumeMounts")->u.arr.items[0], "name"), vol);
    struct kapi_value *cs = kapi_value_path(p, "spec", "containers", NULL);
    assert_int_equal(kapi_obj_get(cs->u.arr.items[0], "volumeMounts")->u.arr.len, 1); /* left alone */
    assert_int_equal(kapi_obj_get(cs->u.arr.items[1], "volumeMounts")->u.arr.len, 1);

    /* An existing kube-api-access-* volume is reused, not duplicated. */
    p = parse(f, "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"volumes\":[{\"name\":\"kube-api-access-abcde\","
                 "\"emptyDir\":{}}],\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}]}}");
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_int_equal(kapi_value_path(p, "spec", "volumes", NULL)->u.arr.len, 1);
    struct kapi_value *c = kapi_value_path(p, "spec", "containers", NULL)->u.arr.items[0];
    assert_string_equal(kapi_obj_get_str(kapi_obj_get(c, "volumeMounts")->u.arr.items[0], "name"),
                        "kube-api-access-abcde");
}

static void test_image_pull_secrets_from_account(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    put_sa(f, "default", "puller", ",\"imagePullSecrets\":[{\"name\":\"reg\"}]");
    struct kapi_value *p = pod(f, "default", ",\"serviceAccountName\":\"puller\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(p, "spec", "imagePullSecrets", NULL)), "[{\"name\":\"reg\"}]");
    p = pod(f, "default", ",\"serviceAccountName\":\"puller\",\"imagePullSecrets\":[{\"name\":\"mine\"}]", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(p, "spec", "imagePullSecrets", NULL)), "[{\"name\":\"mine\"}]");
}

static void test_existing_tolerations(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    /* Tolerating every taint covers both. */
    struct kapi_value *p = pod(f, "default", ",\"tolerations\":[{\"operator\":\"Exists\"}]", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(p, "spec", "tolerations", NULL)), "[{\"operator\":\"Exists\"}]");
    /* A not-ready toleration of its own: only unreachable is added. */
    p = pod(f, "default",
            ",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
            "\"effect\":\"NoExecute\",\"tolerationSeconds\":5}]",
            NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(p, "spec", "tolerations", NULL)),
                        "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
                        "\"tolerationSeconds\":5},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
                        "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]");
    /* A NoSchedule toleration does not count. */
    kapi_admission_set_toleration_seconds(f->adm, 60, 120);
    p = pod(f, "default", ",\"tolerations\":[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"}]",
            NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    struct kapi_value *t = kapi_value_path(p, "spec", "tolerations", NULL);
    assert_int_equal(t->u.arr.len, 3);
    assert_int_equal(kapi_obj_get(t->u.arr.items[1], "tolerationSeconds")->u.i, 60);
    assert_int_equal(kapi_obj_get(t->u.arr.items[2], "tolerationSeconds")->u.i, 120);
}

static void test_priority_classes(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", ",\"priorityClassName\":\"high\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_int_equal(kapi_value_path(p, "spec", "priority", NULL)->u.i, 1000);
    assert_string_equal(kapi_value_cstr(kapi_value_path(p, "spec", "preemptionPolicy", NULL)), "Never");

    assert_int_equal(admit(f, "default", pod(f, "default", ",\"priorityClassName\":\"foo\"", NULL), NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: no PriorityClass with name foo was found");

    assert_int_equal(admit(f, "default", pod(f, "default", ",\"priority\":5", NULL), NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: the integer value of priority (5) must not be provided in pod "
                         "spec; priority admission controller computed 0 from the given PriorityClass name");

    p = pod(f, "default", ",\"priorityClassName\":\"high\",\"preemptionPolicy\":\"PreemptLowerPriority\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must "
                         "not be provided in pod spec; priority admission controller computed Never from the given "
                         "PriorityClass name");

    /* The global default class applies to pods naming none (lowest value wins a tie). */
    put_pc(f, "dflt", 50, ",\"globalDefault\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"");
    put_pc(f, "dflt2", 70, ",\"globalDefault\":true");
    p = pod(f, "default", NULL, NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_string_equal(kapi_value_cstr(kapi_value_path(p, "spec", "priorityClassName", NULL)), "dflt");
    assert_int_equal(kapi_value_path(p, "spec", "priority", NULL)->u.i, 50);

    /* A second default is refused on create, and on an update of another class. */
    struct kapi_value *pc = parse(f, "{\"metadata\":{\"name\":\"third\"},\"value\":1,\"globalDefault\":true}");
    assert_int_equal(kapi_admission_admit(f->adm, f->pool, "scheduling.k8s.io", "priorityclasses", "", "", pc, NULL,
                                          NULL, false, &st),
                     -1);
    assert_forbidden(st, "priorityclasses.scheduling.k8s.io \"third\" is forbidden: PriorityClass dflt is already "
                         "marked as default. Only one default can exist");
    pc = parse(f, "{\"metadata\":{\"name\":\"dflt\"},\"value\":50,\"globalDefault\":true}");
    assert_int_equal(kapi_admission_admit(f->adm, f->pool, "scheduling.k8s.io", "priorityclasses", "", "", pc, pc,
                                          NULL, false, &st),
                     0);
}

static void test_update_keeps_priority_and_skips_account(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    struct kapi_value *old = pod(f, "default", ",\"priorityClassName\":\"high\"", NULL);
    assert_int_equal(admit(f, "default", old, NULL, &st), 0);
    struct kapi_value *upd = kapi_value_clone(f->pool, old);
    struct kapi_value *spec = kapi_obj_get(upd, "spec");
    kapi_obj_del(spec, "priority");
    kapi_obj_del(spec, "preemptionPolicy");
    kapi_obj_del(spec, "volumes");
    assert_int_equal(admit(f, "default", upd, old, &st), 0);
    assert_int_equal(kapi_obj_get(spec, "priority")->u.i, 1000);
    assert_string_equal(kapi_obj_get_str(spec, "preemptionPolicy"), "Never");
    assert_null(kapi_obj_get(spec, "volumes")); /* ServiceAccount mutates on create only */
}

static void test_mirror_pods(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    const char *mirror = ",\"annotations\":{\"kubernetes.io/config.mirror\":\"abc\"}";
    struct kapi_value *p = pod(f, "default", NULL, mirror);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_null(kapi_value_path(p, "spec", "serviceAccountName", NULL));
    assert_null(kapi_value_path(p, "spec", "volumes", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", ",\"serviceAccountName\":\"default\"", mirror), NULL, &st),
                     -1);
    assert_forbidden(st, "pods \"x\" is forbidden: a mirror pod may not reference service accounts");
    p = pod(f, "default", ",\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"s\"}}]", mirror);
    assert_int_equal(admit(f, "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: a mirror pod may not reference secrets");
}

static void test_flags_and_plugin_set(void **state)
{
    struct fx *f = *state;
    char err[256];
    assert_int_equal(kapi_admission_check_flags("NamespaceLifecycle,Priority", "ServiceAccount", err, sizeof(err)), 0);
    assert_int_equal(kapi_admission_check_flags("Bogus", NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "enable-admission-plugins plugin \"Bogus\" is unknown");
    assert_int_equal(kapi_admission_check_flags(NULL, "Nope", err, sizeof(err)), -1);
    assert_string_equal(err, "disable-admission-plugins plugin \"Nope\" is unknown");
    assert_int_equal(kapi_admission_check_flags("Priority,AlwaysDeny", "AlwaysDeny,Priority", err, sizeof(err)), -1);
    assert_string_equal(err, "[AlwaysDeny Priority] in enable-admission-plugins and disable-admission-plugins "
                             "overlapped");

    assert_true(kapi_admission_enabled(f->adm, "ServiceAccount"));
    assert_true(kapi_admission_enabled(f->adm, "NamespaceLifecycle"));
    assert_false(kapi_admission_enabled(f->adm, "AlwaysPullImages"));

    /* Without ServiceAccount and DefaultTolerationSeconds only Priority acts. */
    struct kapi_admission *a = kapi_admission_new(f->cache, f->reg, "AlwaysPullImages",
                                                  "ServiceAccount,DefaultTolerationSeconds");
    assert_true(kapi_admission_enabled(a, "AlwaysPullImages"));
    assert_false(kapi_admission_enabled(a, "ServiceAccount"));
    struct kapi_value *p = pod(f, "other", NULL, NULL);
    struct kapi_status *st = NULL;
    assert_int_equal(kapi_admission_admit(a, f->pool, "", "pods", "", "other", p, NULL, NULL, false, &st), 0);
    assert_null(kapi_value_path(p, "spec", "serviceAccountName", NULL));
    assert_null(kapi_value_path(p, "spec", "tolerations", NULL));
    assert_int_equal(kapi_value_path(p, "spec", "priority", NULL)->u.i, 0);
    kapi_admission_free(a);

    a = kapi_admission_new(f->cache, f->reg, "AlwaysDeny", NULL);
    struct kapi_value *cm = parse(f, "{\"metadata\":{\"name\":\"c\"}}");
    assert_int_equal(kapi_admission_admit(a, f->pool, "", "configmaps", "", "default", cm, NULL, NULL, false, &st), -1);
    assert_forbidden(st, "configmaps \"c\" is forbidden: admission control is denying all modifications");
    kapi_admission_free(a);

    /* Other resources and subresources are untouched. */
    p = pod(f, "default", NULL, NULL);
    assert_int_equal(kapi_admission_admit(f->adm, f->pool, "", "pods", "status", "default", p, p, NULL, false, &st),
                     0);
    assert_null(kapi_value_path(p, "spec", "tolerations", NULL));
}

static void test_bootstrap_priority_classes(void **state)
{
    struct fx *f = *state;
    assert_int_equal(kapi_admission_bootstrap(f->store, f->reg), 0);
    assert_int_equal(kapi_admission_bootstrap(f->store, f->reg), 0); /* idempotent */
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
    const struct kapi_kind *k = kapi_registry_find(f->reg, "scheduling.k8s.io", "v1", "priorityclasses");
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(f->pool, k, NULL, "system-node-critical"));
    assert_non_null(o);
    struct kapi_value *pc = kapi_cobj_value(o, f->pool);
    kapi_cobj_unref(o);
    assert_int_equal(kapi_obj_get(pc, "value")->u.i, 2000001000);
    assert_string_equal(kapi_obj_get_str(pc, "description"),
                        "Used for system critical pods that must not be moved from their current node.");
    assert_string_equal(kapi_obj_get_str(pc, "preemptionPolicy"), "PreemptLowerPriority");

    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", ",\"priorityClassName\":\"system-cluster-critical\"", NULL);
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    assert_int_equal(kapi_value_path(p, "spec", "priority", NULL)->u.i, 2000000000);
    assert_string_equal(kapi_value_cstr(kapi_value_path(p, "spec", "preemptionPolicy", NULL)), "PreemptLowerPriority");
}

static void test_limit_range_defaults(void **state)
{
    struct fx *f = *state;
    const struct kapi_kind *k = kapi_registry_find(f->reg, "", "v1", "limitranges");
    assert_non_null(k);
    write_json(f, kapi_registry_key(f->pool, k, "default", "lr"),
               "{\"kind\":\"LimitRange\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"lr\",\"namespace\":"
               "\"default\",\"uid\":\"u-lr\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"limits\":"
               "[{\"type\":\"Container\",\"default\":{\"memory\":\"512Mi\",\"cpu\":\"500m\"},\"defaultRequest\":"
               "{\"cpu\":\"100m\",\"memory\":\"256Mi\"}},{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]}}");
    struct kapi_status *st;
    struct kapi_value *p = parse(
        f, "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"z\":\"1\",\"a\":\"2\"}},\"spec\":{"
           "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox\"}],"
           "\"containers\":[{\"name\":\"a\",\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}");
    assert_int_equal(admit(f, "default", p, NULL, &st), 0);
    struct kapi_value *c = kapi_value_path(p, "spec", "containers", NULL)->u.arr.items[0];
    assert_string_equal(to_json(f, kapi_obj_get(c, "resources")),
                        "{\"limits\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"1\","
                        "\"memory\":\"256Mi\"}}");
    struct kapi_value *i = kapi_value_path(p, "spec", "initContainers", NULL)->u.arr.items[0];
    assert_string_equal(to_json(f, kapi_obj_get(i, "resources")),
                        "{\"limits\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"100m\","
                        "\"memory\":\"256Mi\"}}");
    assert_string_equal(to_json(f, kapi_value_path(p, "metadata", "annotations", NULL)),
                        "{\"a\":\"2\",\"kubernetes.io/limit-ranger\":\"LimitRanger plugin set: memory request for "
                        "container a; cpu, memory limit for container a; cpu, memory request for init container i; "
                        "cpu, memory limit for init container i\",\"z\":\"1\"}");
    /* Another namespace has no LimitRange. */
    put_sa(f, "free", "default", NULL);
    p = pod(f, "free", NULL, NULL);
    assert_int_equal(admit(f, "free", p, NULL, &st), 0);
    assert_null(kapi_value_path(p, "metadata", "annotations", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_minimal_pod_reads_back_like_upstream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_service_account_is_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_automount_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_mounts_and_init_containers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_pull_secrets_from_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_tolerations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_keeps_priority_and_skips_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mirror_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_and_plugin_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_priority_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_range_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
