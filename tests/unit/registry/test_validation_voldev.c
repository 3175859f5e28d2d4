/* registry/validation/volumes: a container's volumeDevices
 * (ValidateVolumeDevices and the overlap with volumeMounts, for regular, init
 * and ephemeral containers) and clusterTrustBundle projections (name or
 * signerName + labelSelector, the signer-name and bundle-name formats,
 * paths). Each rule is checked with kube-apiserver 1.33's field path and
 * message. */
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

static void check_with(const char *sub, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    if (sub)
        assert_true(kapi_validate_subresource(pool, "", "v1", "Pod", sub, parse(pool, obj), parse(pool, old), &errs));
    else
        kapi_validate_kind(pool, "", "v1", "Pod", parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

static void check(const char *obj, const char *want) { check_with(NULL, obj, NULL, want); }

#define CTR_N(name, extra)                                                                                         \
    "{'name':'" name "','image':'nginx','terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define CTR(extra) CTR_N("c", extra)
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{}" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"
#define BLOCK_VOLS                                                                                                 \
    ",'volumes':[{'name':'data','persistentVolumeClaim':{'claimName':'data'}},"                                    \
    "{'name':'eph','ephemeral':{'volumeClaimTemplate':{'spec':{'accessModes':['ReadWriteOnce'],"                  \
    "'volumeMode':'Block','resources':{'requests':{'storage':'1Gi'}}}}}},"                                         \
    "{'name':'eph2','persistentVolumeClaim':{'claimName':'other'}},"                                               \
    "{'name':'scratch','emptyDir':{}}]"
#define DEVS(d) CTR(",'volumeDevices':[" d "]")
#define PROJ(srcs) POD(SPEC(CTR(""), ",'volumes':[{'name':'v','projected':{'sources':[" srcs "]}}]"))

#define BLOCK_MSG "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"
#define LABEL_MSG                                                                                                  \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " \
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "                  \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "              \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define DEV "spec.containers[0].volumeDevices"
#define CTB(i) "spec.volumes[0].projected.sources[" #i "].clusterTrustBundle"

static void test_devices_valid(void **state)
{
    (void)state;
    /* a PVC and a generic ephemeral volume, next to mounts of other volumes */
    check(POD(SPEC(CTR(",'volumeMounts':[{'name':'scratch','mountPath':'/scratch'}],'volumeDevices':["
                       "{'name':'data','devicePath':'/dev/xvda'},{'name':'eph','devicePath':'/dev/xvdb'}]"),
                   BLOCK_VOLS)),
          "");
}

/* ValidateVolumeDevices: each device's checks in upstream's order */
static void test_device_rules(void **state)
{
    (void)state;
    check(POD(SPEC(DEVS("{'name':'data','devicePath':'/dev/a'},{'name':'data','devicePath':'/dev/a'},"
                        "{'name':'scratch','devicePath':'/dev/../b'},{'name':'nope','devicePath':''},"
                        "{'name':'','devicePath':'/dev/c'},{'name':'eph','devicePath':'/dev/../b'},"
                        "{'name':'eph2','devicePath':''}"),
                   BLOCK_VOLS)),
          "[" DEV "[1].name: Invalid value: \"data\": must be unique, " DEV
          "[1].devicePath: Invalid value: \"/dev/a\": must be unique, " DEV "[2].name: Invalid value: \"scratch\": "
          BLOCK_MSG ", " DEV "[2].devicePath: Invalid value: \"/dev/../b\": can not contain backsteps ('..'), " DEV
          "[3].name: Not found: \"nope\", " DEV "[3].devicePath: Required value, " DEV "[4].name: Required value, "
          DEV "[4].name: Not found: \"\", " DEV "[5].devicePath: Invalid value: \"/dev/../b\": can not contain "
          "backsteps ('..'), " DEV "[6].devicePath: Required value, " DEV
          "[6].devicePath: Invalid value: \"\": must be unique]");
    /* a volume that failed validation is not there for a device either */
    check(POD(SPEC(DEVS("{'name':'bad','devicePath':'/dev/a'}"),
                   ",'volumes':[{'name':'bad','persistentVolumeClaim':{'claimName':''}}]")),
          "[spec.volumes[0].persistentVolumeClaim.claimName: Required value, " DEV "[0].name: Not found: \"bad\"]");
}

/* volumeMounts vs volumeDevices: names and paths may not be shared; upstream
 * compares against a name -> path map, so only the last entry of a repeated
 * name counts for the paths */
static void test_device_mount_overlap(void **state)
{
    (void)state;
    check(POD(SPEC(CTR(",'volumeMounts':[{'name':'data','mountPath':'/m'},{'name':'eph','mountPath':'/dev/x'},"
                       "{'name':'eph','mountPath':'/m2'}],'volumeDevices':[{'name':'data','devicePath':'/m'},"
                       "{'name':'eph2','devicePath':'/dev/x'},{'name':'eph2','devicePath':'/dev/y'}]"),
                   BLOCK_VOLS)),
          "[spec.containers[0].volumeMounts[0].name: Invalid value: \"data\": must not already exist in "
          "volumeDevices, spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"/m\": must not already "
          "exist as a path in volumeDevices, " DEV "[0].name: Invalid value: \"data\": must not already exist in "
          "volumeMounts, " DEV "[0].devicePath: Invalid value: \"/m\": must not already exist as a path in "
          "volumeMounts, " DEV "[2].name: Invalid value: \"eph2\": must be unique]");
    /* the last device of a name is the one compared with the mount paths */
    check(POD(SPEC(CTR(",'volumeMounts':[{'name':'scratch','mountPath':'/dev/y'}],'volumeDevices':["
                       "{'name':'data','devicePath':'/dev/x'},{'name':'data','devicePath':'/dev/y'}]"),
                   BLOCK_VOLS)),
          "[spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"/dev/y\": must not already exist as a "
          "path in volumeDevices, " DEV "[1].name: Invalid value: \"data\": must be unique, " DEV
          "[1].devicePath: Invalid value: \"/dev/y\": must not already exist as a path in volumeMounts]");
}

/* init containers get the same checks (validateContainerCommon) */
static void test_init_container_devices(void **state)
{
    (void)state;
    check(POD(SPEC(CTR(""), ",'initContainers':[" CTR_N("i", ",'volumeMounts':[{'name':'scratch','mountPath':"
                                                             "'/dev/s'}],'volumeDevices':[{'name':'scratch',"
                                                             "'devicePath':'/dev/s'}]") "]" BLOCK_VOLS)),
          "[spec.initContainers[0].volumeMounts[0].name: Invalid value: \"scratch\": must not already exist in "
          "volumeDevices, spec.initContainers[0].volumeMounts[0].mountPath: Invalid value: \"/dev/s\": must not "
          "already exist as a path in volumeDevices, spec.initContainers[0].volumeDevices[0].name: Invalid value: "
          "\"scratch\": " BLOCK_MSG ", spec.initContainers[0].volumeDevices[0].name: Invalid value: \"scratch\": "
          "must not already exist in volumeMounts, spec.initContainers[0].volumeDevices[0].devicePath: Invalid "
          "value: \"/dev/s\": must not already exist as a path in volumeMounts]");
}

/* ephemeral containers, through the pods/ephemeralcontainers rules */
static void test_ephemeral_container_devices(void **state)
{
    (void)state;
    const char *old = POD(SPEC(CTR(""), BLOCK_VOLS));
    check_with("ephemeralcontainers",
               POD(SPEC(CTR(""), ",'ephemeralContainers':[" CTR_N("dbg", ",'volumeDevices':[{'name':'nope',"
                                                                        "'devicePath':'rel/../x'},{'name':'scratch',"
                                                                        "'devicePath':'/dev/s'}]") "]" BLOCK_VOLS)),
               old,
               "[spec.ephemeralContainers[0].volumeDevices[0].name: Not found: \"nope\", "
               "spec.ephemeralContainers[0].volumeDevices[0].devicePath: Invalid value: \"rel/../x\": can not contain "
               "backsteps ('..'), spec.ephemeralContainers[0].volumeDevices[1].name: Invalid value: \"scratch\": "
               BLOCK_MSG "]");
    check_with("ephemeralcontainers",
               POD(SPEC(CTR(""), ",'ephemeralContainers':[" CTR_N("dbg", ",'volumeDevices':[{'name':'data',"
                                                                        "'devicePath':'/dev/xvda'}]") "]" BLOCK_VOLS)),
               old, "");
}

static void test_ctb_valid(void **state)
{
    (void)state;
    check(PROJ("{'clusterTrustBundle':{'name':'plain','path':'a.pem'}},"
               "{'clusterTrustBundle':{'name':'example.com:signer:bundle-1','optional':true,'path':'b.pem'}},"
               "{'clusterTrustBundle':{'signerName':'example.com/signer','labelSelector':{'matchLabels':{'k':'v'},"
               "'matchExpressions':[{'key':'tier','operator':'Exists'}]},'path':'c.pem'}},"
               "{'clusterTrustBundle':{'signerName':'kubernetes.io/kube-apiserver-serving','path':'d/e.pem'}}"),
          "");
}

/* name and signerName exclude each other; a labelSelector only goes with signerName */
static void test_ctb_exclusive(void **state)
{
    (void)state;
    check(PROJ("{'clusterTrustBundle':{'name':'a','signerName':'example.com/s','path':'a'}},"
               "{'clusterTrustBundle':{'path':'b'}},"
               "{'clusterTrustBundle':{'name':'x','labelSelector':{'matchLabels':{'a':'b'}},'path':'c'}},"
               "{'clusterTrustBundle':{'name':'y','signerName':'','labelSelector':{},'optional':false,'path':'d'}}"),
          "[" CTB(0) ": Invalid value: core.ClusterTrustBundleProjection{Name:(*string)(0xc000000000), "
          "SignerName:(*string)(0xc000000000), LabelSelector:(*v1.LabelSelector)(nil), Optional:(*bool)(nil), "
          "Path:\"a\"}: only one of name and signerName may be used, " CTB(1) ": Required value: either name or "
          "signerName must be specified, " CTB(2) ".labelSelector: Invalid value: v1.LabelSelector{MatchLabels:"
          "map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: labelSelector must "
          "be unset if name is specified, " CTB(3) ": Invalid value: core.ClusterTrustBundleProjection{Name:"
          "(*string)(0xc000000000), SignerName:(*string)(0xc000000000), LabelSelector:(*v1.LabelSelector)"
          "(0xc000000000), Optional:(*bool)(0xc000000000), Path:\"d\"}: only one of name and signerName may be "
          "used]");
    /* empty values: Required, then the format checks still run */
    check(PROJ("{'clusterTrustBundle':{'name':'','path':''}},{'clusterTrustBundle':{'signerName':'','path':''}}"),
          "[" CTB(0) ".name: Required value: must be a valid object name, " CTB(0) ".name: Invalid value: \"\": "
          "not a valid clustertrustbundlename: " SUBDOMAIN_MSG ", " CTB(0) ".path: Required value, " CTB(1)
          ".signerName: Required value: must be a valid signer name, " CTB(1) ".signerName: Required value, " CTB(1)
          ".path: Required value, spec.volumes[0].projected: Invalid value: \"\": conflicting duplicate paths]");
}

/* ValidateClusterTrustBundleName, with the signer name the name's prefix implies */
static void test_ctb_names(void **state)
{
    (void)state;
    check(PROJ("{'clusterTrustBundle':{'name':'Bad_Name','path':'a'}},"
               "{'clusterTrustBundle':{'name':':abc','path':'b'}},"
               "{'clusterTrustBundle':{'name':'example.com/x:abc','path':'c'}},"
               "{'clusterTrustBundle':{'name':'example.com:signer:Bad','path':'d'}},"
               "{'clusterTrustBundle':{'name':'example.com:signer:','path':'e'}},"
               "{'clusterTrustBundle':{'name':'a::b','path':'f'}}"),
          "[" CTB(0) ".name: Invalid value: \"Bad_Name\": not a valid clustertrustbundlename: " SUBDOMAIN_MSG ", "
          CTB(1) ".name: Invalid value: \":abc\": not a valid clustertrustbundlename: ClusterTrustBundle without "
          "signer name must not have \":\" in its name, " CTB(2) ".name: Invalid value: \"example.com/x:abc\": not a "
          "valid clustertrustbundlename: ClusterTrustBundle for signerName example.com/x must be named with prefix "
          "example.com:x:, " CTB(3) ".name: Invalid value: \"example.com:signer:Bad\": not a valid "
          "clustertrustbundlename: " SUBDOMAIN_MSG ", " CTB(4) ".name: Invalid value: \"example.com:signer:\": not "
          "a valid clustertrustbundlename: " SUBDOMAIN_MSG "]");
}

/* ValidateSignerName */
static void test_signer_names(void **state)
{
    (void)state;
    check(PROJ("{'clusterTrustBundle':{'signerName':'nodomain','path':'a'}},"
               "{'clusterTrustBundle':{'signerName':'a.com/b/c','path':'b'}},"
               "{'clusterTrustBundle':{'signerName':'Example.com/x','path':'c'}},"
               "{'clusterTrustBundle':{'signerName':'example/x','path':'d'}},"
               "{'clusterTrustBundle':{'signerName':'example.com/Bad.ok','path':'e'}},"
               "{'clusterTrustBundle':{'signerName':'a..com/x.y-z','path':'f'}},"
               "{'clusterTrustBundle':{'signerName':'Bad/','path':'g'}}"),
          "[" CTB(0) ".signerName: Invalid value: \"nodomain\": must be a fully qualified domain and path of the "
          "form 'example.com/signer-name', " CTB(1) ".signerName: Invalid value: \"a.com/b/c\": must be a fully "
          "qualified domain and path of the form 'example.com/signer-name', " CTB(2) ".signerName: Invalid value: "
          "\"Example.com\": validating label \"Example\": " LABEL_MSG ", " CTB(3) ".signerName: Invalid value: "
          "\"example\": should be a domain with at least two segments separated by dots, " CTB(4) ".signerName: "
          "Invalid value: \"Bad.ok\": validating label \"Bad\": " SUBDOMAIN_MSG ", " CTB(5) ".signerName: Invalid "
          "value: \"a..com\": validating label \"\": " LABEL_MSG ", " CTB(6) ".signerName: Invalid value: \"Bad\": "
          "validating label \"Bad\": " LABEL_MSG ", " CTB(6) ".signerName: Invalid value: \"Bad\": should be a "
          "domain with at least two segments separated by dots, " CTB(6) ".signerName: Invalid value: \"\": "
          "validating label \"\": " SUBDOMAIN_MSG "]");
}

/* PROJ with the signer name built by fill() in place of '@' */
static void check_signer(void (*fill)(char *), const char *want)
{
    static const char tmpl[] = PROJ("{'clusterTrustBundle':{'path':'a','signerName':'@'}}");
    char signer[1024], json[2048];
    fill(signer);
    const char *at = strchr(tmpl, '@');
    snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - tmpl), tmpl, signer, at + 1);
    check(json, want);
}

static char *repeat(char *p, char ch, size_t n)
{
    memset(p, ch, n);
    p[n] = '\0';
    return p + n;
}

/* a 254-byte domain of valid labels */
static void long_domain(char *p)
{
    for (int i = 0; i < 4; i++) {
        p = repeat(p, (char)('a' + i), i < 3 ? 63 : 62);
        if (i < 3)
            *p++ = '.';
    }
    strcpy(p, "/x");
}

static void long_path(char *p, size_t last)
{
    p += sprintf(p, "example.com/");
    p = repeat(p, 'x', 253);
    *p++ = '.';
    p = repeat(p, 'y', 253);
    *p++ = '.';
    repeat(p, 'z', last);
}
static void signer_620(char *p) { long_path(p, 100); }
static void signer_571(char *p) { long_path(p, 571 - 12 - 253 - 1 - 253 - 1); }

/* the two length limits: 253 bytes of domain, 571 bytes in all */
static void test_signer_lengths(void **state)
{
    (void)state;
    check_signer(long_domain, CTB(0) ".signerName: Too long: may not be more than 253 bytes");
    check_signer(signer_620, CTB(0) ".signerName: Too long: may not be more than 571 bytes");
    check_signer(signer_571, "");
}

/* the label selector goes through metav1's validator (matchLabels first);
 * paths: required, relative, no '..', unique across the projection */
static void test_ctb_selector_and_paths(void **state)
{
    (void)state;
    check(PROJ("{'clusterTrustBundle':{'signerName':'example.com/s','labelSelector':{'matchExpressions':[{'key':"
               "'k','operator':'In'},{'key':'bad key','operator':'Exists','values':['x']}],'matchLabels':{'ok':"
               "'bad value!'}},'path':'/abs'}},"
               "{'clusterTrustBundle':{'signerName':'example.com/s','path':'../x'}},"
               "{'clusterTrustBundle':{'signerName':'example.com/s','path':'..x'}},"
               "{'secret':{'name':'s','items':[{'key':'k','path':'dup'}]}},"
               "{'clusterTrustBundle':{'name':'n','path':'dup'}}"),
          "[" CTB(0) ".labelSelector.matchLabels: Invalid value: \"bad value!\": a valid label must be an empty "
          "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), " CTB(0) ".labelSelector.matchExpressions[0].values: "
          "Required value: must be specified when `operator` is 'In' or 'NotIn', " CTB(0)
          ".labelSelector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' "
          "or 'DoesNotExist', " CTB(0) ".labelSelector.matchExpressions[1].key: Invalid value: \"bad key\": name "
          "part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), " CTB(0) ".path: Invalid value: \"/abs\": must be a "
          "relative path, " CTB(1) ".path: Invalid value: \"../x\": must not contain '..', " CTB(2)
          ".path: Invalid value: \"..x\": must not start with '..', spec.volumes[0].projected: Invalid value: "
          "\"dup\": conflicting duplicate paths]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices_valid),
        cmocka_unit_test(test_device_rules),
        cmocka_unit_test(test_device_mount_overlap),
        cmocka_unit_test(test_init_container_devices),
        cmocka_unit_test(test_ephemeral_container_devices),
        cmocka_unit_test(test_ctb_valid),
        cmocka_unit_test(test_ctb_exclusive),
        cmocka_unit_test(test_ctb_names),
        cmocka_unit_test(test_signer_names),
        cmocka_unit_test(test_signer_lengths),
        cmocka_unit_test(test_ctb_selector_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
