/* registry/defaults/prepare and the strategy hooks that call it: 1.33's pod
 * affinity matchLabelKeys/mismatchLabelKeys merge on pod create, the PVC
 * data source rules (EnforceDataSourceBackwardsCompatibility,
 * NormalizeDataSources) on create and update, the null apiGroup Go writes
 * for a TypedLocalObjectReference / TypedObjectReference, and the
 * seLinuxChangePolicy rule of AllowOnlyRecursiveSELinuxChangePolicy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/gates.h"
#include "registry/kinds.h"
#include "registry/validation.h"
#include "vtest.h"

static void same(struct kapi_pool *pool, const struct kapi_value *v, const char *want)
{
    const char *got = show(pool, v);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
}

/* the create hook of kind (group "") on obj; the part at path must read want */
static void create(const char *kind, const char *obj, const char *part, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "", .kind = kind, .version = "v1"};
    struct kapi_value *o = parse(pool, obj);
    kapi_kind_prepare_create_early(pool, &k, o, NULL);
    same(pool, kapi_obj_get(o, part), want);
    kapi_pool_free(pool);
}

static void update(const char *kind, const char *obj, const char *old, const char *part, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "", .kind = kind, .version = "v1"};
    struct kapi_value *o = parse(pool, obj);
    kapi_kind_prepare_update_early(pool, &k, o, parse(pool, old));
    same(pool, kapi_obj_get(o, part), want);
    kapi_pool_free(pool);
}

static void test_gates(void **state)
{
    (void)state;
    kapi_gates_reset();
    assert_true(kapi_gate(KAPI_GATE_MATCH_LABEL_KEYS_IN_POD_AFFINITY));
    assert_true(kapi_gate(KAPI_GATE_ANY_VOLUME_DATA_SOURCE));
    assert_false(kapi_gate(KAPI_GATE_SELINUX_MOUNT));
    assert_string_equal(kapi_gate_info(KAPI_GATE_MATCH_LABEL_KEYS_IN_POD_AFFINITY)->stage, "GA");
    assert_string_equal(kapi_gate_info(KAPI_GATE_SELINUX_MOUNT)->stage, "BETA");
    char err[256];
    assert_int_equal(kapi_gates_set("MatchLabelKeysInPodAffinity=false", err, sizeof(err)), -1);
    /* GA: locked upstream too, so upstream's text exactly */
    assert_string_equal(err, "cannot set feature gate MatchLabelKeysInPodAffinity to false, feature is locked to "
                             "true");
    assert_int_equal(kapi_gates_set("SELinuxMount=true", err, sizeof(err)), 0);
    assert_true(kapi_gate(KAPI_GATE_SELINUX_MOUNT));
    kapi_gates_reset();
}

#define LABELS "'metadata':{'name':'p','labels':{'app':'web','tier':'','v':'1'}}"

static void test_affinity_merge(void **state)
{
    (void)state;
    kapi_gates_reset();
    /* required and preferred terms of both kinds; In for matchLabelKeys, then
     * NotIn for mismatchLabelKeys; a key the pod has no label for adds
     * nothing; an empty label value is a value */
    create("Pod",
           "{" LABELS ",'spec':{'affinity':{"
           "'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{'matchLabels':"
           "{'x':'y'}},'topologyKey':'zone','matchLabelKeys':['app','missing','tier'],'mismatchLabelKeys':['v']}],"
           "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'podAffinityTerm':{'labelSelector':"
           "{'matchExpressions':[{'key':'k','operator':'Exists'}]},'topologyKey':'zone','mismatchLabelKeys':"
           "['app']}}]},"
           "'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{},"
           "'topologyKey':'host','matchLabelKeys':['v']}]}}}}",
           "spec",
           "{'affinity':{"
           "'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{'matchLabels':"
           "{'x':'y'},'matchExpressions':[{'key':'app','operator':'In','values':['web']},{'key':'tier','operator':"
           "'In','values':['']},{'key':'v','operator':'NotIn','values':['1']}]},'topologyKey':'zone',"
           "'matchLabelKeys':['app','missing','tier'],'mismatchLabelKeys':['v']}],"
           "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'podAffinityTerm':{'labelSelector':"
           "{'matchExpressions':[{'key':'k','operator':'Exists'},{'key':'app','operator':'NotIn','values':"
           "['web']}]},'topologyKey':'zone','mismatchLabelKeys':['app']}}]},"
           "'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{"
           "'matchExpressions':[{'key':'v','operator':'In','values':['1']}]},'topologyKey':'host',"
           "'matchLabelKeys':['v']}]}}}");
    /* no labelSelector (nil matches nothing), no key the pod has, no keys:
     * the terms stay as sent */
    const char *untouched =
        "{'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':["
        "{'topologyKey':'h','matchLabelKeys':['app']},"
        "{'labelSelector':{'matchLabels':{'a':'b'}},'topologyKey':'h','matchLabelKeys':['nope']},"
        "{'labelSelector':{'matchLabels':{'a':'b'}},'topologyKey':'h'}]}}}";
    create("Pod", "{" LABELS ",'spec':" "{'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':["
                  "{'topologyKey':'h','matchLabelKeys':['app']},"
                  "{'labelSelector':{'matchLabels':{'a':'b'}},'topologyKey':'h','matchLabelKeys':['nope']},"
                  "{'labelSelector':{'matchLabels':{'a':'b'}},'topologyKey':'h'}]}}}}",
           "spec", untouched);
    /* a pod without labels adds nothing */
    create("Pod",
           "{'metadata':{'name':'p'},'spec':{'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuring"
           "Execution':[{'labelSelector':{},'topologyKey':'h','matchLabelKeys':['app']}]}}}}",
           "spec",
           "{'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{},"
           "'topologyKey':'h','matchLabelKeys':['app']}]}}}");
    /* a null matchExpressions is a nil slice: appended to */
    create("Pod",
           "{" LABELS ",'spec':{'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
           "[{'labelSelector':{'matchLabels':null,'matchExpressions':null},'topologyKey':'h','matchLabelKeys':"
           "['app']}]}}}}",
           "spec",
           "{'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':"
           "{'matchLabels':null,'matchExpressions':[{'key':'app','operator':'In','values':['web']}]},"
           "'topologyKey':'h','matchLabelKeys':['app']}]}}}");
}

/* not on update, not for templates, not for topology spread constraints
 * (1.33 leaves those to the scheduler) */
static void test_affinity_merge_scope(void **state)
{
    (void)state;
    kapi_gates_reset();
#define TERM "{'labelSelector':{},'topologyKey':'h','matchLabelKeys':['app']}"
#define AFF "{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[" TERM "]}}"
    update("Pod", "{" LABELS ",'spec':{'affinity':" AFF "}}", "{" LABELS ",'spec':{'affinity':" AFF "}}", "spec",
           "{'affinity':" AFF "}");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "apps", .kind = "Deployment", .version = "v1"};
    struct kapi_value *o = parse(pool, "{'metadata':{'name':'d'},'spec':{'template':{'metadata':{'labels':"
                                       "{'app':'web'}},'spec':{'affinity':" AFF "}}}}");
    kapi_kind_prepare_create_early(pool, &k, o, NULL);
    same(pool, kapi_value_path(o, "spec", "template", "spec", NULL), "{'affinity':" AFF "}");
    kapi_pool_free(pool);
    create("Pod",
           "{" LABELS ",'spec':{'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'z','whenUnsatisfiable':"
           "'DoNotSchedule','labelSelector':{},'matchLabelKeys':['app']}]}}",
           "spec",
           "{'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'z','whenUnsatisfiable':'DoNotSchedule',"
           "'labelSelector':{},'matchLabelKeys':['app']}]}");
#undef AFF
#undef TERM
}

#define PVC(spec) "{'metadata':{'name':'c'},'spec':{'accessModes':['ReadWriteOnce']" spec "}}"

static void test_pvc_create(void **state)
{
    (void)state;
    kapi_gates_reset();
    /* dataSource only: dataSourceRef becomes its copy (a nil apiGroup null),
     * placed after dataSource and before volumeAttributesClassName */
    create("PersistentVolumeClaim",
           PVC(",'dataSource':{'kind':'PersistentVolumeClaim','name':'src'},'volumeAttributesClassName':null"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'kind':'PersistentVolumeClaim','name':'src'},"
           "'dataSourceRef':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'src'}}");
    create("PersistentVolumeClaim",
           PVC(",'dataSource':{'apiGroup':'snapshot.storage.k8s.io','kind':'VolumeSnapshot','name':'s'}"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':'snapshot.storage.k8s.io','kind':"
           "'VolumeSnapshot','name':'s'},'dataSourceRef':{'apiGroup':'snapshot.storage.k8s.io','kind':"
           "'VolumeSnapshot','name':'s'}}");
    /* any other dataSource alone is dropped (pre-1.22 behaviour) */
    create("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}"),
           "spec", "{'accessModes':['ReadWriteOnce']}");
    create("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':'','kind':'VolumeSnapshot','name':'t'}"),
           "spec", "{'accessModes':['ReadWriteOnce']}");
    create("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':'snapshot.storage.k8s.io','kind':'Other','name':"
                                        "'t'}"),
           "spec", "{'accessModes':['ReadWriteOnce']}");
    /* dataSourceRef only: dataSource becomes its {apiGroup, kind, name} */
    create("PersistentVolumeClaim",
           PVC(",'dataSourceRef':{'apiGroup':'example.com','kind':'Thing','name':'t'}"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'},"
           "'dataSourceRef':{'apiGroup':'example.com','kind':'Thing','name':'t'}}");
    create("PersistentVolumeClaim", PVC(",'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'src'}"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':"
           "'src'},'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'src'}}");
    /* both set: nothing is copied, and a non-claim dataSource stays */
    create("PersistentVolumeClaim",
           PVC(",'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'a'},'dataSourceRef':{'apiGroup':"
               "'example.com','kind':'Thing','name':'b'}"),
           "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'a'},"
           "'dataSourceRef':{'apiGroup':'example.com','kind':'Thing','name':'b'}}");
    /* CrossNamespaceVolumeDataSource off: a dataSourceRef with a namespace is
     * dropped first, then a lone snapshot dataSource is copied over */
    create("PersistentVolumeClaim",
           PVC(",'dataSource':{'kind':'PersistentVolumeClaim','name':'a'},'dataSourceRef':{'kind':"
               "'PersistentVolumeClaim','name':'b','namespace':'other'}"),
           "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'kind':'PersistentVolumeClaim','name':'a'},"
           "'dataSourceRef':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'a'}}");
    create("PersistentVolumeClaim",
           PVC(",'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'b','namespace':'other'}"), "spec",
           "{'accessModes':['ReadWriteOnce']}");
}

/* with the gate on, a namespaced dataSourceRef is kept and not copied */
static void test_pvc_cross_namespace(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(kapi_gates_set("CrossNamespaceVolumeDataSource=true", err, sizeof(err)), 0);
    create("PersistentVolumeClaim",
           PVC(",'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'b','namespace':'other'}"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'b',"
           "'namespace':'other'}}");
    kapi_gates_reset();
}

static void test_pvc_update(void **state)
{
    (void)state;
    kapi_gates_reset();
    /* the stored claim has a data source: an odd dataSource is kept (and
     * copied to dataSourceRef) */
    update("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}"),
           PVC(",'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}"), "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'},"
           "'dataSourceRef':{'apiGroup':'example.com','kind':'Thing','name':'t'}}");
    /* it has none: dropped as on create */
    update("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}"),
           PVC(""), "spec", "{'accessModes':['ReadWriteOnce']}");
    /* an older client that omits the dataSourceRef it got back */
    update("PersistentVolumeClaim", PVC(",'dataSource':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}"),
           PVC(",'dataSource':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'},'dataSourceRef':{"
               "'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}"),
           "spec",
           "{'accessModes':['ReadWriteOnce'],'dataSource':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':"
           "'s'},'dataSourceRef':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}}");
}

/* the update validation normalizes the stored claim too: one stored with
 * only dataSource equals the normalized request */
static void test_pvc_update_validation(void **state)
{
    (void)state;
    kapi_gates_reset();
    struct kapi_pool *pool = kapi_pool_new();
#define CLAIM(ds) "{'metadata':{'name':'c','namespace':'default'},'spec':{'accessModes':['ReadWriteOnce']," \
    "'resources':{'requests':{'storage':'1Gi'}}" ds "},'status':{'phase':'Pending'}}"
#define DS "'dataSource':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}"
#define REF "'dataSourceRef':{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}"
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "PersistentVolumeClaim", parse(pool, CLAIM("," DS "," REF)),
                       parse(pool, CLAIM("," DS)), &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs), "");
    /* a dataSourceRef that differs from the copy still changes the spec */
    struct kapi_field_errors errs2 = {0};
    kapi_validate_kind(pool, "", "v1", "PersistentVolumeClaim",
                       parse(pool, CLAIM("," DS ",'dataSourceRef':{'apiGroup':null,'kind':'PersistentVolumeClaim',"
                                         "'name':'t'}")),
                       parse(pool, CLAIM("," DS)), &errs2);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs2),
                        "spec: Forbidden: spec is immutable after creation except resources.requests and "
                        "volumeAttributesClassName for bound claims\n  core.PersistentVolumeClaimSpec{\n  \t"
                        "dataSourceRef: changed,\n  }\n");
#undef CLAIM
#undef DS
#undef REF
    kapi_pool_free(pool);
}

/* claim templates are left alone (the StatefulSet and pod strategies do not
 * run the PVC data source rules) */
static void test_pvc_templates(void **state)
{
    (void)state;
    kapi_gates_reset();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "apps", .kind = "StatefulSet", .version = "v1"};
    struct kapi_value *o = parse(pool, "{'metadata':{'name':'s'},'spec':{'volumeClaimTemplates':[{'spec':{"
                                       "'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}}}]}}");
    kapi_kind_prepare_create_early(pool, &k, o, NULL);
    same(pool, kapi_obj_get(o, "spec"),
         "{'volumeClaimTemplates':[{'spec':{'dataSource':{'apiGroup':'example.com','kind':'Thing','name':'t'}}}]}");
    kapi_pool_free(pool);
}

/* Go writes a nil apiGroup of the two reference types as null */
static void test_null_api_group(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *o = parse(pool, PVC(",'dataSource':{'kind':'PersistentVolumeClaim','name':'s'},"
                                           "'dataSourceRef':{'kind':'PersistentVolumeClaim','name':'s'}"));
    kapi_defaults_apply(pool, "", "v1", "PersistentVolumeClaim", o);
    same(pool, kapi_value_path(o, "spec", "dataSource", NULL), "{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}");
    same(pool, kapi_value_path(o, "spec", "dataSourceRef", NULL),
         "{'apiGroup':null,'kind':'PersistentVolumeClaim','name':'s'}");
    /* an Ingress backend's resource is the same type */
    struct kapi_value *ing = parse(pool, "{'metadata':{'name':'i'},'spec':{'defaultBackend':{'resource':{"
                                         "'kind':'Bucket','name':'b'}}}}");
    kapi_defaults_apply(pool, "networking.k8s.io", "v1", "Ingress", ing);
    same(pool, kapi_value_path(ing, "spec", "defaultBackend", NULL),
         "{'resource':{'apiGroup':null,'kind':'Bucket','name':'b'}}");
    kapi_pool_free(pool);
}

/* validateSELinuxChangePolicy with 1.33's SELinuxMount off */
static void check_pod(const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "Pod", parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

static void check_kind(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, group, "v1", kind, parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

#define SEL_SPEC(policy) "{'containers':[{'name':'c','image':'img','terminationMessagePolicy':'File'," \
    "'imagePullPolicy':'Always'}],'restartPolicy':'Always','terminationGracePeriodSeconds':30,'dnsPolicy':" \
    "'ClusterFirst','securityContext':{" policy "}}"
#define SEL_POD(policy) "{'metadata':{'name':'p','namespace':'default'},'spec':" SEL_SPEC(policy) "}"
#define SEL_DEPLOY(policy) "{'metadata':{'name':'d','namespace':'default'},'spec':{'replicas':1,'selector':" \
    "{'matchLabels':{'a':'b'}},'strategy':{'type':'Recreate'},'revisionHistoryLimit':10," \
    "'progressDeadlineSeconds':600,'template':{'metadata':{'labels':{'a':'b'}},'spec':" SEL_SPEC(policy) "}}}"

static void test_selinux_change_policy(void **state)
{
    (void)state;
    kapi_gates_reset();
    check_pod(SEL_POD("'seLinuxChangePolicy':'Recursive'"), NULL, "");
    check_pod(SEL_POD("'seLinuxChangePolicy':'MountOption'"), NULL,
              "spec.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": supported values: "
              "\"Recursive\"");
    check_pod(SEL_POD("'seLinuxChangePolicy':'Other'"), NULL,
              "spec.securityContext.seLinuxChangePolicy: Unsupported value: \"Other\": supported values: "
              "\"Recursive\"");
    /* update: the stored pod has a policy (any), so both values pass */
    check_pod(SEL_POD("'seLinuxChangePolicy':'MountOption'"), SEL_POD("'seLinuxChangePolicy':'MountOption'"), "");
    check_pod(SEL_POD("'seLinuxChangePolicy':'MountOption'"), SEL_POD("'seLinuxChangePolicy':'Recursive'"),
              "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
              "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
              "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
              "previously negative)\n  core.PodSpec{\n  \tsecurityContext: changed,\n  }\n");
    check_pod(SEL_POD("'seLinuxChangePolicy':'Other'"), SEL_POD("'seLinuxChangePolicy':'Recursive'"),
              "[spec.securityContext.seLinuxChangePolicy: Unsupported value: \"Other\": supported values: "
              "\"MountOption\", \"Recursive\", spec: Forbidden: pod updates may not change fields other than "
              "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
              "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
              "(allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n  \tsecurityContext: "
              "changed,\n  }\n]");
    /* the stored pod has none: only Recursive */
    check_pod(SEL_POD("'seLinuxChangePolicy':'MountOption'"), SEL_POD("'seLinuxChangePolicy':null"),
              "[spec.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": supported values: "
              "\"Recursive\", spec: Forbidden: pod updates may not change fields other than "
              "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
              "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
              "(allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n  \tsecurityContext: "
              "changed,\n  }\n]");
    /* templates: the same rule, exempt when the stored template has a policy */
    check_kind("apps", "Deployment", SEL_DEPLOY("'seLinuxChangePolicy':'MountOption'"), NULL,
               "spec.template.spec.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": "
               "supported values: \"Recursive\"");
    check_kind("apps", "Deployment", SEL_DEPLOY("'seLinuxChangePolicy':'MountOption'"),
               SEL_DEPLOY("'seLinuxChangePolicy':'Recursive'"), "");
    check_kind("apps", "Deployment", SEL_DEPLOY("'seLinuxChangePolicy':'MountOption'"), SEL_DEPLOY(""),
               "spec.template.spec.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": "
               "supported values: \"Recursive\"");
    /* SELinuxMount on: every valid value */
    char err[256];
    assert_int_equal(kapi_gates_set("SELinuxMount=true", err, sizeof(err)), 0);
    check_pod(SEL_POD("'seLinuxChangePolicy':'MountOption'"), NULL, "");
    check_pod(SEL_POD("'seLinuxChangePolicy':'Other'"), NULL,
              "spec.securityContext.seLinuxChangePolicy: Unsupported value: \"Other\": supported values: "
              "\"MountOption\", \"Recursive\"");
    kapi_gates_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_affinity_merge),
        cmocka_unit_test(test_affinity_merge_scope),
        cmocka_unit_test(test_pvc_create),
        cmocka_unit_test(test_pvc_cross_namespace),
        cmocka_unit_test(test_pvc_update),
        cmocka_unit_test(test_pvc_update_validation),
        cmocka_unit_test(test_pvc_templates),
        cmocka_unit_test(test_null_api_group),
        cmocka_unit_test(test_selinux_change_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
