/* registry/kinds: which metadata a /status write takes from the stored
 * object, per kind (the metadata part of kube-apiserver 1.33's status
 * strategies' PrepareForUpdate), and the AppArmor annotation/field sync of
 * 1.33's pod PrepareForCreate. */
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
#include "vtest.h"

/* The value as compact JSON with ' for ". */
static const char *OLD_MD = "{'name':'o','labels':{'l':'old'},'annotations':{'a':'old'},'finalizers':['f/old'],"
                            "'ownerReferences':[{'apiVersion':'v1','kind':'ConfigMap','name':'old','uid':'u1'}],"
                            "'generation':3,'deletionTimestamp':'2025-01-01T00:00:00Z'}";
static const char *NEW_MD = "{'name':'o','labels':{'l':'new'},'annotations':{'a':'new'},'finalizers':['f/new'],"
                            "'ownerReferences':[{'apiVersion':'v1','kind':'ConfigMap','name':'new','uid':'u2'}],"
                            "'generation':9,'generateName':'g-','managedFields':[{'manager':'new'}]}";

/* The metadata a /status write of NEW_MD over OLD_MD ends with. */
static struct kapi_value *status_md(struct kapi_pool *pool, const char *group, const char *kind, bool crd)
{
    static char fake; /* any CRD version: only its presence matters here */
    struct kapi_kind k = {.group = group, .kind = kind, .version = "v1"};
    if (crd)
        k.crd = (const void *)&fake;
    char obj[1024], old[1024];
    snprintf(obj, sizeof(obj), "{'metadata':%s,'status':{'x':1}}", NEW_MD);
    snprintf(old, sizeof(old), "{'metadata':%s}", OLD_MD);
    struct kapi_value *o = parse(pool, obj);
    kapi_kind_prepare_subresource(pool, &k, "status", o, parse(pool, old));
    return kapi_obj_get(o, "metadata");
}

static const char *field(struct kapi_pool *pool, const struct kapi_value *md, const char *f)
{
    const char *s = show(pool, kapi_obj_get(md, f));
    /* 'old' or 'new' by the value's content */
    return strstr(s, "old") ? "old" : strstr(s, "new") ? "new" : s;
}

/* labels, annotations, finalizers, ownerReferences: "old" where the stored
 * object's value is kept, "new" where the write's is */
static void expect(const char *group, const char *kind, bool crd, const char *labels, const char *annotations,
                   const char *finalizers, const char *owners)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *md = status_md(pool, group, kind, crd);
    assert_string_equal(field(pool, md, "labels"), labels);
    assert_string_equal(field(pool, md, "annotations"), annotations);
    assert_string_equal(field(pool, md, "finalizers"), finalizers);
    assert_string_equal(field(pool, md, "ownerReferences"), owners);
    /* every kind keeps the stored generation and deletionTimestamp */
    assert_string_equal(show(pool, kapi_obj_get(md, "generation")), "3");
    assert_string_equal(show(pool, kapi_obj_get(md, "deletionTimestamp")), "'2025-01-01T00:00:00Z'");
    /* and the write's managedFields */
    assert_string_equal(field(pool, md, "managedFields"), "new");
    kapi_pool_free(pool);
}

static void test_spec_only_kinds(void **state)
{
    (void)state;
    static const char *const kinds[][2] = {
        {"", "Node"}, {"", "Service"}, {"", "PersistentVolume"}, {"", "PersistentVolumeClaim"},
        {"", "Namespace"}, {"", "ReplicationController"}, {"", "ResourceQuota"}, {"apps", "ReplicaSet"},
        {"apps", "StatefulSet"}, {"apps", "DaemonSet"}, {"batch", "Job"}, {"batch", "CronJob"},
        {"autoscaling", "HorizontalPodAutoscaler"}, {"policy", "PodDisruptionBudget"},
        {"networking.k8s.io", "Ingress"}, {"networking.k8s.io", "ServiceCIDR"},
        {"certificates.k8s.io", "CertificateSigningRequest"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        expect(kinds[i][0], kinds[i][1], false, "new", "new", "new", "new");
}

static void test_pod_and_deployment(void **state)
{
    (void)state;
    expect("", "Pod", false, "new", "new", "new", "old");
    expect("apps", "Deployment", false, "old", "new", "new", "new");
    /* an apps Pod is no core Pod */
    expect("apps", "Pod", false, "new", "new", "new", "new");
}

static void test_reset_kinds(void **state)
{
    (void)state;
    expect("apiextensions.k8s.io", "CustomResourceDefinition", false, "old", "old", "new", "old");
    expect("apiregistration.k8s.io", "APIService", false, "old", "old", "old", "old");
    expect("storage.k8s.io", "VolumeAttachment", false, "old", "old", "old", "old");
    expect("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", false, "old", "old", "old", "old");
}

static void test_whole_metadata_kinds(void **state)
{
    (void)state;
    expect("flowcontrol.apiserver.k8s.io", "FlowSchema", false, "old", "old", "old", "old");
    expect("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", false, "old", "old", "old", "old");
    expect("example.com", "Widget", true, "old", "old", "old", "old");
    /* fields the stored object lacks go, too */
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *md = status_md(pool, "example.com", "Widget", true);
    assert_null(kapi_obj_get(md, "generateName"));
    md = status_md(pool, "", "Node", false);
    assert_string_equal(show(pool, kapi_obj_get(md, "generateName")), "'g-'");
    kapi_pool_free(pool);
}

static void test_absent_stored_fields_are_dropped(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "storage.k8s.io", .kind = "VolumeAttachment", .version = "v1"};
    struct kapi_value *o = parse(pool, "{'metadata':{'name':'v','labels':{'a':'b'},'generation':4}}");
    kapi_kind_prepare_subresource(pool, &k, "status", o, parse(pool, "{'metadata':{'name':'v'}}"));
    assert_string_equal(show(pool, kapi_obj_get(o, "metadata")), "{'name':'v'}");
    /* and a pod gains no deletionTimestamp through /status */
    struct kapi_kind pod = {.group = "", .kind = "Pod", .version = "v1"};
    o = parse(pool, "{'metadata':{'name':'p','deletionTimestamp':'2025-01-01T00:00:00Z','labels':{'a':'b'}}}");
    kapi_kind_prepare_subresource(pool, &pod, "status", o, parse(pool, "{'metadata':{'name':'p'}}"));
    assert_string_equal(show(pool, kapi_obj_get(o, "metadata")), "{'name':'p','labels':{'a':'b'}}");
    kapi_pool_free(pool);
}

/* ---- AppArmor sync on pod create. */

static const char *synced(struct kapi_pool *pool, const char *pod)
{
    struct kapi_value *v = parse(pool, pod);
    struct kapi_kind k = {.group = "", .kind = "Pod", .version = "v1"};
    kapi_kind_prepare_create_early(pool, &k, v, NULL);
    return show(pool, v);
}

static void test_apparmor_fields_to_annotations(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    /* the container's profile, else the pod's */
    assert_string_equal(
        synced(pool, "{'metadata':{},'spec':{'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}},"
                     "'initContainers':[{'name':'i'}],"
                     "'containers':[{'name':'a','securityContext':{'appArmorProfile':{'type':'Localhost',"
                     "'localhostProfile':'prof'}}},{'name':'b','securityContext':{'appArmorProfile':"
                     "{'type':'Unconfined'}}}]}}"),
        "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/i':'runtime/default',"
        "'container.apparmor.security.beta.kubernetes.io/a':'localhost/prof',"
        "'container.apparmor.security.beta.kubernetes.io/b':'unconfined'}},"
        "'spec':{'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}},'initContainers':[{'name':'i'}],"
        "'containers':[{'name':'a','securityContext':{'appArmorProfile':{'type':'Localhost','localhostProfile':"
        "'prof'}}},{'name':'b','securityContext':{'appArmorProfile':{'type':'Unconfined'}}}]}}");
    /* no profile, or Localhost without a name: no annotation */
    assert_string_equal(
        synced(pool, "{'spec':{'containers':[{'name':'a'},{'name':'b','securityContext':{'appArmorProfile':"
                     "{'type':'Localhost'}}}]}}"),
        "{'spec':{'containers':[{'name':'a'},{'name':'b','securityContext':{'appArmorProfile':"
        "{'type':'Localhost'}}}]}}");
    /* an existing annotation is left as it is */
    assert_string_equal(
        synced(pool, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/a':'unconfined'}},"
                     "'spec':{'containers':[{'name':'a','securityContext':{'appArmorProfile':"
                     "{'type':'RuntimeDefault'}}}]}}"),
        "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/a':'unconfined'}},"
        "'spec':{'containers':[{'name':'a','securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}}}]}}");
    /* Windows pods are left alone */
    assert_string_equal(
        synced(pool, "{'spec':{'os':{'name':'windows'},'securityContext':{'appArmorProfile':{'type':'Unconfined'}},"
                     "'containers':[{'name':'a'}]}}"),
        "{'spec':{'os':{'name':'windows'},'securityContext':{'appArmorProfile':{'type':'Unconfined'}},"
        "'containers':[{'name':'a'}]}}");
    kapi_pool_free(pool);
}

static void test_apparmor_annotations_to_fields(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    const char *pfx = "container.apparmor.security.beta.kubernetes.io/";
    char pod[2048];
    snprintf(pod, sizeof(pod),
             "{'metadata':{'annotations':{'%sa':'localhost/p1','%sb':'runtime/default','%sc':'bogus',"
             "'%sd':'localhost/','%se':'localhost/ pad','%sf':'unconfined'}},"
             "'spec':{'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}},"
             "'containers':[{'name':'a'},{'name':'b'},{'name':'c'},{'name':'d'},{'name':'e'},{'name':'f',"
             "'securityContext':{'runAsUser':1}}]}}",
             pfx, pfx, pfx, pfx, pfx, pfx);
    struct kapi_value *v = parse(pool, synced(pool, pod));
    const struct kapi_value *c = kapi_value_path(v, "spec", "containers", NULL);
    /* a known value different from the pod's profile becomes the field */
    assert_string_equal(show(pool, c->u.arr.items[0]),
                        "{'name':'a','securityContext':{'appArmorProfile':{'type':'Localhost','localhostProfile':'p1'}}}");
    /* equal to the pod's profile, unknown, empty or invalid: unchanged */
    assert_string_equal(show(pool, c->u.arr.items[1]), "{'name':'b'}");
    assert_string_equal(show(pool, c->u.arr.items[2]), "{'name':'c'}");
    assert_string_equal(show(pool, c->u.arr.items[3]), "{'name':'d'}");
    assert_string_equal(show(pool, c->u.arr.items[4]), "{'name':'e'}");
    assert_string_equal(show(pool, c->u.arr.items[5]),
                        "{'name':'f','securityContext':{'runAsUser':1,'appArmorProfile':{'type':'Unconfined'}}}");
    /* other kinds are untouched */
    struct kapi_value *o = parse(pool, "{'spec':{'template':{'spec':{'securityContext':{'appArmorProfile':"
                                       "{'type':'Unconfined'}},'containers':[{'name':'a'}]}}}}");
    struct kapi_kind k = {.group = "apps", .kind = "Deployment", .version = "v1"};
    kapi_kind_prepare_create_early(pool, &k, o, NULL);
    assert_null(kapi_obj_get(o, "metadata"));
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_only_kinds),
        cmocka_unit_test(test_pod_and_deployment),
        cmocka_unit_test(test_reset_kinds),
        cmocka_unit_test(test_whole_metadata_kinds),
        cmocka_unit_test(test_absent_stored_fields_are_dropped),
        cmocka_unit_test(test_apparmor_fields_to_annotations),
        cmocka_unit_test(test_apparmor_annotations_to_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
