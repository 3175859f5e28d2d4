/* registry/validation/volumes and the PodSpec rules around them: volume
 * sources, volumeMounts, hostPort conflicts, dnsConfig, readiness and
 * scheduling gates, hostAliases, hostNetwork ports. Each rule is checked
 * with kube-apiserver 1.33's exact field path and message. */
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

static void check(const char *kind, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", kind, parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

#define CTR(extra) "{'name':'c','image':'nginx','terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{}" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"
#define VOLS(v) SPEC(CTR(""), ",'volumes':[" v "]")

static const char QUALIFIED_MSG[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static void test_valid_volumes(void **state)
{
    (void)state;
    check("Pod",
          POD(SPEC(CTR(",'volumeMounts':[{'name':'a','mountPath':'/a','subPath':'x/y'},{'name':'b','mountPath':'/b'},"
                       "{'name':'c','mountPath':'/c'},{'name':'d','mountPath':'/d'},{'name':'e','mountPath':'/e'}],"
                       "'volumeDevices':[{'name':'f','devicePath':'/dev/xvdf'}]"),
                   ",'volumes':[{'name':'a','emptyDir':{'sizeLimit':'1Gi'}},"
                   "{'name':'b','secret':{'secretName':'s','defaultMode':420,'items':[{'key':'k','path':'k.txt'}]}},"
                   "{'name':'c','configMap':{'name':'cm','defaultMode':511}},"
                   "{'name':'d','projected':{'defaultMode':420,'sources':[{'serviceAccountToken':{'path':'token',"
                   "'expirationSeconds':3600}},{'downwardAPI':{'items':[{'path':'labels','fieldRef':{'apiVersion':'v1',"
                   "'fieldPath':'metadata.labels'}}]}},{'configMap':{'name':'x','items':[{'key':'a','path':'a'}]}}]}},"
                   "{'name':'e','hostPath':{'path':'/var/log','type':'Directory'}},"
                   "{'name':'f','persistentVolumeClaim':{'claimName':'data'}},"
                   "{'name':'g','csi':{'driver':'csi.example.com'}},"
                   "{'name':'h','ephemeral':{'volumeClaimTemplate':{'metadata':{'labels':{'a':'b'}},'spec':{"
                   "'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}}},"
                   "{'name':'i','downwardAPI':{'items':[{'path':'cpu','resourceFieldRef':{'containerName':'c',"
                   "'resource':'limits.cpu','divisor':'1m'}}]}}]")),
          "");
}

static void test_one_source(void **state)
{
    (void)state;
    check("Pod", POD(VOLS("{'name':'v','emptyDir':{},'hostPath':{'path':'/x'},'cephfs':{'monitors':['m']},"
                          "'downwardAPI':{}}")),
          "[spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type, spec.volumes[0].cephFS: "
          "Forbidden: may not specify more than 1 volume type, spec.volumes[0].downwarAPI: Forbidden: may not specify "
          "more than 1 volume type]");
    check("Pod", POD(VOLS("{'name':'v'}")), "spec.volumes[0]: Required value: must specify a volume type");
}

static void test_source_rules(void **state)
{
    (void)state;
    check("Pod", POD(VOLS("{'name':'v','hostPath':{'path':'/a/../b','type':'Pipe'}}")),
          "[spec.volumes[0].hostPath.path: Invalid value: \"/a/../b\": must not contain '..', "
          "spec.volumes[0].hostPath.type: Unsupported value: \"Pipe\": supported values: \"\", \"BlockDevice\", "
          "\"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"]");
    check("Pod",
          POD(VOLS("{'name':'v','secret':{'defaultMode':512,'items':[{'key':'','path':'/abs','mode':-1},"
                   "{'key':'k','path':'..data'}]}}")),
          "[spec.volumes[0].secret.secretName: Required value, spec.volumes[0].secret.defaultMode: Invalid value: 512: "
          "must be a number between 0 and 0777 (octal), both inclusive, spec.volumes[0].secret.items[0].key: Required "
          "value, spec.volumes[0].secret.items[0].path: Invalid value: \"/abs\": must be a relative path, "
          "spec.volumes[0].secret.items[0].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both "
          "inclusive, spec.volumes[0].secret.items[1].path: Invalid value: \"..data\": must not start with '..']");
    check("Pod", POD(VOLS("{'name':'v','configMap':{}},{'name':'w','persistentVolumeClaim':{}}")),
          "[spec.volumes[0].configMap.name: Required value, spec.volumes[1].persistentVolumeClaim.claimName: "
          "Required value]");
    check("Pod", POD(VOLS("{'name':'v','nfs':{'server':'nfs','path':'rel'}}")),
          "spec.volumes[0].nfs.path: Invalid value: \"rel\": must be an absolute path");
    check("Pod", POD(VOLS("{'name':'v','gcePersistentDisk':{'pdName':'d','partition':300}}")),
          "spec.volumes[0].persistentDisk.partition: Invalid value: 300: must be between 1 and 255, inclusive");
    check("Pod", POD(VOLS("{'name':'v','iscsi':{'targetPortal':'1.2.3.4:3260','iqn':'iqn.bad','lun':0}}")),
          "spec.volumes[0].iscsi.iqn: Invalid value: \"iqn.bad\": must be valid format");
    check("Pod", POD(VOLS("{'name':'v','csi':{'driver':''}},{'name':'w','csi':{'driver':'Bad_Driver'}}")),
          "[spec.volumes[0].csi.driver: Required value, spec.volumes[0].csi.driver: Invalid value: \"\": a lowercase "
          "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
          "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.volumes[1].csi.driver: Invalid "
          "value: \"Bad_Driver\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
          "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
    check("Pod", POD(VOLS("{'name':'v','emptyDir':{'sizeLimit':'-1Gi'}}")),
          "spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity");
}

static void test_projected_and_downward(void **state)
{
    (void)state;
    check("Pod",
          POD(VOLS("{'name':'v','projected':{'sources':[{'secret':{'name':'s','items':[{'key':'a','path':'p'}]},"
                   "'configMap':{'name':'c','items':[{'key':'b','path':'p'}]}},{'serviceAccountToken':{"
                   "'expirationSeconds':60,'path':''}}]}}")),
          "[spec.volumes[0].projected: Invalid value: \"c\": conflicting duplicate paths, "
          "spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source, "
          "spec.volumes[0].projected.sources[1].serviceAccountToken.expirationSeconds: Invalid value: 60: may not "
          "specify a duration less than 10 minutes, spec.volumes[0].projected.path: Required value]");
    check("Pod",
          POD(VOLS("{'name':'v','downwardAPI':{'items':[{'path':'a','fieldRef':{'apiVersion':'v1','fieldPath':"
                   "'spec.nodeName'}},{'path':'b','fieldRef':{'apiVersion':'v1','fieldPath':'spec.bogus'}},"
                   "{'path':'c'}]}}")),
          "[spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": supported values: "
          "\"metadata.annotations\", \"metadata.labels\", \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", "
          "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"spec.bogus\": error converting fieldPath: "
          "field label not supported: spec.bogus, spec.volumes[0].downwardAPI: Required value: one of fieldRef and "
          "resourceFieldRef is required]");
    check("Pod",
          POD(VOLS("{'name':'v','downwardAPI':{'items':[{'path':'a','resourceFieldRef':{'containerName':'c',"
                   "'resource':'limits.cpu','divisor':'2'}}]}}")),
          "spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values "
          "1m and 1 are supported with the cpu resource");
}

static void test_ephemeral(void **state)
{
    (void)state;
    check("Pod", POD(VOLS("{'name':'v','ephemeral':{}}")),
          "spec.volumes[0].ephemeral.volumeClaimTemplate: Required value");
    check("Pod",
          POD(VOLS("{'name':'v','ephemeral':{'volumeClaimTemplate':{'metadata':{'name':'x'},'spec':{"
                   "'accessModes':['ReadWriteOncePod','ReadWriteOnce']}}}},"
                   "{'name':'w','persistentVolumeClaim':{'claimName':'p-v'}}")),
          "[spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.name: Forbidden: cannot be set, "
          "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes: Forbidden: may not use ReadWriteOncePod "
          "with other access modes, spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required "
          "value, spec.volumes[1].persistentVolumeClaim.claimName: Invalid value: \"p-v\": must not reference a PVC "
          "that gets created for an ephemeral volume]");
}

static void test_mounts(void **state)
{
    (void)state;
    /* a mount of a volume that failed validation is not found either */
    check("Pod",
          POD(SPEC(CTR(",'volumeMounts':[{'name':'Bad','mountPath':'/a'},{'name':'ok','mountPath':'/a',"
                       "'subPath':'/abs','mountPropagation':'Bidirectional'},{'name':'ok','mountPath':'/b',"
                       "'subPath':'x','subPathExpr':'$(POD)','recursiveReadOnly':'Enabled'}]"),
                   ",'volumes':[{'name':'Bad','emptyDir':{}},{'name':'ok','emptyDir':{}}]")),
          "[spec.volumes[0].name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case "
          "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
          "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), "
          "spec.containers[0].volumeMounts[0].name: Not found: \"Bad\", spec.containers[0].volumeMounts[1].mountPath: "
          "Invalid value: \"/a\": must be unique, spec.containers[0].volumeMounts.subPath: Invalid value: \"/abs\": "
          "must be a relative path, spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount "
          "propagation is available only to privileged containers, spec.containers[0].volumeMounts[2].subPathExpr: "
          "Invalid value: \"$(POD)\": subPathExpr and subPath are mutually exclusive, "
          "spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true]");
    check("Pod",
          POD(SPEC(CTR(",'volumeDevices':[{'name':'e','devicePath':'/dev/x'}]"),
                   ",'volumes':[{'name':'e','emptyDir':{}}]")),
          "spec.containers[0].volumeDevices[0].name: Invalid value: \"e\": can only use volume source type of "
          "PersistentVolumeClaim or Ephemeral for block mode");
}

static void test_host_ports(void **state)
{
    (void)state;
#define PORTS(p) "{'name':'" p "','image':'i','terminationMessagePolicy':'File','imagePullPolicy':'Always','ports':["
    check("Pod",
          POD(SPEC(PORTS("a") "{'containerPort':80,'hostPort':8080,'protocol':'TCP'}]}," PORTS("b")
                   "{'containerPort':81,'hostPort':8080,'protocol':'TCP'},{'containerPort':82,'hostPort':8080,"
                   "'protocol':'UDP'}]}",
                   "")),
          "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"");
    check("Deployment", "{}", ""); /* unrelated kinds are untouched */
    check("Pod",
          POD(SPEC(PORTS("a") "{'containerPort':80,'hostPort':81,'protocol':'TCP'}]}", ",'hostNetwork':true")),
          "spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is "
          "true");
#undef PORTS
}

static void test_dns_gates_aliases(void **state)
{
    (void)state;
    check("Pod", POD("{'containers':[" CTR("") "],'restartPolicy':'Always','dnsPolicy':'None'}"),
          "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None");
    check("Pod", POD("{'containers':[" CTR("") "],'restartPolicy':'Always','dnsPolicy':'None','dnsConfig':{}}"),
          "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is "
          "None");
    check("Pod",
          POD(SPEC(CTR(""), ",'dnsConfig':{'nameservers':['1.1.1.1','x'],'searches':['_sip._tcp.example.com.',"
                            "'Bad.Example'],'options':[{'value':'1'}]}")),
          "[spec.dnsConfig.nameservers[1]: Invalid value: \"x\": must be a valid IP address, (e.g. 10.9.8.7 or "
          "2001:db8::ffff), spec.dnsConfig.searches[1]: Invalid value: \"Bad.Example\": a lowercase RFC 1123 "
          "subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with "
          "an alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.dnsConfig.options[0]: Required "
          "value: must not be empty]");
    check("Pod",
          POD(SPEC(CTR(""), ",'dnsConfig':{'nameservers':['1.1.1.1','1.1.1.2','1.1.1.3','1.1.1.4']}")),
          "spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"1.1.1.2\", \"1.1.1.3\", \"1.1.1.4\"}: "
          "must not have more than 3 nameservers");
    char want[1024];
    snprintf(want, sizeof(want),
             "[spec.readinessGates[0].conditionType: Invalid value: \"-bad\": %s, spec.schedulingGates[1]: Duplicate "
             "value: \"example.com/gate\"]",
             QUALIFIED_MSG);
    check("Pod",
          POD(SPEC(CTR(""), ",'readinessGates':[{'conditionType':'-bad'}],'schedulingGates':[{'name':"
                            "'example.com/gate'},{'name':'example.com/gate'}]")),
          want);
    check("Pod", POD(SPEC(CTR(""), ",'hostAliases':[{'ip':'999.1.1.1','hostnames':['ok.example','Not_OK']}]")),
          "[spec.hostAliases[0].ip: Invalid value: \"999.1.1.1\": must be a valid IP address, (e.g. 10.9.8.7 or "
          "2001:db8::ffff), spec.hostAliases[0].hostnames[1]: Invalid value: \"Not_OK\": a lowercase RFC 1123 "
          "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
}

static void test_pvc_spec(void **state)
{
    (void)state;
    check("PersistentVolumeClaim",
          "{'spec':{'accessModes':['ReadWriteOnce','Sometimes'],'resources':{'requests':{'storage':'0'}},"
          "'volumeMode':'Tape','dataSource':{'name':'snap','kind':'VolumeSnapshot'}}}",
          "[spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", "
          "\"ReadWriteOnce\", \"ReadWriteOncePod\", spec.resources[storage]: Invalid value: \"0\": must be greater "
          "than zero, spec.volumeMode: Unsupported value: \"Tape\": supported values: \"Block\", \"Filesystem\", "
          "spec.dataSource: Invalid value: \"VolumeSnapshot\": must be 'PersistentVolumeClaim' when referencing the "
          "default apiGroup]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_volumes),  cmocka_unit_test(test_one_source),
        cmocka_unit_test(test_source_rules),   cmocka_unit_test(test_projected_and_downward),
        cmocka_unit_test(test_ephemeral),      cmocka_unit_test(test_mounts),
        cmocka_unit_test(test_host_ports),     cmocka_unit_test(test_dns_gates_aliases),
        cmocka_unit_test(test_pvc_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
