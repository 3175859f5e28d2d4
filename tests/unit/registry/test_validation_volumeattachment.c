/* registry/validation: VolumeAttachment (storage.k8s.io/v1) on create and
 * update, kube-apiserver 1.33's ValidateVolumeAttachment,
 * ValidateVolumeAttachmentV1 (create only), ValidateVolumeAttachmentUpdate
 * and the inline PersistentVolumeSpec rules of spec.source.inlineVolumeSpec.
 * Every cause is compared, in order (the aggregate message drops repeats). */
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

/* All causes as "field: body" lines; old NULL: create. */
static void check_sub(const char *sub, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    struct kapi_value *o = parse(pool, obj), *ov = old ? parse(pool, old) : NULL;
    if (sub)
        assert_true(kapi_validate_subresource(pool, "storage.k8s.io", "v1", "VolumeAttachment", sub, o, ov, &errs));
    else
        kapi_validate_kind(pool, "storage.k8s.io", "v1", "VolumeAttachment", o, ov, &errs);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < errs.len; i++) {
        kapi_buf_puts(&b, kapi_field_error_string(pool, &errs.items[i]));
        kapi_buf_putc(&b, '\n');
    }
    kapi_buf_putc(&b, 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("\n got:\n%s\nwant:\n%s", b.data, want);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

static void check(const char *obj, const char *old, const char *want)
{
    check_sub(NULL, obj, old, want);
}

#define DNS_MSG                                                                                                  \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "          \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

#define VA(spec) "{'metadata':{'name':'va'},'spec':" spec "}"
#define SPEC(attacher, source, node) "{'attacher':'" attacher "','nodeName':'" node "','source':" source "}"
#define PV(name) "{'persistentVolumeName':'" name "'}"
#define CSI "'csi':{'driver':'csi.example.com','volumeHandle':'h1'}"
#define INLINE(spec) "{'inlineVolumeSpec':{" spec "}}"
#define GOOD VA(SPEC("csi.example.com", PV("pv1"), "n1"))
#define IN "spec.source.inlineVolumeSpec"

static void test_create_valid(void **state)
{
    (void)state;
    check(GOOD, NULL, "");
    check(VA(SPEC("csi.example.com", INLINE("'accessModes':['ReadWriteOnce']," CSI), "n1")), NULL, "");
    /* inline: Retain and Filesystem are the values allowed */
    check(VA(SPEC("csi.example.com",
                  INLINE("'accessModes':['ReadWriteMany'],'persistentVolumeReclaimPolicy':'Retain',"
                         "'volumeMode':'Filesystem'," CSI),
                  "n1")),
          NULL, "");
    /* a null inline spec counts as absent */
    check(VA(SPEC("csi.example.com", "{'persistentVolumeName':'pv1','inlineVolumeSpec':null}", "n1")), NULL, "");
}

static void test_create_spec(void **state)
{
    (void)state;
    /* ValidateVolumeAttachment (attacher, source, nodeName), then
     * ValidateVolumeAttachmentV1's CSI driver name check of the attacher */
    check(VA(SPEC("", "{}", "N_1")), NULL,
          "spec.attacher: Required value\n"
          "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName\n"
          "spec.nodeName: Invalid value: \"N_1\": " DNS_MSG "\n"
          "spec.attacher: Required value\n"
          "spec.attacher: Invalid value: \"\": " DNS_MSG "\n");
    check(VA(SPEC("csi.example.com", "{'persistentVolumeName':'pv1','inlineVolumeSpec':{}}", "n1")), NULL,
          "spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName\n");
    check(VA(SPEC("csi.example.com", PV(""), "n1")), NULL,
          "spec.source.persistentVolumeName: Required value: must specify non empty persistentVolumeName\n"
          "spec.source.persistentVolumeName: Invalid value: \"\": " DNS_MSG "\n");
}

static void test_create_v1(void **state)
{
    (void)state;
    /* the attacher is checked lowercased, reported as given */
    check(VA(SPEC("CSI.Example.COM", PV("pv1"), "n1")), NULL, "");
    check(VA(SPEC("csi_driver", PV("pv1"), "n1")), NULL, "spec.attacher: Invalid value: \"csi_driver\": " DNS_MSG "\n");
    check(VA(SPEC("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", PV("pv1"), "n1")), NULL,
          "spec.attacher: Too long: may not be more than 63 bytes\n");
    check(VA(SPEC("csi.example.com", PV("Bad_PV"), "n1")), NULL,
          "spec.source.persistentVolumeName: Invalid value: \"Bad_PV\": " DNS_MSG "\n");
}

static void test_create_inline(void **state)
{
    (void)state;
    /* the inline form of ValidatePersistentVolumeSpec, in upstream's order */
    check(VA(SPEC("csi.example.com",
                  INLINE("'claimRef':{'name':'c'},'capacity':{'storage':'1Gi'},'accessModes':[],"
                         "'persistentVolumeReclaimPolicy':'Delete','nodeAffinity':{'required':{'nodeSelectorTerms':[]}},"
                         "'hostPath':{'path':'/data'},'storageClassName':'fast','volumeMode':'Block'"),
                  "n1")),
          NULL,
          IN ".claimRef: Forbidden: may not be specified in the context of inline volumes\n" IN
             ".capacity: Forbidden: may not be specified in the context of inline volumes\n" IN
             ".csi: Required value: has to be specified in the context of inline volumes\n" IN
             ".accessModes: Required value\n" IN
             ".persistentVolumeReclaimPolicy: Forbidden: may only be Retain in the context of inline volumes\n" IN
             ".nodeAffinity: Forbidden: may not be specified in the context of inline volumes\n" IN
             ".storageClassName: Forbidden: may not be specified in the context of inline volumes\n" IN
             ".volumeMode: Forbidden: may not specify volumeMode other than Filesystem in the context of inline "
             "volumes\n");
    /* a local source always lacks node affinity inline; csi is a second source */
    check(VA(SPEC("csi.example.com", INLINE("'accessModes':['ReadWriteOnce'],'local':{'path':'/mnt'}," CSI), "n1")),
          NULL,
          IN ".nodeAffinity: Required value: Local volume requires node affinity\n" IN
             ".csi: Forbidden: may not specify more than 1 volume type\n");
    /* the CSI source's own rules, under the inline path */
    check(VA(SPEC("csi.example.com",
                  INLINE("'accessModes':['ReadWriteOnce','Sometimes'],'csi':{'driver':'bad_driver'}"), "n1")),
          NULL,
          IN ".accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", "
             "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"\n" IN
             ".csi.driver: Invalid value: \"bad_driver\": " DNS_MSG "\n" IN ".csi.volumeHandle: Required value\n");
    /* no source at all */
    check(VA(SPEC("csi.example.com", INLINE("'accessModes':['ReadWriteOnce']"), "n1")), NULL,
          IN ".csi: Required value: has to be specified in the context of inline volumes\n" IN
             ": Required value: must specify a volume type\n");
}

static void test_update(void **state)
{
    (void)state;
    check(GOOD, GOOD, "");
    /* the spec may not change; upstream prints the internal spec struct */
    check(VA(SPEC("csi.example.com", PV("pv1"), "n2")), GOOD,
          "spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:\"csi.example.com\", "
          "Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), "
          "InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:\"n2\"}: field is immutable\n");
    check(VA(SPEC("csi.example.com", INLINE("'accessModes':['ReadWriteOnce']," CSI), "n1")), GOOD,
          "spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:\"csi.example.com\", "
          "Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(nil), "
          "InlineVolumeSpec:(*core.PersistentVolumeSpec)(0xc000000000)}, NodeName:\"n1\"}: field is immutable\n");
    /* ValidateVolumeAttachmentV1 runs on create only: a stored attacher
     * that is not a CSI driver name passes an update */
    check(VA(SPEC("csi_driver", PV("pv1"), "n1")), VA(SPEC("csi_driver", PV("pv1"), "n1")), "");
    /* ValidateVolumeAttachment runs twice on update (the strategy, then
     * ValidateVolumeAttachmentUpdate) before the spec check */
    check(VA(SPEC("", PV("pv1"), "n1")), GOOD,
          "spec.attacher: Required value\n"
          "spec.attacher: Required value\n"
          "spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:\"\", "
          "Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), "
          "InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:\"n1\"}: field is immutable\n");
}

static void test_status_shares_rules(void **state)
{
    (void)state;
    /* /status runs the same ValidateUpdate, so a stored inline spec is
     * validated (twice) there too, and the status rules on update */
    const char *bad = VA(SPEC("csi.example.com", INLINE("'accessModes':['ReadWriteOnce']," CSI ",'volumeMode':'Block'"),
                              "n1"));
    check_sub("status", bad, bad,
              IN ".volumeMode: Forbidden: may not specify volumeMode other than Filesystem in the context of inline "
                 "volumes\n" IN ".volumeMode: Forbidden: may not specify volumeMode other than Filesystem in the "
                 "context of inline volumes\n");
    check("{'metadata':{'name':'va'},'spec':" SPEC("csi.example.com", PV("pv1"), "n1")
          ",'status':{'attachError':{'message':'m','errorCode':-1}}}",
          GOOD,
          "status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive\n"
          "status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_valid), cmocka_unit_test(test_create_spec),
        cmocka_unit_test(test_create_v1),    cmocka_unit_test(test_create_inline),
        cmocka_unit_test(test_update),       cmocka_unit_test(test_status_shares_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
