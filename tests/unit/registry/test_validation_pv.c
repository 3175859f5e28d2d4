/* registry/validation: a PersistentVolume's own spec (ValidatePersistentVolumeSpec
 * of kube-apiserver 1.33): access modes, capacity, reclaim policy, node
 * affinity, exactly one volume source and each PV source's rules, storage
 * class and volume mode, with upstream's exact paths and messages. */
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

static void check(const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "PersistentVolume", parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

#define SUBDOMAIN                                                                                               \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "  \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "          \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define PV(spec) "{'metadata':{'name':'pv1'},'spec':{" spec "}}"
#define BASE "'accessModes':['ReadWriteOnce'],'capacity':{'storage':'1Gi'},"
#define AFFINITY "'nodeAffinity':{'required':{'nodeSelectorTerms':[{'matchExpressions':[{'key':'k','operator':'In'," \
    "'values':['n1']}]}]}},"

static void test_pv_basics(void **state)
{
    (void)state;
    check(PV(BASE "'hostPath':{'path':'/data'},'persistentVolumeReclaimPolicy':'Retain','volumeMode':'Filesystem',"
                  "'storageClassName':'fast'"), "");
    check(PV(BASE AFFINITY "'local':{'path':'/mnt/disk'}"), "");
    check(PV("'hostPath':{'path':'/d'}"),
          "[spec.accessModes: Required value, spec.capacity: Required value, spec.capacity: Unsupported value: "
          "core.ResourceList(nil): supported values: \"storage\"]");
    check(PV("'accessModes':['ReadWriteOncePod','ReadWriteOnce','Sometimes'],'capacity':{'storage':'0'},"
             "'hostPath':{'path':'/d'}"),
          "[spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", "
          "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\", spec.accessModes: Forbidden: may not use "
          "ReadWriteOncePod with other access modes, spec.capacity[storage]: Invalid value: \"0\": must be greater "
          "than zero]");
    check(PV("'accessModes':['ReadWriteOnce'],'capacity':{'storage':'-1500m'},'hostPath':{'path':'/d'}"),
          "[spec.capacity[storage]: Invalid value: -1: must be a valid resource quantity, "
          "spec.capacity[storage]: Invalid value: \"-1500m\": must be greater than zero]");
    check(PV(BASE "'persistentVolumeReclaimPolicy':'Recycle','hostPath':{'path':'/./'},'volumeMode':'Raw',"
                  "'storageClassName':'Bad_Class'"),
          "[spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/', "
          "spec.storageClassName: Invalid value: \"Bad_Class\": a lowercase RFC 1123 subdomain must consist of lower "
          "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.volumeMode: Unsupported value: "
          "\"Raw\": supported values: \"Block\", \"Filesystem\"]");
    check(PV(BASE "'persistentVolumeReclaimPolicy':'Keep','hostPath':{'path':'/d'}"),
          "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", "
          "\"Recycle\", \"Retain\"");
}

static void test_pv_sources(void **state)
{
    (void)state;
    check(PV("'accessModes':['ReadWriteOnce'],'capacity':{'storage':'1Gi'}"), "spec: Required value: must specify a volume type");
    /* the first source counts, later ones are refused; flexVolume has no such check */
    check(PV(BASE "'hostPath':{'path':'/d'},'nfs':{'server':'s','path':'/p'},'cephfs':{'monitors':['m']},"
                  "'flexVolume':{'driver':'d'}"),
          "[spec.nfs: Forbidden: may not specify more than 1 volume type, "
          "spec.cephFS: Forbidden: may not specify more than 1 volume type]");
    check(PV(BASE "'local':{'path':'../x'}"),
          "[spec.local.path: Invalid value: \"../x\": must not contain '..', "
          "spec.nodeAffinity: Required value: Local volume requires node affinity]");
    check(PV(BASE "'nodeAffinity':{},'local':{}"),
          "[spec.nodeAffinity.required: Required value: must specify required node constraints, "
          "spec.local.path: Required value]");
    check(PV(BASE "'nodeAffinity':{'required':{'nodeSelectorTerms':[]}},'nfs':{'server':'','path':'rel'}"),
          "[spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector "
          "term, spec.nfs.server: Required value, spec.nfs.path: Invalid value: \"rel\": must be an absolute path]");
    check(PV(BASE "'csi':{'driver':'','nodePublishSecretRef':{'name':'Bad_S'},'controllerExpandSecretRef':"
                  "{'namespace':'ns'}}"),
          "[spec.csi.driver: Required value, spec.csi.driver: Invalid value: \"\": " SUBDOMAIN ", "
          "spec.csi.volumeHandle: Required value, "
          "spec.csi.controllerExpandSecretRef.name: Required value, "
          "spec.csi.nodePublishSecretRef.name: Invalid value: \"Bad_S\": " SUBDOMAIN ", "
          "spec.csi.nodePublishSecretRef.namespace: Required value]");
    check(PV(BASE "'csi':{'driver':'csi.example.com','volumeHandle':'h'}"), "");
    check(PV(BASE "'glusterfs':{'endpoints':'e','path':'p','endpointsNamespace':''}"),
          "spec.glusterfs.endpointsNamespace: Invalid value: \"\": if the endpointnamespace is set, it must be a "
          "valid namespace name");
    check(PV(BASE "'cinder':{'volumeID':'v','secretRef':{'name':'s'}}"),
          "spec.cinder.secretRef.namespace: Required value");
    check(PV(BASE "'azureFile':{'secretName':'s','shareName':'x','secretNamespace':''}"),
          "spec.azureFile.secretNamespace: Required value");
    check(PV(BASE "'storageos':{'volumeName':'v','secretRef':{}}"),
          "[spec.storageos.secretRef.name: Required value, spec.storageos.secretRef.namespace: Required value]");
    check(PV(BASE "'gcePersistentDisk':{'pdName':''}"), "spec.persistentDisk.pdName: Required value");
    /* the PV name, not a volume name, counts towards the iSCSI length limit */
    check("{'metadata':{'name':'a-rather-long-persistent-volume-name-for-iscsi'},'spec':{" BASE
          "'iscsi':{'targetPortal':'192.168.100.100:3260','iqn':'iqn.2001-04.com.example:storage','lun':0,"
          "'initiatorName':'iqn.1994-05.com.redhat:x'}}}",
          "spec.iscsi.targetportal: Invalid value: \"192.168.100.100:3260\": Total length of <volume "
          "name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.");
}

static void check_update(const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "PersistentVolume", parse(pool, obj), parse(pool, old), &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

/* ValidatePersistentVolumeUpdate: source, volumeMode and a set nodeAffinity are fixed. */
static void test_pv_update(void **state)
{
    (void)state;
    const char *old = PV(BASE AFFINITY "'csi':{'driver':'d.example.com','volumeHandle':'h'},'volumeMode':'Filesystem'");
    /* what may change: capacity, reclaim policy, the expand secret once */
    check_update(PV("'accessModes':['ReadWriteOnce'],'capacity':{'storage':'2Gi'},'persistentVolumeReclaimPolicy':'Delete',"
                    AFFINITY "'csi':{'driver':'d.example.com','volumeHandle':'h','controllerExpandSecretRef':"
                    "{'name':'s','namespace':'n'}},'volumeMode':'Filesystem'"),
                 old, "");
    check_update(PV(BASE AFFINITY "'csi':{'driver':'d.example.com','volumeHandle':'other'},'volumeMode':'Filesystem'"), old,
                 "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n"
                 "  core.PersistentVolumeSource{\n  \tcsi: changed,\n  }\n");
    check_update(PV(BASE AFFINITY "'csi':{'driver':'d.example.com','volumeHandle':'h'},'volumeMode':'Block'"), old,
                 "volumeMode: Invalid value: \"Block\": field is immutable");
    check_update(PV(BASE "'csi':{'driver':'d.example.com','volumeHandle':'h'},'volumeMode':'Filesystem'"), old,
                 "nodeAffinity: Invalid value: \"null\": field is immutable");
    /* a nodeAffinity may be added when there was none */
    check_update(PV(BASE AFFINITY "'hostPath':{'path':'/d'}"), PV(BASE "'hostPath':{'path':'/d'}"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv_basics),
        cmocka_unit_test(test_pv_sources),
        cmocka_unit_test(test_pv_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
