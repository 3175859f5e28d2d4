/* registry/validation: update rules added for issue 4 — Job spec updates
 * (template immutability, elastic Indexed completions, managedBy), PVC
 * updates (immutable spec, storage requests), ephemeral containers in pod
 * specs and through the ephemeralcontainers subresource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/validation.h"
#include "vtest.h"

/* sub NULL: the main rules (kapi_validate_kind) */
static void check_sub(const char *group, const char *kind, const char *sub, const char *obj, const char *old,
                      const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    struct kapi_value *o = parse(pool, obj), *prev = old ? parse(pool, old) : NULL;
    if (!sub || !kapi_validate_subresource(pool, group, "v1", kind, sub, o, prev, &errs))
        kapi_validate_kind(pool, group, "v1", kind, o, prev, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

static void check(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    check_sub(group, kind, NULL, obj, old, want);
}

#define CTR(img) "{'name':'c','image':'" img "','terminationMessagePolicy':'File','imagePullPolicy':'Always'}"
#define TSPEC(img, extra) "{'containers':[" CTR(img) "],'restartPolicy':'Never','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{}" extra "}"
#define JOB(img, tsextra, extra, status) "{'metadata':{'name':'j'},'spec':{'selector':{'matchLabels':{'a':'b'}}," \
    "'template':{'metadata':{'labels':{'a':'b'}},'spec':" TSPEC(img, tsextra) "}" extra "},'status':" status "}"

static void test_job_update(void **state)
{
    (void)state;
    check("batch", "Job", JOB("nginx", "", ",'managedBy':'ctrl'", "{}"), NULL,
          "spec.managedBy: Invalid value: \"ctrl\": must be a domain-prefixed path (such as \"acme.io/foo\")");
    check("batch", "Job", JOB("nginx", "", ",'managedBy':'Bad_Host/x'", "{}"), NULL,
          "spec.managedBy: Invalid value: \"Bad_Host\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    check("batch", "Job",
          JOB("nginx", "", ",'managedBy':'example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", "{}"),
          NULL, "spec.managedBy: Too long: may not be more than 63 bytes");
    check("batch", "Job", JOB("nginx", "", ",'managedBy':'kueue.x-k8s.io/multikueue'", "{}"), NULL, "");
    /* a started job's template is immutable */
    const char *running = JOB("nginx", "", ",'managedBy':'a.io/x'", "{'startTime':'2024-01-01T00:00:00Z'}");
    check("batch", "Job", JOB("nginx:2", "", ",'managedBy':'b.io/x'", "{'startTime':'2024-01-01T00:00:00Z'}"),
          running,
          "[spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable, "
          "spec.managedBy: Invalid value: \"b.io/x\": field is immutable]");
    check("batch", "Job", JOB("nginx", ",'nodeSelector':{'zone':'a'}", ",'managedBy':'a.io/x'", "{}"), running,
          "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable");
    /* ... but a suspended one that never started may change its scheduling directives */
    const char *suspended = JOB("nginx", "", ",'suspend':true", "{}");
    check("batch", "Job",
          JOB("nginx", ",'nodeSelector':{'zone':'a'},'tolerations':[{'key':'k','operator':'Exists'}],"
                       "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                       "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'z','operator':'Exists'}]}]}}}",
              ",'suspend':true", "{}"),
          suspended, "");
    check("batch", "Job", JOB("busybox", "", ",'suspend':true", "{}"), suspended,
          "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable");
    /* elastic Indexed jobs: completions move with parallelism */
    const char *ix = JOB("nginx", "", ",'completionMode':'Indexed','completions':4,'parallelism':4", "{}");
    check("batch", "Job", JOB("nginx", "", ",'completionMode':'Indexed','completions':3,'parallelism':3", "{}"), ix, "");
    check("batch", "Job", JOB("nginx", "", ",'completionMode':'Indexed','completions':3,'parallelism':4", "{}"), ix,
          "spec.completions: Invalid value: 3: can only be modified in tandem with spec.parallelism");
    check("batch", "Job", JOB("nginx", "", ",'completions':3", "{}"), JOB("nginx", "", ",'completions':4", "{}"),
          "spec.completions: Invalid value: 3: field is immutable");
}

#define PVC(extra, status) "{'metadata':{'name':'c'},'spec':{'accessModes':['ReadWriteOnce'],'volumeMode':" \
    "'Filesystem','resources':{'requests':{'storage':'2Gi'}}" extra "},'status':" status "}"
#define PVC_SIZE(size, status) "{'metadata':{'name':'c'},'spec':{'accessModes':['ReadWriteOnce'],'volumeMode':" \
    "'Filesystem','resources':{'requests':{'storage':'" size "'}}},'status':" status "}"

#define BOUND "{'phase':'Bound','capacity':{'storage':'2Gi'}}"

static void test_pvc_update(void **state)
{
    (void)state;
    /* growing a bound claim is fine; volumeName may be set once */
    check("", "PersistentVolumeClaim", PVC_SIZE("3Gi", "{'phase':'Bound','capacity':{'storage':'2Gi'}}"),
          PVC("", BOUND), "");
    check("", "PersistentVolumeClaim", PVC(",'volumeName':'pv1'", "{}"), PVC("", "{}"), "");
    check("", "PersistentVolumeClaim", PVC(",'volumeName':'pv2'", "{}"), PVC(",'volumeName':'pv1'", "{}"),
          "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
          "for bound claims\n  core.PersistentVolumeClaimSpec{\n  \tvolumeName: changed,\n  }\n");
    /* shrinking to (or below) the recorded capacity is refused */
    check("", "PersistentVolumeClaim", PVC_SIZE("1Gi", "{'phase':'Bound','capacity':{'storage':'2Gi'}}"),
          PVC_SIZE("3Gi", BOUND),
          "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity");
    /* ... but back to above it is not (recovery from a failed expansion) */
    check("", "PersistentVolumeClaim", PVC_SIZE("3Gi", "{'phase':'Bound','capacity':{'storage':'2Gi'}}"),
          PVC_SIZE("5Gi", BOUND), "");
    /* an unbound claim may not change its request at all */
    check("", "PersistentVolumeClaim", PVC_SIZE("3Gi", "{'phase':'Pending'}"), PVC("", "{'phase':'Pending'}"),
          "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
          "for bound claims\n  core.PersistentVolumeClaimSpec{\n  \tresources: changed,\n  }\n");
    check("", "PersistentVolumeClaim",
          "{'metadata':{'name':'c'},'spec':{'accessModes':['ReadWriteOnce'],'volumeMode':'Block','resources':"
          "{'requests':{'storage':'2Gi'}}},'status':{}}",
          PVC("", "{}"),
          "[spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
          "for bound claims\n  core.PersistentVolumeClaimSpec{\n  \tvolumeMode: changed,\n  }\n, "
          "volumeMode: Invalid value: \"Block\": field is immutable]");
    /* storageClassName may be set from nil, and from the beta annotation */
    check("", "PersistentVolumeClaim", PVC(",'storageClassName':'fast'", "{}"), PVC("", "{}"), "");
    check("", "PersistentVolumeClaim", PVC(",'storageClassName':'fast'", "{}"), PVC(",'storageClassName':'slow'", "{}"),
          "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
          "for bound claims\n  core.PersistentVolumeClaimSpec{\n  \tstorageClassName: changed,\n  }\n");
}

#define POD(ephemeral) "{'metadata':{'name':'p','namespace':'default'},'spec':{'containers':[" CTR("nginx") "]," \
    "'restartPolicy':'Always','terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst','securityContext':{}" \
    ephemeral "}}"
#define EC(name, extra) "{'name':'" name "','image':'busybox','terminationMessagePolicy':'File'," \
    "'imagePullPolicy':'IfNotPresent'" extra "}"

static void test_ephemeral(void **state)
{
    (void)state;
    check("", "Pod", POD(",'ephemeralContainers':[" EC("d", "") "]"), NULL,
          "spec.ephemeralContainers: Forbidden: cannot be set on create");
    check_sub("", "Pod", "ephemeralcontainers", POD(",'ephemeralContainers':[" EC("d", ",'targetContainerName':'c'") "]"),
              POD(""), "");
    check_sub("", "Pod", "ephemeralcontainers",
              POD(",'ephemeralContainers':[" EC("c", ",'targetContainerName':'x','resources':{'limits':{'cpu':'1'}},"
                                                   "'lifecycle':{'preStop':{'sleep':{'seconds':1}}},"
                                                   "'volumeMounts':[{'name':'v','mountPath':'/m','subPath':'s'}]")
                  "," EC("d", ",'image':' busybox'") "," EC("d", "") "]"),
              POD(""),
              "[spec.ephemeralContainers[0].volumeMounts[0].name: Not found: \"v\", "
              "spec.ephemeralContainers[0].name: Duplicate value: \"c\", "
              "spec.ephemeralContainers[0].targetContainerName: Not found: \"x\", "
              "spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container, "
              "spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container, "
              "spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container, "
              "spec.ephemeralContainers[1].image: Invalid value: \" busybox\": must not have leading or trailing "
              "whitespace, "
              "spec.ephemeralContainers[2].name: Duplicate value: \"d\"]");
    const char *with_d = POD(",'ephemeralContainers':[" EC("d", "") "]");
    check_sub("", "Pod", "ephemeralcontainers", POD(",'ephemeralContainers':[" EC("e", "") "]"), with_d,
              "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"d\" may not be removed\n");
    check_sub("", "Pod", "ephemeralcontainers", POD(",'ephemeralContainers':[" EC("d", ",'tty':true") "]"), with_d,
              "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"d\" may not be changed\n"
              "  core.EphemeralContainer{\n  \ttty: changed,\n  }\n");
    /* static pods answer with that alone */
    check_sub("", "Pod", "ephemeralcontainers",
              "{'metadata':{'name':'p','annotations':{'kubernetes.io/config.mirror':'x'}},'spec':{'containers':[],"
              "'ephemeralContainers':[{'name':'d'}]}}",
              "{'metadata':{'name':'p','annotations':{'kubernetes.io/config.mirror':'x'}},'spec':{}}",
              ": Forbidden: static pods do not support ephemeral containers");
    /* a pod template may not carry any */
    check("", "PodTemplate",
          "{'metadata':{'name':'t'},'template':{'spec':{'containers':[" CTR("nginx") "],'restartPolicy':'Always',"
          "'terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst','securityContext':{},"
          "'ephemeralContainers':[" EC("d", "") "]}}}",
          NULL, "template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_update),
        cmocka_unit_test(test_pvc_update),
        cmocka_unit_test(test_ephemeral),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
