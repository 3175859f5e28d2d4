/* registry/warnings: the strategy warnings of built-in kinds (1.33's
 * WarningsOnCreate / WarningsOnUpdate), each with its exact text, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/kinds.h"
#include "registry/warnings.h"
#include "vtest.h"

/* The warnings joined with newlines. */
static const char *joined(struct kapi_pool *pool, const struct kapi_warnings *w)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < w->len; i++) {
        if (i)
            kapi_buf_putc(&b, '\n');
        kapi_buf_puts(&b, w->items[i]);
    }
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void expect(struct kapi_pool *pool, const struct kapi_warnings *w, const char *want)
{
    const char *got = joined(pool, w);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
}

static void create(const char *group, const char *kind, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_warnings w = {0};
    kapi_warnings_on_create(pool, group, kind, parse(pool, obj), &w);
    expect(pool, &w, want);
    kapi_pool_free(pool);
}

static void update(const char *group, const char *kind, const char *sub, const char *obj, const char *old,
                   const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_warnings w = {0};
    kapi_warnings_on_update(pool, group, kind, sub, parse(pool, obj), parse(pool, old), &w);
    expect(pool, &w, want);
    kapi_pool_free(pool);
}

#define POD(spec) "{'metadata':{'name':'p'},'spec':{" spec "}}"
#define CTR(extra) "{'name':'c','image':'i'" extra "}"

static void test_pod_node_labels(void **state)
{
    (void)state;
    create("", "Pod", POD("'nodeSelector':{'beta.kubernetes.io/arch':'amd64','kubernetes.io/os':'linux',"
                          "'node-role.kubernetes.io/master':''},'containers':[" CTR("") "]"),
           "spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use \"kubernetes.io/arch\" instead\n"
           "spec.nodeSelector[node-role.kubernetes.io/master]: use \"node-role.kubernetes.io/control-plane\" instead");
    create("", "Pod",
           POD("'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':["
               "{'matchExpressions':[{'key':'a','operator':'Exists'},{'key':'failure-domain.beta.kubernetes.io/zone',"
               "'operator':'Exists'}]}]},'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'preference':"
               "{'matchExpressions':[{'key':'beta.kubernetes.io/os','operator':'In','values':['linux']}]}}]}},"
               "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'failure-domain.beta.kubernetes.io/region',"
               "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{}},{'maxSkew':1,'topologyKey':'zone',"
               "'whenUnsatisfiable':'DoNotSchedule'}]"),
           "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]."
           "matchExpressions[1].key: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use "
           "\"topology.kubernetes.io/zone\" instead\n"
           "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference."
           "matchExpressions[0].key: beta.kubernetes.io/os is deprecated since v1.14; use \"kubernetes.io/os\" "
           "instead\n"
           "spec.topologySpreadConstraints[0].topologyKey: failure-domain.beta.kubernetes.io/region is deprecated "
           "since v1.17; use \"topology.kubernetes.io/region\" instead\n"
           "spec.topologySpreadConstraints[1].labelSelector: a null labelSelector results in matching no pod");
}

static void test_pod_name_and_annotations(void **state)
{
    (void)state;
    create("", "Pod",
           "{'metadata':{'name':'a.b','annotations':{'security.alpha.kubernetes.io/sysctls':'x',"
           "'scheduler.alpha.kubernetes.io/critical-pod':'','seccomp.security.alpha.kubernetes.io/pod':'x',"
           "'container.seccomp.security.alpha.kubernetes.io/c':'x','container.seccomp.security.alpha.kubernetes.io/d':'x',"
           "'container.apparmor.security.beta.kubernetes.io/c':'unconfined'}},'spec':{'containers':["
           CTR("") ",{'name':'d','securityContext':{'seccompProfile':{'type':'RuntimeDefault'}}}]}}",
           "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label "
           "is recommended: [must not contain dots]\n"
           "metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "
           "\"priorityClassName\" field instead\n"
           "metadata.annotations[security.alpha.kubernetes.io/sysctls]: non-functional in v1.11+; use the "
           "\"sysctls\" field instead\n"
           "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "
           "\"seccompProfile\" field instead\n"
           "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: non-functional in v1.27+; use "
           "the \"seccompProfile\" field instead");
    /* a pod with a seccompProfile field: no pod annotation warning */
    create("", "Pod",
           "{'metadata':{'name':'p','annotations':{'seccomp.security.alpha.kubernetes.io/pod':'x'}},'spec':{"
           "'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},'containers':[" CTR("") "]}}",
           "");
    /* templates report the AppArmor annotation when no field is set */
    create("apps", "Deployment",
           "{'metadata':{'name':'d'},'spec':{'template':{'metadata':{'annotations':{"
           "'container.apparmor.security.beta.kubernetes.io/c':'runtime/default',"
           "'container.apparmor.security.beta.kubernetes.io/e':'runtime/default'}},'spec':{'containers':["
           CTR("") ",{'name':'e','securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}}}]}}}}",
           "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: deprecated since "
           "v1.30; use the \"appArmorProfile\" field instead");
}

static void test_pod_volumes(void **state)
{
    (void)state;
    create("", "Pod",
           POD("'containers':[" CTR("") "],'volumes':[{'name':'a','gitRepo':{'repository':'r'}},"
               "{'name':'b','scaleIO':{}},{'name':'c','flocker':{}},{'name':'d','storageOS':{}},{'name':'e','quobyte':{}},"
               "{'name':'f','glusterfs':{}},{'name':'g','cephfs':{}},{'name':'h','rbd':{}},{'name':'i',"
               "'photonPersistentDisk':{}},{'name':'j','ephemeral':{'volumeClaimTemplate':{'spec':{'resources':{"
               "'requests':{'storage':'1.5'},'limits':{'storage':'1Gi'}}}}}}]"),
           "spec.volumes[0].gitRepo: deprecated in v1.11\n"
           "spec.volumes[1].scaleIO: deprecated in v1.16, non-functional in v1.22+\n"
           "spec.volumes[2].flocker: deprecated in v1.22, non-functional in v1.25+\n"
           "spec.volumes[3].storageOS: deprecated in v1.22, non-functional in v1.25+\n"
           "spec.volumes[4].quobyte: deprecated in v1.22, non-functional in v1.25+\n"
           "spec.volumes[5].glusterfs: deprecated in v1.25, non-functional in v1.26+\n"
           "spec.volumes[6].cephfs: deprecated in v1.28, non-functional in v1.31+\n"
           "spec.volumes[7].rbd: deprecated in v1.28, non-functional in v1.31+\n"
           "spec.volumes[8].photonPersistentDisk: deprecated in v1.11, non-functional in v1.16+\n"
           "spec.volumes[9].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]: fractional byte value "
           "\"1500m\" is invalid, must be an integer");
}

static void test_pod_overlapping_paths(void **state)
{
    (void)state;
    create("", "Pod",
           POD("'containers':[" CTR("") "],'volumes':[{'name':'Test','configMap':{'name':'foo','items':["
               "{'key':'foo','path':'test'},{'key':'bar','path':'test/app'}]}},{'name':'s','secret':{'secretName':'x',"
               "'items':[{'key':'a','path':'p/'},{'key':'b','path':'p'}]}},{'name':'d','downwardAPI':{'items':["
               "{'path':'x','fieldRef':{'fieldPath':'metadata.name'}},{'path':'x/y','fieldRef':{'fieldPath':"
               "'metadata.name'}}]}}]"),
           "volume \"Test\" (ConfigMap \"foo\"): overlapping paths: \"test/app\" with \"test\"\n"
           "volume \"s\" (Secret \"x\"): overlapping paths: \"p\" with \"p\"\n"
           "volume \"d\" (DownwardAPI): overlapping paths: \"x/y\" with \"x\"");
    create("", "Pod",
           POD("'containers':[" CTR("") "],'volumes':[{'name':'v','projected':{'sources':[{},"
               "{'serviceAccountToken':{'path':'token'}},{'configMap':{'name':'cm','items':[{'key':'k','path':'token'}]}}]}}]"),
           "volume \"v\" (Projected) has no sources provided\n"
           "volume \"v\" (Projected ConfigMap \"cm\"): overlapping paths: \"token\" with \"token\"");
}

static void test_pod_duplicates_and_resources(void **state)
{
    (void)state;
    create("", "Pod",
           POD("'hostAliases':[{'ip':'1.1.1.1'},{'ip':'1.1.1.1'}],'imagePullSecrets':[{'name':'a'},{'name':''},"
               "{'name':'a'}],'overhead':{'memory':'1.5','cpu':'1m'},'containers':[" CTR(
                   ",'resources':{'limits':{'memory':'100m','ephemeral-storage':'1Gi'},'requests':{'memory':'1.1Ki',"
                   "'ephemeral-storage':'1n'}},'env':[{'name':'A','value':'1'},{'name':'B','value':'2'},"
                   "{'name':'A','value':'$(A)x'},{'name':'A','value':'$(A)'},{'name':'A','value':'3'},"
                   "{'name':'A','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}]") "],"
               "'terminationGracePeriodSeconds':-5"),
           "spec.hostAliases[1].ip: duplicate ip \"1.1.1.1\"\n"
           "spec.imagePullSecrets[2].name: duplicate name \"a\"\n"
           "spec.imagePullSecrets[1].name: invalid empty name \"\"\n"
           "spec.overhead[memory]: fractional byte value \"1500m\" is invalid, must be an integer\n"
           "spec.containers[0].resources.limits[memory]: fractional byte value \"100m\" is invalid, must be an "
           "integer\n"
           "spec.containers[0].resources.requests[memory]: fractional byte value \"1126400m\" is invalid, must be an "
           "integer\n"
           "spec.containers[0].resources.requests[ephemeral-storage]: fractional byte value \"1n\" is invalid, must "
           "be an integer\n"
           "spec.containers[0].env[3]: hides previous definition of \"A\", which may be dropped when using apply\n"
           "spec.containers[0].env[4]: hides previous definition of \"A\", which may be dropped when using apply\n"
           "spec.containers[0].env[5]: hides previous definition of \"A\", which may be dropped when using apply\n"
           "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1");
}

static void test_pod_ports_and_affinity(void **state)
{
    (void)state;
    create("", "Pod",
           POD("'initContainers':[{'name':'i','ports':[{'containerPort':80,'protocol':'TCP'}]}],"
               "'containers':[{'name':'c','ports':[{'name':'http','containerPort':80,'protocol':'TCP'},"
               "{'containerPort':81,'protocol':'TCP','hostPort':8081},{'containerPort':81,'protocol':'TCP','hostPort':8081,"
               "'hostIP':'1.2.3.4'},{'containerPort':82,'protocol':'UDP','hostIP':'1.2.3.4'}]},"
               "{'name':'d','ports':[{'containerPort':81,'protocol':'TCP'}]}],"
               "'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'topologyKey':'z'}]},"
               "'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'podAffinityTerm':"
               "{'topologyKey':'z','labelSelector':{}}},{'weight':1,'podAffinityTerm':{'topologyKey':'z'}}]}}"),
           "spec.containers[0].ports[0]: duplicate port definition with spec.initContainers[0].ports[0]\n"
           "spec.containers[0].ports[2]: dangerously ambiguous port definition with spec.containers[0].ports[1]\n"
           "spec.containers[0].ports[3]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:82 Protocol:UDP "
           "HostIP:1.2.3.4}\n"
           "spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[1]\n"
           "spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[2]\n"
           "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null "
           "labelSelector results in matching no pod\n"
           "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm."
           "labelSelector: a null labelSelector results in matching no pod");
}

#define TMPL "'template':{'spec':{'nodeSelector':{'beta.kubernetes.io/os':'linux'},'containers':[" CTR("") "]}}"
#define NSW(p) p ".spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use \"kubernetes.io/os\" instead"
#define NAMEW                                                                                                      \
    "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label " \
    "is recommended: [must not contain dots]"

static void test_templates_create(void **state)
{
    (void)state;
    create("", "PodTemplate", "{'metadata':{'name':'a.b'}," TMPL "}", NSW("template"));
    create("", "ReplicationController", "{'metadata':{'name':'a.b'},'spec':{" TMPL "}}", NAMEW "\n" NSW("spec.template"));
    create("apps", "Deployment", "{'metadata':{'name':'a.b'},'spec':{" TMPL "}}", NAMEW "\n" NSW("spec.template"));
    create("apps", "ReplicaSet", "{'metadata':{'name':'ok'},'spec':{" TMPL "}}", NSW("spec.template"));
    create("apps", "DaemonSet", "{'metadata':{'name':'a.b'},'spec':{" TMPL "}}", NSW("spec.template"));
    create("apps", "StatefulSet",
           "{'metadata':{'name':'a.b'},'spec':{'revisionHistoryLimit':-1," TMPL ",'volumeClaimTemplates':[{'spec':"
           "{'resources':{'requests':{'storage':'0.5'}}}}]}}",
           NSW("spec.template") "\n"
           "spec.volumeClaimTemplates[0].resources.requests[storage]: fractional byte value \"500m\" is invalid, must "
           "be an integer\n"
           "spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is recommended");
    create("batch", "Job",
           "{'metadata':{'name':'a.b'},'spec':{'completionMode':'Indexed','completions':100001,'parallelism':10001,"
           TMPL "}}",
           NAMEW "\nspec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than "
                 "10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail\n"
           NSW("spec.template"));
    create("batch", "CronJob", "{'metadata':{'name':'cj'},'spec':{'schedule':'* * * * *','jobTemplate':{'spec':{"
                               TMPL "}}}}",
           NSW("spec.jobTemplate.spec.template"));
}

#define GEN(n) "'metadata':{'name':'x','generation':" #n "}"
#define TMPL2 "'template':{'spec':{'nodeSelector':{'beta.kubernetes.io/arch':'x'},'containers':[" CTR("") "]}}"
#define ARCHW(p) p ".spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use \"kubernetes.io/arch\" instead"

static void test_templates_update(void **state)
{
    (void)state;
    /* only when the generation moved (the template or spec changed) */
    update("apps", "Deployment", NULL, "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL2 "}}",
           NSW("spec.template"));
    update("apps", "Deployment", NULL, "{" GEN(1) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL "}}", "");
    update("apps", "Deployment", "status", "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL "}}", "");
    update("apps", "ReplicaSet", "", "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL "}}",
           NSW("spec.template"));
    update("", "PodTemplate", NULL, "{" GEN(2) "," TMPL "}", "{" GEN(1) "," TMPL "}", NSW("template"));
    /* a replication controller reports its stored template */
    update("", "ReplicationController", NULL, "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL2 "}}",
           ARCHW("spec.template"));
    /* a daemon set follows its template */
    update("apps", "DaemonSet", NULL, "{" GEN(2) ",'spec':{'minReadySeconds':1," TMPL "}}",
           "{" GEN(1) ",'spec':{" TMPL "}}", "");
    update("apps", "DaemonSet", NULL, "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL2 "}}",
           NSW("spec.template"));
    /* a stateful set's claim templates and history limit warn on every update */
    update("apps", "StatefulSet", NULL,
           "{" GEN(1) ",'spec':{'revisionHistoryLimit':-1," TMPL ",'volumeClaimTemplates':[{'spec':{'resources':{"
           "'limits':{'storage':'1m'}}}}]}}",
           "{" GEN(1) ",'spec':{" TMPL "}}",
           "spec.volumeClaimTemplates[0].Spec.resources.limits[storage]: fractional byte value \"1m\" is invalid, "
           "must be an integer\n"
           "spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is recommended");
    update("batch", "Job", NULL, "{" GEN(2) ",'spec':{" TMPL "}}", "{" GEN(1) ",'spec':{" TMPL "}}",
           NSW("spec.template"));
    update("batch", "CronJob", NULL, "{" GEN(1) ",'spec':{'schedule':'TZ=UTC * * * * *','jobTemplate':{'spec':{"
                                     TMPL "}}}}",
           "{" GEN(1) ",'spec':{'schedule':'TZ=UTC * * * * *','jobTemplate':{'spec':{" TMPL "}}}}",
           "cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see "
           "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details");
    /* pods: nothing on update */
    update("", "Pod", NULL, POD("'nodeSelector':{'beta.kubernetes.io/os':'l'}"), POD(""), "");
}

#define SVC(spec) "{'metadata':{'name':'s'},'spec':{" spec "}}"

static void test_service(void **state)
{
    (void)state;
    create("", "Service",
           SVC("'type':'LoadBalancer','clusterIP':'10.0.0.010','clusterIPs':['10.0.0.010','2001:DB8::1'],"
               "'externalIPs':['::ffff:1.2.3.4','1.2.3.4'],'loadBalancerIP':'2001:db8:0:0:0::1',"
               "'loadBalancerSourceRanges':['10.0.0.1/8','010.0.0.0/8','2001:db8::/32','2001:DB8::/32',"
               "'::ffff:1.2.3.0/120'],'externalName':'x.example.com','sessionAffinity':'None'"),
           "spec.clusterIPs[0]: non-standard IP address \"10.0.0.010\" will be considered invalid in a future "
           "Kubernetes release: use \"10.0.0.10\"\n"
           "spec.clusterIPs[1]: IPv6 address \"2001:DB8::1\" should be in RFC 5952 canonical format (\"2001:db8::1\")\n"
           "spec.externalIPs[0]: non-standard IP address \"::ffff:1.2.3.4\" will be considered invalid in a future "
           "Kubernetes release: use \"1.2.3.4\"\n"
           "spec.loadBalancerIP: IPv6 address \"2001:db8:0:0:0::1\" should be in RFC 5952 canonical format "
           "(\"2001:db8::1\")\n"
           "spec.loadBalancerSourceRanges[0]: CIDR value \"10.0.0.1/8\" is ambiguous in this context (should be "
           "\"10.0.0.0/8\" or \"10.0.0.1/32\"?)\n"
           "spec.loadBalancerSourceRanges[1]: non-standard CIDR value \"010.0.0.0/8\" will be considered invalid in a "
           "future Kubernetes release: use \"10.0.0.0/8\"\n"
           "spec.loadBalancerSourceRanges[3]: IPv6 CIDR value \"2001:DB8::/32\" should be in RFC 5952 canonical "
           "format (\"2001:db8::/32\")\n"
           "spec.loadBalancerSourceRanges[4]: non-standard CIDR value \"::ffff:1.2.3.0/120\" will be considered "
           "invalid in a future Kubernetes release: use \"1.2.3.0/24\"\n"
           "spec.externalName is ignored when spec.type is not \"ExternalName\"");
    create("", "Service",
           "{'metadata':{'name':'s','annotations':{'service.kubernetes.io/topology-aware-hints':'auto'}},'spec':{"
           "'type':'ClusterIP','clusterIP':'None','clusterIPs':['None'],'loadBalancerIP':'1.2.3.4',"
           "'externalIPs':['1.2.3.4'],'sessionAffinity':'ClientIP'}}",
           "annotation service.kubernetes.io/topology-aware-hints is deprecated, please use "
           "service.kubernetes.io/topology-mode instead\n"
           "spec.loadBalancerIP is ignored for headless services\n"
           "spec.externalIPs is ignored for headless services\n"
           "spec.SessionAffinity is ignored for headless services");
    create("", "Service", SVC("'type':'ExternalName','externalName':'a.b','externalIPs':['1.2.3.4']"),
           "spec.externalIPs is ignored when spec.type is \"ExternalName\"");
    /* the same rules on update */
    update("", "Service", NULL, SVC("'type':'ClusterIP','clusterIP':'10.0.0.1','clusterIPs':['10.0.0.1'],"
                                    "'externalIPs':['01.2.3.4'],'sessionAffinity':'None'"),
           SVC("'type':'ClusterIP','clusterIP':'10.0.0.1','clusterIPs':['10.0.0.1'],'sessionAffinity':'None'"),
           "spec.externalIPs[0]: non-standard IP address \"01.2.3.4\" will be considered invalid in a future "
           "Kubernetes release: use \"1.2.3.4\"");
}

static void test_storage_and_runtime_class(void **state)
{
    (void)state;
    create("", "PersistentVolumeClaim",
           "{'metadata':{'name':'c','annotations':{'volume.beta.kubernetes.io/storage-class':'x'}},'spec':{"
           "'resources':{'requests':{'storage':'1.5Gi'},'limits':{'storage':'100m'}}}}",
           "metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use "
           "\"storageClassName\" attribute instead\n"
           "spec.resources.limits[storage]: fractional byte value \"100m\" is invalid, must be an integer");
    create("", "PersistentVolume",
           "{'metadata':{'name':'v','annotations':{'volume.beta.kubernetes.io/storage-class':'x'}},'spec':{"
           "'persistentVolumeReclaimPolicy':'Recycle','rbd':{},'nodeAffinity':{'required':{'nodeSelectorTerms':["
           "{'matchExpressions':[{'key':'beta.kubernetes.io/instance-type','operator':'Exists'}]}]}}}}",
           "metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use "
           "\"storageClassName\" attribute instead\n"
           "spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended "
           "approach is to use dynamic provisioning.\n"
           "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key: beta.kubernetes.io/instance-type "
           "is deprecated since v1.17; use \"node.kubernetes.io/instance-type\" instead\n"
           "spec.rbd: deprecated in v1.28, non-functional in v1.31+");
    create("node.k8s.io", "RuntimeClass",
           "{'metadata':{'name':'r'},'handler':'h','scheduling':{'nodeSelector':{'beta.kubernetes.io/arch':'x'}}}",
           "scheduling.nodeSelector: deprecated since v1.14; use \"kubernetes.io/arch\" instead");
    create("networking.k8s.io", "Ingress",
           "{'metadata':{'name':'i','annotations':{'kubernetes.io/ingress.class':'nginx'}},'spec':{}}",
           "annotation \"kubernetes.io/ingress.class\" is deprecated, please use 'spec.ingressClassName' instead");
    create("networking.k8s.io", "Ingress",
           "{'metadata':{'name':'i','annotations':{'kubernetes.io/ingress.class':'nginx'}},'spec':{"
           "'ingressClassName':'nginx'}}",
           "");
    update("networking.k8s.io", "Ingress", NULL,
           "{'metadata':{'name':'i','annotations':{'kubernetes.io/ingress.class':'nginx'}},'spec':{}}",
           "{'metadata':{'name':'i'},'spec':{}}", "");
    create("", "ConfigMap", "{'metadata':{'name':'a.b'}}", "");
    assert_string_equal(kapi_resource_deprecation("", "v1", "endpoints"),
                        "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice");
    assert_null(kapi_resource_deprecation("discovery.k8s.io", "v1", "endpointslices"));
    assert_null(kapi_resource_deprecation("", "v1", "pods"));
}

static void test_network_policy_cidrs(void **state)
{
    (void)state;
    const char *np =
        "{'metadata':{'name':'n'},'spec':{'podSelector':{},'ingress':[{'from':[{'podSelector':{}},{'ipBlock':{"
        "'cidr':'10.0.0.1/8','except':['10.1.0.0/16','010.2.0.0/16']}}]}],'egress':[{'to':[{'ipBlock':{"
        "'cidr':'2001:DB8::/32'}}]}]}}";
    const char *want =
        "spec.ingress[0].from[1].ipBlock.cidr: CIDR value \"10.0.0.1/8\" is ambiguous in this context (should be "
        "\"10.0.0.0/8\" or \"10.0.0.1/32\"?)\n"
        "spec.ingress[0].from[1].ipBlock.except[1]: non-standard CIDR value \"010.2.0.0/16\" will be considered "
        "invalid in a future Kubernetes release: use \"10.2.0.0/16\"\n"
        "spec.egress[0].to[0].ipBlock.cidr: IPv6 CIDR value \"2001:DB8::/32\" should be in RFC 5952 canonical "
        "format (\"2001:db8::/32\")";
    create("networking.k8s.io", "NetworkPolicy", np, want);
    /* every update, whatever changed */
    update("networking.k8s.io", "NetworkPolicy", NULL, np, np, want);
    create("networking.k8s.io", "NetworkPolicy",
           "{'metadata':{'name':'n'},'spec':{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8'}}]}]}}", "");
}

static void test_endpoints_and_slices(void **state)
{
    (void)state;
#define SUBSETS "'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'010.0.0.2'}],'notReadyAddresses':[{'ip':" \
                "'fd00:0::1'}]},{'addresses':[{'ip':'::ffff:1.2.3.4'}]}]"
    const char *want =
        "subsets[0].addresses[1].ip: non-standard IP address \"010.0.0.2\" will be considered invalid in a future "
        "Kubernetes release: use \"10.0.0.2\"\n"
        "subsets[0].notReadyAddresses[0].ip: IPv6 address \"fd00:0::1\" should be in RFC 5952 canonical format "
        "(\"fd00::1\")\n"
        "subsets[1].addresses[0].ip: non-standard IP address \"::ffff:1.2.3.4\" will be considered invalid in a "
        "future Kubernetes release: use \"1.2.3.4\"";
    create("", "Endpoints", "{'metadata':{'name':'e'}," SUBSETS "}", want);
    update("", "Endpoints", NULL, "{'metadata':{'name':'e'}," SUBSETS "}", "{'metadata':{'name':'e'}}", want);
    /* what the endpoints controller writes is not checked */
    create("", "Endpoints",
           "{'metadata':{'name':'e','labels':{'endpoints.kubernetes.io/managed-by':'endpoint-controller'}},"
           SUBSETS "}", "");
    create("", "Endpoints",
           "{'metadata':{'name':'e','labels':{'endpoints.kubernetes.io/managed-by':'someone-else'}}," SUBSETS "}",
           want);
#undef SUBSETS
#define SLICE(labels, type) "{'metadata':{'name':'s'" labels "},'addressType':'" type "','endpoints':[" \
                            "{'addresses':['10.0.0.1']},{'addresses':['1.2.3.4','001.2.3.4']}]}"
    const char *swant = "endpoints[1].addresses[1]: non-standard IP address \"001.2.3.4\" will be considered invalid "
                        "in a future Kubernetes release: use \"1.2.3.4\"";
    create("discovery.k8s.io", "EndpointSlice", SLICE("", "IPv4"), swant);
    update("discovery.k8s.io", "EndpointSlice", NULL, SLICE("", "IPv4"), SLICE("", "IPv4"), swant);
    create("discovery.k8s.io", "EndpointSlice",
           SLICE(",'labels':{'endpointslice.kubernetes.io/managed-by':'endpointslice-controller.k8s.io'}", "IPv4"),
           "");
    create("discovery.k8s.io", "EndpointSlice",
           SLICE(",'labels':{'endpointslice.kubernetes.io/managed-by':'endpointslicemirroring-controller.k8s.io'}",
                 "IPv4"), "");
    /* FQDN: deprecated on create only; hostnames are no IPs */
    create("discovery.k8s.io", "EndpointSlice",
           "{'metadata':{'name':'s'},'addressType':'FQDN','endpoints':[{'addresses':['a.example.com']}]}",
           "spec.addressType: FQDN endpoints are deprecated");
    update("discovery.k8s.io", "EndpointSlice", NULL,
           "{'metadata':{'name':'s'},'addressType':'FQDN','endpoints':[{'addresses':['a.example.com']}]}",
           "{'metadata':{'name':'s'},'addressType':'FQDN'}", "");
    create("discovery.k8s.io", "EndpointSlice",
           SLICE(",'labels':{'endpointslice.kubernetes.io/managed-by':'endpointslice-controller.k8s.io'}", "FQDN"),
           "spec.addressType: FQDN endpoints are deprecated");
#undef SLICE
}

static void test_status_ips(void **state)
{
    (void)state;
    const char *pod = "{'metadata':{'name':'p'},'spec':{},'status':{'podIPs':[{'ip':'10.0.0.1'},{'ip':"
                      "'2001:db8::0:1'}],'hostIPs':[{'ip':'010.1.1.1'}]}}";
    update("", "Pod", "status", pod, "{'metadata':{'name':'p'},'spec':{}}",
           "status.podIPs[1].ip: IPv6 address \"2001:db8::0:1\" should be in RFC 5952 canonical format "
           "(\"2001:db8::1\")\n"
           "status.hostIPs[0].ip: non-standard IP address \"010.1.1.1\" will be considered invalid in a future "
           "Kubernetes release: use \"10.1.1.1\"");
    /* the main pod strategy and the other subresources do not look at status */
    update("", "Pod", NULL, pod, pod, "");
    update("", "Pod", "ephemeralcontainers", pod, pod, "");
    const char *svc = "{'metadata':{'name':'s'},'spec':{'type':'LoadBalancer'},'status':{'loadBalancer':{'ingress':["
                      "{'hostname':'lb.example.com'},{'ip':'1.2.3.4'},{'ip':'01.2.3.4'}]}}}";
    update("", "Service", "status", svc, "{'metadata':{'name':'s'},'spec':{'type':'LoadBalancer'}}",
           "status.loadBalancer.ingress[2]: non-standard IP address \"01.2.3.4\" will be considered invalid in a "
           "future Kubernetes release: use \"1.2.3.4\"");
    update("", "Service", NULL, svc, svc, "");
}

static void test_node_storage_serviceaccount(void **state)
{
    (void)state;
    create("", "Node", "{'metadata':{'name':'n'},'spec':{'externalID':'x','configSource':{}}}",
           "spec.configSource: the feature is removed\n"
           "spec.externalID: this field is deprecated, and is unused by Kubernetes");
    update("", "Node", NULL, "{'metadata':{'name':'n'},'spec':{'externalID':'x'}}",
           "{'metadata':{'name':'n'},'spec':{'externalID':'x'}}",
           "spec.externalID: this field is deprecated, and is unused by Kubernetes");
    update("", "Node", "status", "{'metadata':{'name':'n'},'spec':{'externalID':'x'}}",
           "{'metadata':{'name':'n'},'spec':{'externalID':'x'}}", "");
    create("", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDRs':['10.0.0.1/24']}}", "");

    const char *sc = "{'metadata':{'name':'s'},'provisioner':'p','allowedTopologies':[{'matchLabelExpressions':["
                     "{'key':'topology.kubernetes.io/zone','values':['a']}]},{'matchLabelExpressions':[{'key':'a',"
                     "'values':['b']},{'key':'failure-domain.beta.kubernetes.io/zone','values':['a']}]}]}";
    const char *scw = "allowedTopologies[1].matchLabelExpressions[1].key: deprecated since v1.17; use "
                      "\"topology.kubernetes.io/zone\" instead";
    create("storage.k8s.io", "StorageClass", sc, scw);
    update("storage.k8s.io", "StorageClass", NULL, sc, sc, scw);

    const char *csc = "{'metadata':{'name':'c'},'storageClassName':'s','nodeTopology':{'matchLabels':{"
                      "'beta.kubernetes.io/os':'linux','x':'y'},'matchExpressions':[{'key':'y','operator':'Exists'},"
                      "{'key':'beta.kubernetes.io/arch','operator':'Exists'}]}}";
    const char *cscw = "nodeTopology.matchExpressions[1].key: beta.kubernetes.io/arch is deprecated since v1.14; use "
                       "\"kubernetes.io/arch\" instead\n"
                       "nodeTopology.matchLabels.beta.kubernetes.io/os: deprecated since v1.14; use "
                       "\"kubernetes.io/os\" instead";
    create("storage.k8s.io", "CSIStorageCapacity", csc, cscw);
    update("storage.k8s.io", "CSIStorageCapacity", NULL, csc, csc, cscw);

#define SA(ann) "{'metadata':{'name':'sa'" ann "}}"
#define ENF ",'annotations':{'kubernetes.io/enforce-mountable-secrets':'false'}"
    const char *saw = "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer "
                      "separate namespaces to isolate access to mounted secrets";
    create("", "ServiceAccount", SA(ENF), saw);
    create("", "ServiceAccount", SA(""), "");
    /* on update only when the request newly sets it */
    update("", "ServiceAccount", NULL, SA(ENF), SA(""), saw);
    update("", "ServiceAccount", NULL, SA(ENF), SA(ENF), "");
    update("", "ServiceAccount", NULL, SA(""), SA(ENF), "");
#undef SA
#undef ENF
    /* kinds whose 1.33 strategies return no warnings */
    create("networking.k8s.io", "ServiceCIDR", "{'metadata':{'name':'c'},'spec':{'cidrs':['10.0.0.1/24']}}", "");
    create("networking.k8s.io", "IngressClass", "{'metadata':{'name':'a.b'},'spec':{'controller':'x/y'}}", "");
    create("policy", "PodDisruptionBudget",
           "{'metadata':{'name':'a.b'},'spec':{'selector':{'matchLabels':{'beta.kubernetes.io/os':'l'}}}}", "");
}

static void test_apparmor_sync_warnings(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_warnings w = {0};
    struct kapi_value *pod = parse(pool,
        "{'metadata':{'name':'p','annotations':{'container.apparmor.security.beta.kubernetes.io/a':'runtime/default',"
        "'container.apparmor.security.beta.kubernetes.io/b':'bogus','container.apparmor.security.beta.kubernetes.io/c':"
        "'unconfined'}},'spec':{'securityContext':{'appArmorProfile':{'type':'Unconfined'}},'containers':["
        "{'name':'a'},{'name':'b'},{'name':'c'}]}}");
    kapi_pod_apparmor_sync(pool, pod, &w);
    /* c's annotation equals the pod's profile: synced silently */
    expect(pool, &w,
           "metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]: deprecated since v1.30; use the "
           "\"appArmorProfile\" field instead\n"
           "metadata.annotations[container.apparmor.security.beta.kubernetes.io/b]: deprecated since v1.30; use the "
           "\"appArmorProfile\" field instead");
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_node_labels),
        cmocka_unit_test(test_pod_name_and_annotations),
        cmocka_unit_test(test_pod_volumes),
        cmocka_unit_test(test_pod_overlapping_paths),
        cmocka_unit_test(test_pod_duplicates_and_resources),
        cmocka_unit_test(test_pod_ports_and_affinity),
        cmocka_unit_test(test_templates_create),
        cmocka_unit_test(test_templates_update),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_storage_and_runtime_class),
        cmocka_unit_test(test_apparmor_sync_warnings),
        cmocka_unit_test(test_network_policy_cidrs),
        cmocka_unit_test(test_endpoints_and_slices),
        cmocka_unit_test(test_status_ips),
        cmocka_unit_test(test_node_storage_serviceaccount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
