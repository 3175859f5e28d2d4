/* Unit tests for the object-defaulting and CSR admission plugins
 * (storageclass.c, ingressclass.c, runtimeclass.c, nodetaint.c,
 * inuseprotection.c, certificates.c) through the whole default chain over
 * the SQLite store, the watch cache and the registry: what each adds to new
 * objects, when it leaves them alone, and upstream's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission/admission.h"
#include "auth/rbac.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"
#include "storage/storage.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_admission *adm;
    struct kapi_rbac *rbac;
    struct kapi_pool *pool;
};

/* Creates or replaces group/version/resource ns/name with json. */
static void put(struct fx *f, const char *group, const char *resource, const char *ns, const char *name,
                const char *json)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, "v1", resource);
    assert_non_null(k);
    const char *key = kapi_registry_key(f->pool, k, ns, name);
    struct kapi_kv kv = {0};
    int exists = kapi_store_get(f->store, key, &kv) == 0;
    int64_t rev = kv.mod_rev;
    kapi_kv_dispose(&kv);
    struct kapi_write w = {.op = exists ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = json,
                           .len = strlen(json), .expect_mod_rev = exists ? rev : 0};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-admplug-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    f->adm = kapi_admission_new(f->cache, f->reg, NULL, NULL);
    put(f, "", "serviceaccounts", "default", "default",
        "{\"kind\":\"ServiceAccount\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"default\",\"namespace\":"
        "\"default\",\"uid\":\"u-sa\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
        "\"automountServiceAccountToken\":false}");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_adm_set_authorizer(f->adm, NULL);
    kapi_admission_free(f->adm);
    kapi_rbac_free(f->rbac);
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

static int admit_as(struct fx *f, const char *group, const char *resource, const char *sub, const char *ns,
                    struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user,
                    struct kapi_status **st)
{
    *st = NULL;
    return kapi_admission_admit(f->adm, f->pool, group, resource, sub, ns, obj, old, user, false, st);
}

static int admit(struct fx *f, const char *group, const char *resource, const char *ns, struct kapi_value *obj,
                 const struct kapi_value *old, struct kapi_status **st)
{
    return admit_as(f, group, resource, "", ns, obj, old, NULL, st);
}

static void assert_forbidden(struct kapi_status *st, const char *message)
{
    assert_non_null(st);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");
    assert_string_equal(st->message, message);
}

static const char *path_json(struct fx *f, const struct kapi_value *v, const char *a, const char *b)
{
    const struct kapi_value *x = kapi_value_path(v, a, b, NULL);
    return x ? to_json(f, x) : "<none>";
}

/* ---- DefaultStorageClass + StorageObjectInUseProtection ---- */

static void storage_class(struct fx *f, const char *name, const char *created, const char *ann, const char *extra)
{
    put(f, "storage.k8s.io", "storageclasses", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"StorageClass\",\"apiVersion\":\"storage.k8s.io/v1\",\"metadata\":{\"name\":"
                         "\"%s\",\"uid\":\"u-%s\",\"creationTimestamp\":\"%s\"%s%s%s},\"provisioner\":\"x.io/p\"%s}",
                         name, name, created, ann ? ",\"annotations\":{" : "", ann ? ann : "", ann ? "}" : "",
                         extra ? extra : ""));
}

static struct kapi_value *pvc(struct fx *f, const char *spec_extra, const char *meta_extra)
{
    return parse(f, kapi_pool_printf(f->pool,
                                     "{\"kind\":\"PersistentVolumeClaim\",\"apiVersion\":\"v1\",\"metadata\":"
                                     "{\"name\":\"c\",\"namespace\":\"default\"%s},\"spec\":{\"accessModes\":"
                                     "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}},"
                                     "\"volumeMode\":\"Filesystem\"%s}}",
                                     meta_extra ? meta_extra : "", spec_extra ? spec_extra : ""));
}

static void test_default_storage_class_and_pvc_protection(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    /* No default class: the claim keeps no class, but gets the finalizer. */
    storage_class(f, "plain", "2026-01-01T00:00:00Z", NULL, NULL);
    struct kapi_value *c = pvc(f, NULL, NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_null(kapi_value_path(c, "spec", "storageClassName", NULL));
    assert_string_equal(path_json(f, c, "metadata", "finalizers"), "[\"kubernetes.io/pvc-protection\"]");

    storage_class(f, "std", "2026-01-02T00:00:00Z", "\"storageclass.kubernetes.io/is-default-class\":\"true\"",
                  NULL);
    c = pvc(f, NULL, ",\"finalizers\":[\"a/b\"],\"labels\":{\"x\":\"y\"}");
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    /* the class lands in the Go field order of PersistentVolumeClaimSpec */
    assert_string_equal(to_json(f, kapi_obj_get(c, "spec")),
                        "{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}},"
                        "\"storageClassName\":\"std\",\"volumeMode\":\"Filesystem\"}");
    assert_string_equal(path_json(f, c, "metadata", "finalizers"), "[\"a/b\",\"kubernetes.io/pvc-protection\"]");

    /* Several defaults: the newest, then the smaller name on equal times
     * (the beta annotation counts too). */
    storage_class(f, "zzz", "2026-03-01T00:00:00Z", "\"storageclass.beta.kubernetes.io/is-default-class\":\"true\"",
                  NULL);
    storage_class(f, "old", "2025-03-01T00:00:00Z", "\"storageclass.kubernetes.io/is-default-class\":\"true\"",
                  NULL);
    storage_class(f, "nope", "2027-03-01T00:00:00Z", "\"storageclass.kubernetes.io/is-default-class\":\"True\"",
                  NULL);
    c = pvc(f, NULL, NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_string_equal(path_json(f, c, "spec", "storageClassName"), "\"zzz\"");
    storage_class(f, "aaa", "2026-03-01T00:00:00Z", "\"storageclass.kubernetes.io/is-default-class\":\"true\"",
                  NULL);
    c = pvc(f, NULL, NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_string_equal(path_json(f, c, "spec", "storageClassName"), "\"aaa\"");

    /* A class asked for, even "", or through the beta annotation: kept. */
    c = pvc(f, ",\"storageClassName\":\"\"", NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_string_equal(path_json(f, c, "spec", "storageClassName"), "\"\"");
    c = pvc(f, NULL, ",\"annotations\":{\"volume.beta.kubernetes.io/storage-class\":\"slow\"}");
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_null(kapi_value_path(c, "spec", "storageClassName", NULL));
    /* The finalizer is not added twice. */
    c = pvc(f, NULL, ",\"finalizers\":[\"kubernetes.io/pvc-protection\"]");
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_string_equal(path_json(f, c, "metadata", "finalizers"), "[\"kubernetes.io/pvc-protection\"]");
    /* Updates are left alone. */
    struct kapi_value *old = pvc(f, NULL, NULL);
    c = pvc(f, NULL, NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, old, &st), 0);
    assert_null(kapi_value_path(c, "spec", "storageClassName", NULL));
    assert_null(kapi_value_path(c, "metadata", "finalizers", NULL));

    /* PersistentVolumes get pv-protection, placed in ObjectMeta's order. */
    struct kapi_value *pv = parse(f, "{\"kind\":\"PersistentVolume\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
                                     "\"v\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},"
                                     "\"hostPath\":{\"path\":\"/x\"},\"accessModes\":[\"ReadWriteOnce\"]}}");
    assert_int_equal(admit(f, "", "persistentvolumes", "", pv, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_obj_get(pv, "metadata")),
                        "{\"name\":\"v\",\"labels\":{\"a\":\"b\"},\"finalizers\":[\"kubernetes.io/pv-protection\"]}");

    /* Off when disabled. */
    kapi_admission_free(f->adm);
    f->adm = kapi_admission_new(f->cache, f->reg, NULL, "DefaultStorageClass,StorageObjectInUseProtection");
    c = pvc(f, NULL, NULL);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", c, NULL, &st), 0);
    assert_null(kapi_value_path(c, "spec", "storageClassName", NULL));
    assert_null(kapi_value_path(c, "metadata", "finalizers", NULL));
}

static void test_pvc_resize(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    storage_class(f, "grow", "2026-01-01T00:00:00Z", NULL, ",\"allowVolumeExpansion\":true");
    storage_class(f, "fixed", "2026-01-01T00:00:00Z", NULL, NULL);
#define CLAIM(size, cls, phase)                                                                                    \
    parse(f, "{\"kind\":\"PersistentVolumeClaim\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\","         \
             "\"namespace\":\"default\"},\"spec\":{\"resources\":{\"requests\":{\"storage\":\"" size "\"}},"   \
             "\"storageClassName\":\"" cls "\"},\"status\":{\"phase\":\"" phase "\"}}")
    /* shrinking or keeping the size is not this plugin's business */
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", CLAIM("1Gi", "fixed", "Pending"),
                           CLAIM("2Gi", "fixed", "Pending"), &st), 0);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", CLAIM("1024Mi", "fixed", "Pending"),
                           CLAIM("1Gi", "fixed", "Pending"), &st), 0);
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", CLAIM("2Gi", "grow", "Pending"),
                           CLAIM("1Gi", "grow", "Pending"), &st), -1);
    assert_forbidden(st, "persistentvolumeclaims \"c\" is forbidden: Only bound persistent volume claims can be "
                         "expanded");
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", CLAIM("2Gi", "fixed", "Bound"),
                           CLAIM("1Gi", "fixed", "Bound"), &st), -1);
    assert_forbidden(st, "persistentvolumeclaims \"c\" is forbidden: only dynamically provisioned pvc can be "
                         "resized and the storageclass that provisions the pvc must support resize");
    assert_int_equal(admit(f, "", "persistentvolumeclaims", "default", CLAIM("1500M", "grow", "Bound"),
                           CLAIM("1Gi", "grow", "Bound"), &st), 0);
#undef CLAIM
}

/* ---- DefaultIngressClass ---- */

static void ingress_class(struct fx *f, const char *name, const char *created, bool def)
{
    put(f, "networking.k8s.io", "ingressclasses", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"IngressClass\",\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":{\"name\":"
                         "\"%s\",\"uid\":\"u-%s\",\"creationTimestamp\":\"%s\"%s},\"spec\":{\"controller\":"
                         "\"x.io/c\"}}",
                         name, name, created,
                         def ? ",\"annotations\":{\"ingressclass.kubernetes.io/is-default-class\":\"true\"}" : ""));
}

static struct kapi_value *ingress(struct fx *f, const char *spec_extra, const char *meta_extra)
{
    return parse(f, kapi_pool_printf(f->pool,
                                     "{\"kind\":\"Ingress\",\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":"
                                     "{\"name\":\"i\",\"namespace\":\"default\"%s},\"spec\":{%s\"rules\":[{\"host\":"
                                     "\"a.example.com\"}]}}",
                                     meta_extra ? meta_extra : "", spec_extra ? spec_extra : ""));
}

static void test_default_ingress_class(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    ingress_class(f, "other", "2026-01-01T00:00:00Z", false);
    struct kapi_value *in = ingress(f, NULL, NULL);
    assert_int_equal(admit(f, "networking.k8s.io", "ingresses", "default", in, NULL, &st), 0);
    assert_null(kapi_value_path(in, "spec", "ingressClassName", NULL));

    ingress_class(f, "nginx", "2026-01-02T00:00:00Z", true);
    ingress_class(f, "older", "2026-01-01T00:00:00Z", true);
    in = ingress(f, NULL, NULL);
    assert_int_equal(admit(f, "networking.k8s.io", "ingresses", "default", in, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_obj_get(in, "spec")),
                        "{\"ingressClassName\":\"nginx\",\"rules\":[{\"host\":\"a.example.com\"}]}");
    /* a class field (even "") or the legacy annotation: kept as is */
    in = ingress(f, "\"ingressClassName\":\"\",", NULL);
    assert_int_equal(admit(f, "networking.k8s.io", "ingresses", "default", in, NULL, &st), 0);
    assert_string_equal(path_json(f, in, "spec", "ingressClassName"), "\"\"");
    in = ingress(f, NULL, ",\"annotations\":{\"kubernetes.io/ingress.class\":\"x\"}");
    assert_int_equal(admit(f, "networking.k8s.io", "ingresses", "default", in, NULL, &st), 0);
    assert_null(kapi_value_path(in, "spec", "ingressClassName", NULL));
    /* not on update */
    in = ingress(f, NULL, NULL);
    assert_int_equal(admit(f, "networking.k8s.io", "ingresses", "default", in, ingress(f, NULL, NULL), &st), 0);
    assert_null(kapi_value_path(in, "spec", "ingressClassName", NULL));
}

/* ---- TaintNodesByCondition ---- */

static void test_node_not_ready_taint(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    struct kapi_value *n = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\"}}");
    assert_int_equal(admit(f, "", "nodes", "", n, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_obj_get(n, "spec")),
                        "{\"taints\":[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoSchedule\"}]}");
    /* placed in NodeSpec's order, after existing taints */
    n = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n2\"},\"spec\":{\"podCIDR\":"
                 "\"10.0.0.0/24\",\"taints\":[{\"key\":\"a\",\"effect\":\"NoExecute\"}]}}");
    assert_int_equal(admit(f, "", "nodes", "", n, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_obj_get(n, "spec")),
                        "{\"podCIDR\":\"10.0.0.0/24\",\"taints\":[{\"key\":\"a\",\"effect\":\"NoExecute\"},"
                        "{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoSchedule\"}]}");
    n = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n3\"},\"spec\":{\"unschedulable\":"
                 "true}}");
    assert_int_equal(admit(f, "", "nodes", "", n, NULL, &st), 0);
    assert_string_equal(to_json(f, kapi_obj_get(n, "spec")),
                        "{\"unschedulable\":true,\"taints\":[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":"
                        "\"NoSchedule\"}]}");
    /* same key and effect already there (any value): nothing added */
    n = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n4\"},\"spec\":{\"taints\":[{"
                 "\"key\":\"node.kubernetes.io/not-ready\",\"value\":\"v\",\"effect\":\"NoSchedule\"}]}}");
    assert_int_equal(admit(f, "", "nodes", "", n, NULL, &st), 0);
    assert_int_equal(kapi_value_path(n, "spec", "taints", NULL)->u.arr.len, 1);
    /* updates and the status subresource are left alone */
    struct kapi_value *old = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\"}}");
    n = parse(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\"}}");
    assert_int_equal(admit(f, "", "nodes", "", n, old, &st), 0);
    assert_null(kapi_obj_get(n, "spec"));
}

/* ---- RuntimeClass ---- */

static void runtime_class(struct fx *f, const char *name, const char *extra)
{
    put(f, "node.k8s.io", "runtimeclasses", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"RuntimeClass\",\"apiVersion\":\"node.k8s.io/v1\",\"metadata\":{\"name\":\"%s\","
                         "\"uid\":\"u-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"handler\":\"h\"%s}",
                         name, name, extra ? extra : ""));
}

static struct kapi_value *rc_pod(struct fx *f, const char *spec_extra)
{
    struct kapi_value *p = parse(
        f, kapi_pool_printf(f->pool,
                            "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"namespace\":"
                            "\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]%s}}",
                            spec_extra ? spec_extra : ""));
    kapi_defaults_apply(f->pool, "", "v1", "Pod", p);
    return p;
}

#define DEFAULT_TOLS                                                                                               \
    "{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","                 \
    "\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","              \
    "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}"

static void test_runtime_class(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    /* unknown class: refused */
    assert_int_equal(admit(f, "", "pods", "default", rc_pod(f, ",\"runtimeClassName\":\"gvisor\""), NULL, &st), -1);
    assert_forbidden(st, "pods \"p\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found");

    runtime_class(f, "kata", ",\"overhead\":{\"podFixed\":{\"memory\":\"120Mi\",\"cpu\":\"250m\"}}");
    struct kapi_value *p = rc_pod(f, ",\"runtimeClassName\":\"kata\"");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    assert_string_equal(path_json(f, p, "spec", "overhead"), "{\"cpu\":\"250m\",\"memory\":\"120Mi\"}");
    /* overhead sits after runtimeClassName/enableServiceLinks, as in PodSpec */
    struct kapi_value *spec = kapi_obj_get(p, "spec");
    const char *last = spec->u.obj.members[spec->u.obj.len - 1].key;
    assert_string_equal(last, "overhead");

    /* the pod's own overhead must be the class's (equal as quantities) */
    p = rc_pod(f, ",\"runtimeClassName\":\"kata\",\"overhead\":{\"cpu\":\"0.25\",\"memory\":\"120Mi\"}");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    p = rc_pod(f, ",\"runtimeClassName\":\"kata\",\"overhead\":{\"cpu\":\"1\"}");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"p\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's "
                         "defined Overhead");
    /* an overhead without a class that defines one */
    p = rc_pod(f, ",\"overhead\":{\"cpu\":\"1\"}");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"p\" is forbidden: pod rejected: Pod Overhead set without corresponding "
                         "RuntimeClass defined Overhead");
    runtime_class(f, "runc", NULL);
    p = rc_pod(f, ",\"runtimeClassName\":\"runc\",\"overhead\":{\"cpu\":\"1\"}");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"p\" is forbidden: pod rejected: Pod Overhead set without corresponding "
                         "RuntimeClass defined Overhead");
    p = rc_pod(f, ",\"runtimeClassName\":\"runc\"");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    assert_null(kapi_value_path(p, "spec", "overhead", NULL));

    /* scheduling: nodeSelector merged (sorted), tolerations merged with
     * redundant ones dropped */
    runtime_class(f, "sched",
                  ",\"scheduling\":{\"nodeSelector\":{\"sandbox\":\"yes\",\"arch\":\"amd64\"},\"tolerations\":["
                  "{\"key\":\"sandbox\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
                  "{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]}");
    p = rc_pod(f, ",\"runtimeClassName\":\"sched\",\"nodeSelector\":{\"zone\":\"a\",\"arch\":\"amd64\"},"
                  "\"tolerations\":[{\"key\":\"sandbox\",\"operator\":\"Equal\",\"value\":\"1\",\"effect\":"
                  "\"NoSchedule\"}]");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    assert_string_equal(path_json(f, p, "spec", "nodeSelector"),
                        "{\"arch\":\"amd64\",\"sandbox\":\"yes\",\"zone\":\"a\"}");
    assert_string_equal(path_json(f, p, "spec", "tolerations"),
                        "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":"
                        "\"NoExecute\",\"tolerationSeconds\":300},{\"key\":\"sandbox\",\"operator\":\"Exists\","
                        "\"effect\":\"NoSchedule\"},{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
                        "\"Exists\",\"effect\":\"NoExecute\"}]");
    /* no pod selector: the class's */
    p = rc_pod(f, ",\"runtimeClassName\":\"sched\"");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    assert_string_equal(path_json(f, p, "spec", "nodeSelector"), "{\"arch\":\"amd64\",\"sandbox\":\"yes\"}");
    /* a conflicting selector value */
    p = rc_pod(f, ",\"runtimeClassName\":\"sched\",\"nodeSelector\":{\"arch\":\"arm64\"}");
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), -1);
    assert_forbidden(st, "pods \"p\" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[arch] = amd64; "
                         "pod.spec.nodeSelector[arch] = arm64");
    /* a pod without a class is untouched */
    p = rc_pod(f, NULL);
    assert_int_equal(admit(f, "", "pods", "default", p, NULL, &st), 0);
    assert_string_equal(path_json(f, p, "spec", "tolerations"), "[" DEFAULT_TOLS "]");
    assert_null(kapi_value_path(p, "spec", "nodeSelector", NULL));
}

/* ---- the CSR plugins ---- */

#define CSR_MASTERS                                                                                                \
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIeU1JR1lBZ0VBTURZeEREQUtCZ05WQkFNTUEySnZZakVOTUFzR0ExVUVD" \
    "Z3dFWkdWMmN6RVhNQlVHQTFVRQpDZ3dPYzNsemRHVnRPbTFoYzNSbGNuTXdXVEFUQmdjcWhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBU1VnRDZj" \
    "CkxGeE1Db2xoM3ZBcVMrTUFYR3hVS0FnajZHL3hGUC9qTXRtbVp0N2ZDNnRWZmFyc0Fqd1VjZnh0cjBQV1B3b1QKWWcyWVlGTjE2Rnl5TDE1S29B" \
    "QXdDZ1lJS29aSXpqMEVBd0lEU1FBd1JnSWhBSkhSWDZQVGxYSXRDdjVFV09ZQgpPZFM2NXB6VDFyQzJSNFQzL3VqTEhyQVJBaUVBbkFEcmU2T2lG" \
    "NWc3TXN1OFdzeDB4WHN6K2JaOXM0WjkzU0JFCllnc2JCYWc9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="
#define CSR_DEVS                                                                                                   \
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIbU1JR09BZ0VBTUN3eEREQUtCZ05WQkFNTUEySnZZakVOTUFzR0ExVUVD" \
    "Z3dFWkdWMmN6RU5NQXNHQTFVRQpDZ3dFWkdWMmN6QlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQUJKN1ovY0F6U0VEeTA5NGxKWDZi" \
    "CmI1N1VJVjR4Y05oaHBCMy9xOHdHSkVxS0szZ0FCS0Rxd2lEKzZIL0RubjdGVzJjdGpvN2ZleFN6UzVKMnBSeHQKeVFhZ0FEQUtCZ2dxaGtqT1BR" \
    "UURBZ05IQURCRUFpQUZzSjNZZnh4ekFmVktNb1VST0lJQzBVRjIxMmxCT0tOYwpXd2t5V1lqVWtRSWdlQi91NDBaTnkvZDNtTVQ1N3B6MXlKUnhm" \
    "U3FwNEVSVWNDNlJSeXoyV2hrPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"

static struct kapi_value *csr(struct fx *f, const char *signer, const char *request, const char *status)
{
    return parse(f, kapi_pool_printf(f->pool,
                                     "{\"kind\":\"CertificateSigningRequest\",\"apiVersion\":\"certificates.k8s.io/v1\","
                                     "\"metadata\":{\"name\":\"r\"},\"spec\":{\"request\":\"%s\",\"signerName\":\"%s\","
                                     "\"usages\":[\"client auth\"]},\"status\":{%s}}",
                                     request, signer, status ? status : ""));
}

static void test_csr_subject_restriction(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    const char *csrs = "certificatesigningrequests";
    assert_int_equal(admit(f, "certificates.k8s.io", csrs, "", csr(f, "kubernetes.io/kube-apiserver-client",
                                                                     CSR_MASTERS, NULL), NULL, &st), -1);
    assert_forbidden(st, "certificatesigningrequests.certificates.k8s.io \"r\" is forbidden: use of "
                         "kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
    assert_string_equal(st->group, "certificates.k8s.io");
    assert_int_equal(admit(f, "certificates.k8s.io", csrs, "", csr(f, "kubernetes.io/kube-apiserver-client",
                                                                     CSR_DEVS, NULL), NULL, &st), 0);
    /* other signers may ask for anything */
    assert_int_equal(admit(f, "certificates.k8s.io", csrs, "", csr(f, "example.com/signer", CSR_MASTERS, NULL), NULL,
                           &st), 0);
    /* not a PEM CERTIFICATE REQUEST */
    assert_int_equal(admit(f, "certificates.k8s.io", csrs, "",
                           csr(f, "kubernetes.io/kube-apiserver-client", "aGVsbG8=", NULL), NULL, &st), -1);
    assert_forbidden(st, "certificatesigningrequests.certificates.k8s.io \"r\" is forbidden: failed to parse CSR: "
                         "PEM block type must be CERTIFICATE REQUEST");
}

static void rbac_put(struct fx *f, const char *resource, const char *name, const char *json)
{
    put(f, "rbac.authorization.k8s.io", resource, NULL, name, json);
}

static void grant(struct fx *f, const char *name, const char *verb, const char *signer)
{
    rbac_put(f, "clusterroles", name,
             kapi_pool_printf(f->pool,
                              "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":"
                              "{\"name\":\"%s\"},\"rules\":[{\"verbs\":[\"%s\"],\"apiGroups\":[\"certificates.k8s.io\"],"
                              "\"resources\":[\"signers\"],\"resourceNames\":[\"%s\"]}]}",
                              name, verb, signer));
    rbac_put(f, "clusterrolebindings", name,
             kapi_pool_printf(f->pool,
                              "{\"kind\":\"ClusterRoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                              "\"metadata\":{\"name\":\"%s\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
                              "\"rbac.authorization.k8s.io\",\"name\":\"alice\"}],\"roleRef\":{\"apiGroup\":"
                              "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"%s\"}}",
                              name, name));
}

static void test_csr_approval_and_signing(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    const char *csrs = "certificatesigningrequests";
    const char *groups[] = {"system:authenticated"};
    struct kapi_user alice = {.name = "alice", .uid = "", .groups = groups, .ngroups = 1};
    const char *mgroups[] = {"system:masters", "system:authenticated"};
    struct kapi_user admin = {.name = "admin", .uid = "", .groups = mgroups, .ngroups = 2};
    const char *approved = "\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"R\"}]";

    /* Without an authorizer (AlwaysAllow) everyone may approve. */
    struct kapi_value *old = csr(f, "example.com/signer", CSR_DEVS, NULL);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), old, &alice, &st), 0);

    f->rbac = kapi_rbac_new(f->cache, f->reg);
    kapi_adm_set_authorizer(f->adm, f->rbac);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), old, &alice, &st), -1);
    assert_forbidden(st, "certificatesigningrequests.certificates.k8s.io \"r\" is forbidden: user not permitted to "
                         "approve requests with signerName \"example.com/signer\"");
    /* system:masters may */
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), old, &admin, &st), 0);
    /* the domain wildcard grants it */
    grant(f, "approve-example", "approve", "example.com/*");
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), old, &alice, &st), 0);
    /* the signer checked is the stored one, not the one sent */
    struct kapi_value *old_other = csr(f, "other.io/signer", CSR_DEVS, NULL);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), old_other, &alice, &st), -1);
    assert_forbidden(st, "certificatesigningrequests.certificates.k8s.io \"r\" is forbidden: user not permitted to "
                         "approve requests with signerName \"other.io/signer\"");

    /* /status: unchanged certificate and conditions need nothing */
    struct kapi_value *sold = csr(f, "example.com/signer", CSR_DEVS, approved);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "status", "",
                              csr(f, "example.com/signer", CSR_DEVS, approved), sold, &alice, &st), 0);
    /* issuing a certificate needs "sign" (approve is not enough) */
    const char *issued = kapi_pool_printf(f->pool, "%s,\"certificate\":\"Y2VydA==\"", approved);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "status", "",
                              csr(f, "example.com/signer", CSR_DEVS, issued), sold, &alice, &st), -1);
    assert_forbidden(st, "certificatesigningrequests.certificates.k8s.io \"r\" is forbidden: user not permitted to "
                         "sign requests with signerName \"example.com/signer\"");
    /* and so does adding a condition */
    const char *failed = "\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"R\"},"
                         "{\"type\":\"Failed\",\"status\":\"True\"}]";
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "status", "",
                              csr(f, "example.com/signer", CSR_DEVS, failed), sold, &alice, &st), -1);
    grant(f, "sign-example", "sign", "example.com/signer");
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "status", "",
                              csr(f, "example.com/signer", CSR_DEVS, issued), sold, &alice, &st), 0);
    /* plain updates of the CSR are not checked */
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "", "", csr(f, "x.io/s", CSR_DEVS, issued),
                              csr(f, "x.io/s", CSR_DEVS, NULL), &alice, &st), 0);
    /* disabled: no check */
    kapi_adm_set_authorizer(f->adm, NULL);
    kapi_admission_free(f->adm);
    f->adm = kapi_admission_new(f->cache, f->reg, NULL, "CertificateApproval");
    kapi_adm_set_authorizer(f->adm, f->rbac);
    assert_int_equal(admit_as(f, "certificates.k8s.io", csrs, "approval", "", csr(f, "z.io/s", CSR_DEVS, approved),
                              csr(f, "z.io/s", CSR_DEVS, NULL), &alice, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_storage_class_and_pvc_protection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvc_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_ingress_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_not_ready_taint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_subject_restriction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_approval_and_signing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
