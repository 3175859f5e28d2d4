/* Unit tests for src/auth/node_authz (the Node authorizer) over the SQLite
 * store and the watch cache: node identity, what pods bound to a node let
 * it read (secrets, configmaps, PVCs, PVs and their secrets, tokens,
 * resource claims), the by-name rules for nodes, pods, leases and CSINodes,
 * field selectors, the static system:node rules, reasons, changes seen on
 * the next request; and the NodeRestriction admission plugin
 * (src/admission/noderestriction.c) through the admission chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/admission.h"
#include "auth/node_authz.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"
#include "storage/storage.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_node_authz *na;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-nodeauthz-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->na = kapi_node_authz_new(f->cache, f->reg);
    f->pool = kapi_pool_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_node_authz_free(f->na);
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

/* Writes an object (JSON) of group/resource in ns (NULL = cluster). */
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

static void del(struct fx *f, const char *group, const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, "v1", resource);
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = kapi_registry_key(f->pool, k, ns, name)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
}

/* A pod ns/name on node with spec (JSON members after nodeName) and extra
 * metadata members (may be ""). */
static void pod(struct fx *f, const char *ns, const char *name, const char *node, const char *meta, const char *spec)
{
    put(f, "", "pods", ns, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
                         "\"%s\",\"uid\":\"uid-%s\"%s%s},\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":"
                         "\"c\",\"image\":\"i\"}]%s%s}}",
                         name, ns, name, *meta ? "," : "", meta, node, *spec ? "," : "", spec));
}

static const char *reason;
static bool decided;

static bool can_sel(struct fx *f, const char *user, const char *verb, const char *group, const char *resource,
                    const char *sub, const char *ns, const char *name, const char *fs)
{
    const char *groups[] = {"system:nodes", "system:authenticated"};
    struct kapi_user u = {.name = user, .uid = "", .groups = groups, .ngroups = 2};
    struct kapi_authz_attrs a = {.user = &u, .resource_request = true, .verb = verb, .group = group,
                                 .resource = resource, .subresource = sub, .ns = ns, .name = name};
    bool ok = kapi_node_authorize_sel(f->na, f->pool, &a, fs, &reason, &decided);
    assert_true(ok == decided);
    return ok;
}

static bool can(struct fx *f, const char *verb, const char *group, const char *resource, const char *sub,
                const char *ns, const char *name)
{
    return can_sel(f, "system:node:n1", verb, group, resource, sub, ns, name, NULL);
}

#define NO_RELATION "no relationship found between node 'n1' and this object"

static void test_identity(void **state)
{
    struct fx *f = *state;
    const char *node = NULL;
    const char *g1[] = {"system:nodes"};
    struct kapi_user u = {.name = "system:node:n1", .groups = g1, .ngroups = 1};
    assert_true(kapi_node_identity(&u, &node));
    assert_string_equal(node, "n1");
    u.ngroups = 0; /* not in system:nodes */
    assert_false(kapi_node_identity(&u, NULL));
    u.ngroups = 1;
    u.name = "kubelet";
    assert_false(kapi_node_identity(&u, NULL));

    /* other users: no opinion, no reason */
    const char *g2[] = {"system:masters"};
    struct kapi_user admin = {.name = "admin", .groups = g2, .ngroups = 1};
    struct kapi_authz_attrs a = {.user = &admin, .resource_request = true, .verb = "get", .group = "",
                                 .resource = "secrets", .subresource = "", .ns = "default", .name = "s"};
    assert_false(kapi_node_authorize(f->na, f->pool, &a, &reason, &decided));
    assert_false(decided);
    assert_string_equal(reason, "");
    /* a node without a name */
    assert_false(can_sel(f, "system:node:", "get", "", "nodes", "", "", "x", NULL));
    assert_string_equal(reason, "unknown node for user \"system:node:\"");
    /* non-resource requests: the node rules have none */
    struct kapi_user n = {.name = "system:node:n1", .groups = g1, .ngroups = 1};
    struct kapi_authz_attrs p = {.user = &n, .verb = "get", .path = "/healthz"};
    assert_false(kapi_node_authorize(f->na, f->pool, &p, &reason, &decided));
}

static void test_pod_references(void **state)
{
    struct fx *f = *state;
    /* the generated claim of a template is found through the status */
    put(f, "", "pods", "default", "p1",
                         "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p1\",\"namespace\":"
                         "\"default\"},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"i\","
                         "\"env\":[{\"name\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"envkey\",\"key\":\"k\"}}}]}],"
                         "\"imagePullSecrets\":[{\"name\":\"pull\"}],"
                         "\"initContainers\":[{\"name\":\"i\",\"image\":\"i\",\"envFrom\":[{\"secretRef\":{\"name\":"
                         "\"initenv\"}},{\"configMapRef\":{\"name\":\"cmfrom\"}}]}],"
                         "\"ephemeralContainers\":[{\"name\":\"e\",\"image\":\"i\",\"env\":[{\"name\":\"X\","
                         "\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"cmkey\",\"key\":\"k\"}}}]}],"
                         "\"volumes\":[{\"name\":\"a\",\"secret\":{\"secretName\":\"vol\"}},"
                         "{\"name\":\"b\",\"projected\":{\"sources\":[{\"secret\":{\"name\":\"proj\"}},{\"configMap\":"
                         "{\"name\":\"cmproj\"}}]}},{\"name\":\"c\",\"configMap\":{\"name\":\"cmvol\"}},"
                         "{\"name\":\"d\",\"csi\":{\"driver\":\"x\",\"nodePublishSecretRef\":{\"name\":\"csisec\"}}},"
                         "{\"name\":\"e\",\"persistentVolumeClaim\":{\"claimName\":\"claim\"}},"
                         "{\"name\":\"f\",\"ephemeral\":{\"volumeClaimTemplate\":{\"spec\":{}}}}],"
                         "\"serviceAccountName\":\"runner\",\"resourceClaims\":[{\"name\":\"gpu\","
                         "\"resourceClaimName\":\"rc-direct\"},{\"name\":\"tpl\",\"resourceClaimTemplateName\":\"t\"},"
                         "{\"name\":\"pending\",\"resourceClaimTemplateName\":\"t\"}]},"
                         "\"status\":{\"resourceClaimStatuses\":[{\"name\":\"tpl\",\"resourceClaimName\":"
                         "\"p1-tpl-xyz\"},{\"name\":\"pending\"}]}}");
    static const char *const secrets[] = {"pull", "initenv", "envkey", "vol", "proj", "csisec"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        assert_true(can(f, "get", "", "secrets", "", "default", secrets[i]));
        assert_true(can(f, "watch", "", "secrets", "", "default", secrets[i]));
    }
    static const char *const cms[] = {"cmfrom", "cmkey", "cmproj", "cmvol"};
    for (size_t i = 0; i < sizeof(cms) / sizeof(cms[0]); i++)
        assert_true(can(f, "get", "", "configmaps", "", "default", cms[i]));
    assert_false(can(f, "get", "", "secrets", "", "default", "cmvol")); /* a configmap's name as a secret */
    assert_string_equal(reason, NO_RELATION);
    assert_false(can(f, "get", "", "secrets", "", "other", "vol")); /* same name, other namespace */
    assert_true(can(f, "get", "", "persistentvolumeclaims", "", "default", "claim"));
    assert_true(can(f, "get", "", "persistentvolumeclaims", "", "default", "p1-f")); /* ephemeral */
    assert_true(can(f, "create", "", "serviceaccounts", "token", "default", "runner"));
    assert_false(can(f, "create", "", "serviceaccounts", "token", "default", "default"));
    assert_string_equal(reason, NO_RELATION);
    assert_true(can(f, "get", "resource.k8s.io", "resourceclaims", "", "default", "rc-direct"));
    assert_true(can(f, "get", "resource.k8s.io", "resourceclaims", "", "default", "p1-tpl-xyz"));
    assert_false(can(f, "get", "resource.k8s.io", "resourceclaims", "", "default", "t"));

    /* the same references from a pod of another node grant n1 nothing */
    pod(f, "default", "p2", "n2", "", "\"volumes\":[{\"name\":\"a\",\"secret\":{\"secretName\":\"n2only\"}}]");
    assert_false(can(f, "get", "", "secrets", "", "default", "n2only"));
    assert_true(can_sel(f, "system:node:n2", "get", "", "secrets", "", "default", "n2only", NULL));
    /* nor from a mirror pod, even on n1 */
    pod(f, "default", "mirror", "n1", "\"annotations\":{\"kubernetes.io/config.mirror\":\"x\"}",
        "\"volumes\":[{\"name\":\"a\",\"secret\":{\"secretName\":\"viamirror\"}}]");
    assert_false(can(f, "get", "", "secrets", "", "default", "viamirror"));
    assert_true(can(f, "get", "", "pods", "", "default", "mirror")); /* the mirror pod itself */

    /* changes are seen by the next request */
    del(f, "", "pods", "default", "p1");
    assert_false(can(f, "get", "", "secrets", "", "default", "vol"));
    assert_string_equal(reason, NO_RELATION);
}

static void test_verbs_and_reasons(void **state)
{
    struct fx *f = *state;
    pod(f, "default", "p1", "n1", "", "\"volumes\":[{\"name\":\"a\",\"secret\":{\"secretName\":\"s\"}}]");
    assert_false(can(f, "delete", "", "secrets", "", "default", "s"));
    assert_string_equal(reason, "can only read resources of this type");
    assert_false(can(f, "get", "", "secrets", "x", "default", "s"));
    assert_string_equal(reason, "cannot read subresource");
    assert_false(can(f, "list", "", "secrets", "", "", ""));
    assert_string_equal(reason, "can only read namespaced object of this type");
    assert_false(can(f, "list", "", "secrets", "", "default", ""));
    assert_string_equal(reason, "No Object name found");
    /* a list of one name by field selector */
    assert_true(can_sel(f, "system:node:n1", "list", "", "secrets", "", "default", "", "metadata.name=s"));
    assert_false(can_sel(f, "system:node:n1", "list", "", "secrets", "", "default", "", "metadata.name=t"));
    assert_string_equal(reason, NO_RELATION);
    assert_false(can(f, "list", "", "persistentvolumes", "", "", ""));
    assert_string_equal(reason, "can only get individual resources of this type");
    assert_false(can(f, "get", "", "persistentvolumes", "status", "", "pv"));
    assert_string_equal(reason, "cannot get subresource");
    assert_false(can(f, "get", "", "persistentvolumeclaims", "status", "default", "c"));
    assert_string_equal(reason, "can only get/update/patch this type");
    assert_false(can(f, "create", "", "serviceaccounts", "", "default", "x"));
    assert_string_equal(reason, "can only create token subresource of serviceaccount");
    assert_false(can(f, "create", "", "serviceaccounts", "token", "default", ""));
    assert_string_equal(reason, "can only create tokens for individual service accounts");
}

static void test_volumes(void **state)
{
    struct fx *f = *state;
    pod(f, "ns1", "p", "n1", "", "\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]");
    put(f, "", "persistentvolumes", NULL, "pv1",
        "{\"kind\":\"PersistentVolume\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"pv1\"},\"spec\":{"
        "\"claimRef\":{\"namespace\":\"ns1\",\"name\":\"data\"},\"csi\":{\"driver\":\"d\",\"volumeHandle\":\"h\","
        "\"nodeStageSecretRef\":{\"namespace\":\"sec\",\"name\":\"stage\"},"
        "\"controllerPublishSecretRef\":{\"namespace\":\"sec\",\"name\":\"ctl\"}}}}");
    put(f, "", "persistentvolumes", NULL, "pv2",
        "{\"kind\":\"PersistentVolume\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"pv2\"},\"spec\":{"
        "\"claimRef\":{\"namespace\":\"ns1\",\"name\":\"data\"},\"rbd\":{\"monitors\":[\"m\"],\"image\":\"i\","
        "\"secretRef\":{\"name\":\"rbdsec\"}}}}");
    put(f, "", "persistentvolumes", NULL, "pv3",
        "{\"kind\":\"PersistentVolume\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"pv3\"},\"spec\":{"
        "\"claimRef\":{\"namespace\":\"ns1\",\"name\":\"unused\"},\"rbd\":{\"monitors\":[\"m\"],\"image\":\"i\","
        "\"secretRef\":{\"name\":\"rbd3\"}}}}");
    assert_true(can(f, "get", "", "persistentvolumes", "", "", "pv1"));
    assert_true(can(f, "get", "", "persistentvolumes", "", "", "pv2"));
    assert_false(can(f, "get", "", "persistentvolumes", "", "", "pv3"));
    assert_string_equal(reason, NO_RELATION);
    assert_false(can(f, "get", "", "persistentvolumes", "", "", "missing"));
    assert_true(can(f, "get", "", "secrets", "", "sec", "stage"));
    assert_false(can(f, "get", "", "secrets", "", "sec", "ctl")); /* controller-side secret */
    assert_true(can(f, "get", "", "secrets", "", "ns1", "rbdsec")); /* claim's namespace when none given */
    assert_false(can(f, "get", "", "secrets", "", "ns1", "rbd3"));
    /* PVC status updates */
    assert_true(can(f, "patch", "", "persistentvolumeclaims", "status", "ns1", "data"));
    assert_false(can(f, "update", "", "persistentvolumeclaims", "status", "ns1", "other"));
    /* volume attachments by spec.nodeName */
    put(f, "storage.k8s.io", "volumeattachments", NULL, "va1",
        "{\"kind\":\"VolumeAttachment\",\"apiVersion\":\"storage.k8s.io/v1\",\"metadata\":{\"name\":\"va1\"},"
        "\"spec\":{\"attacher\":\"a\",\"nodeName\":\"n1\",\"source\":{\"persistentVolumeName\":\"pv1\"}}}");
    assert_true(can(f, "get", "storage.k8s.io", "volumeattachments", "", "", "va1"));
    assert_false(can_sel(f, "system:node:n2", "get", "storage.k8s.io", "volumeattachments", "", "", "va1", NULL));
    assert_string_equal(reason, "no relationship found between node 'n2' and this object");
}

static void test_nodes_pods_leases(void **state)
{
    struct fx *f = *state;
    pod(f, "default", "mine", "n1", "", "");
    pod(f, "default", "theirs", "n2", "", "");
    /* nodes */
    assert_true(can(f, "get", "", "nodes", "", "", "n1"));
    assert_false(can(f, "get", "", "nodes", "", "", "n2"));
    assert_string_equal(reason, "node 'n1' cannot read 'n2', only its own Node object");
    assert_false(can(f, "list", "", "nodes", "", "", ""));
    assert_string_equal(reason, "node 'n1' cannot read all nodes, only its own Node object");
    assert_true(can_sel(f, "system:node:n1", "watch", "", "nodes", "", "", "", "metadata.name=n1"));
    assert_true(can(f, "create", "", "nodes", "", "", ""));
    assert_true(can(f, "patch", "", "nodes", "", "", "n2")); /* NodeRestriction's job */
    assert_true(can(f, "update", "", "nodes", "status", "", "n1"));
    assert_false(can(f, "delete", "", "nodes", "", "", "n1"));
    assert_string_equal(reason, "");
    /* pods */
    assert_true(can(f, "get", "", "pods", "", "default", "mine"));
    assert_false(can(f, "get", "", "pods", "", "default", "theirs"));
    assert_string_equal(reason, NO_RELATION);
    assert_true(can_sel(f, "system:node:n1", "list", "", "pods", "", "", "", "spec.nodeName=n1"));
    assert_true(can_sel(f, "system:node:n1", "watch", "", "pods", "", "", "", "spec.nodeName==n1,status.phase!=x"));
    assert_false(can_sel(f, "system:node:n1", "list", "", "pods", "", "", "", "spec.nodeName=n2"));
    assert_string_equal(reason, "can only list/watch pods with spec.nodeName field selector");
    assert_false(can_sel(f, "system:node:n1", "list", "", "pods", "", "", "", "spec.nodeName!=n1"));
    assert_true(can_sel(f, "system:node:n1", "list", "", "pods", "", "default", "", "metadata.name=mine"));
    assert_true(can(f, "create", "", "pods", "", "default", ""));
    assert_true(can(f, "delete", "", "pods", "", "default", "theirs"));
    assert_true(can(f, "patch", "", "pods", "status", "default", "theirs"));
    assert_true(can(f, "create", "", "pods", "eviction", "default", "mine"));
    assert_false(can(f, "get", "", "pods", "log", "default", "mine"));
    assert_string_equal(reason, "");
    assert_false(can(f, "update", "", "pods", "", "default", "mine"));
    /* leases */
    assert_true(can(f, "create", "coordination.k8s.io", "leases", "", "kube-node-lease", ""));
    assert_true(can(f, "update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n1"));
    assert_false(can(f, "get", "coordination.k8s.io", "leases", "", "kube-node-lease", "n2"));
    assert_string_equal(reason, "can only access node lease with the same name as the requesting node");
    assert_false(can(f, "get", "coordination.k8s.io", "leases", "", "default", "n1"));
    assert_string_equal(reason, "can only access leases in the \"kube-node-lease\" system namespace");
    assert_false(can(f, "list", "coordination.k8s.io", "leases", "", "kube-node-lease", ""));
    assert_string_equal(reason, "can only get, create, update, patch, or delete a node lease");
    /* CSINodes */
    assert_true(can(f, "get", "storage.k8s.io", "csinodes", "", "", "n1"));
    assert_false(can(f, "get", "storage.k8s.io", "csinodes", "", "", "n2"));
    assert_string_equal(reason, "can only access CSINode with the same name as the requesting node");
    assert_false(can(f, "watch", "storage.k8s.io", "csinodes", "", "", "n1"));
    assert_string_equal(reason, "can only get, create, update, patch, or delete a CSINode");
    /* resource slices */
    assert_true(can(f, "create", "resource.k8s.io", "resourceslices", "", "", ""));
    assert_true(can_sel(f, "system:node:n1", "list", "resource.k8s.io", "resourceslices", "", "", "",
                        "spec.nodeName=n1"));
    assert_false(can(f, "list", "resource.k8s.io", "resourceslices", "", "", ""));
    assert_string_equal(reason, "can only list/watch/deletecollection resourceslices with nodeName field selector");
}

static void test_static_rules(void **state)
{
    struct fx *f = *state;
    assert_true(can(f, "list", "", "services", "", "", ""));
    assert_true(can(f, "create", "", "events", "", "default", ""));
    assert_true(can(f, "get", "", "endpoints", "", "default", "x"));
    assert_true(can(f, "create", "authentication.k8s.io", "tokenreviews", "", "", ""));
    assert_true(can(f, "watch", "certificates.k8s.io", "certificatesigningrequests", "", "", ""));
    assert_true(can(f, "list", "node.k8s.io", "runtimeclasses", "", "", ""));
    assert_true(can(f, "get", "storage.k8s.io", "csidrivers", "", "", "d"));
    assert_false(can(f, "delete", "", "events", "", "default", "e"));
    assert_string_equal(reason, "");
    assert_false(can(f, "get", "", "namespaces", "", "", "default"));
    assert_false(can(f, "list", "apps", "deployments", "", "", ""));
    /* the order setting is kept for the request pipeline */
    assert_false(kapi_node_authz_after_rbac(f->na));
    kapi_node_authz_set_order(f->na, true, false);
    assert_true(kapi_node_authz_after_rbac(f->na));
    assert_false(kapi_node_authz_alone(f->na));
}

/* ---- NodeRestriction ---- */

static struct kapi_value *parse(struct fx *f, const char *json)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(f->pool, json, strlen(json), NULL, &err);
    assert_non_null(v);
    return v;
}

static const char *admit(struct fx *f, struct kapi_admission *adm, const char *group, const char *resource,
                         const char *sub, const char *ns, const char *obj, const char *old)
{
    const char *groups[] = {"system:nodes", "system:authenticated"};
    struct kapi_user u = {.name = "system:node:n1", .uid = "", .groups = groups, .ngroups = 2};
    struct kapi_status *st = NULL;
    if (kapi_admission_mutate(adm, f->pool, group, resource, sub, ns, parse(f, obj), old ? parse(f, old) : NULL,
                              &u, false, &st) == 0)
        return NULL;
    assert_non_null(st);
    return st->message;
}

static void test_node_restriction(void **state)
{
    struct fx *f = *state;
    struct kapi_admission *adm = kapi_admission_new(f->cache, f->reg, "NodeRestriction", "ServiceAccount,LimitRanger,Priority");
    assert_true(kapi_admission_enabled(adm, "NodeRestriction"));
    const char *n1 = "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"kubernetes.io/hostname\":\"n1\"}}}";
    put(f, "", "nodes", NULL, "n1",
        "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\",\"uid\":\"node-uid\"}}");
    /* its own node with kubelet labels */
    assert_null(admit(f, adm, "", "nodes", "", "", n1, NULL));
    assert_null(admit(f, adm, "", "nodes", "status", "",
                      "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"kubernetes.io/hostname\":\"n1\","
                      "\"x.node.kubernetes.io/a\":\"b\",\"example.com/c\":\"d\"}}}",
                      n1));
    assert_string_equal(admit(f, adm, "", "nodes", "status", "", "{\"metadata\":{\"name\":\"n2\"}}",
                              "{\"metadata\":{\"name\":\"n2\"}}"),
                        "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
    assert_string_equal(admit(f, adm, "", "nodes", "", "",
                              "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"node-restriction.kubernetes.io/a\":\"b\","
                              "\"kubernetes.io/role\":\"x\"}}}",
                              NULL),
                        "nodes \"n1\" is forbidden: node \"n1\" is not allowed to set the following labels: "
                        "kubernetes.io/role, node-restriction.kubernetes.io/a");
    /* removing a forbidden label is a modification too */
    assert_string_equal(admit(f, adm, "", "nodes", "", "", "{\"metadata\":{\"name\":\"n1\"}}",
                              "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"a.node-restriction.kubernetes.io/x\":\"y\"}}}"),
                        "nodes \"n1\" is forbidden: is not allowed to modify labels: a.node-restriction.kubernetes.io/x");
    assert_string_equal(admit(f, adm, "", "nodes", "", "",
                              "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"taints\":[{\"key\":\"k\",\"effect\":"
                              "\"NoSchedule\"}]}}",
                              "{\"metadata\":{\"name\":\"n1\"},\"spec\":{}}"),
                        "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify taints");
    assert_null(admit(f, adm, "", "nodes", "", "", "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"taints\":[]}}",
                      "{\"metadata\":{\"name\":\"n1\"},\"spec\":{}}"));

    /* mirror pods */
    const char *plain = "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n1\"}}";
    assert_string_equal(admit(f, adm, "", "pods", "", "default", plain, NULL),
                        "pods \"p\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node "
                        "\"n1\" can only create mirror pods");
    const char *owner = "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"n1\",\"uid\":"
                        "\"node-uid\",\"controller\":true}]";
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"m\",\"annotations\":{\"kubernetes.io/config.mirror\":\"h\"},%s},"
             "\"spec\":{\"nodeName\":\"n1\"}}",
             owner);
    assert_null(admit(f, adm, "", "pods", "", "default", buf, NULL));
    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"m\",\"annotations\":{\"kubernetes.io/config.mirror\":\"h\"},%s},"
             "\"spec\":{\"nodeName\":\"n1\",\"volumes\":[{\"name\":\"v\",\"secret\":{\"secretName\":\"s\"}}]}}",
             owner);
    assert_string_equal(admit(f, adm, "", "pods", "", "default", buf, NULL),
                        "pods \"m\" is forbidden: node \"n1\" can not create pods that reference secrets");
    assert_string_equal(admit(f, adm, "", "pods", "", "default",
                              "{\"metadata\":{\"name\":\"m\",\"annotations\":{\"kubernetes.io/config.mirror\":\"h\"}},"
                              "\"spec\":{\"nodeName\":\"n2\"}}",
                              NULL),
                        "pods \"m\" is forbidden: node \"n1\" can only create pods with spec.nodeName set to itself");
    assert_string_equal(admit(f, adm, "", "pods", "", "default",
                              "{\"metadata\":{\"name\":\"m\",\"annotations\":{\"kubernetes.io/config.mirror\":\"h\"}},"
                              "\"spec\":{\"nodeName\":\"n1\"}}",
                              NULL),
                        "pods \"m\" is forbidden: node \"n1\" can only create pods with an owner reference set to "
                        "itself");
    /* pod status */
    const char *mine = "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"nodeName\":\"n1\"}}";
    assert_null(admit(f, adm, "", "pods", "status", "default", mine, mine));
    assert_string_equal(admit(f, adm, "", "pods", "status", "default",
                              "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n1\"}}", mine),
                        "pods \"p\" is forbidden: node \"n1\" cannot update labels through pod status");
    assert_string_equal(admit(f, adm, "", "pods", "status", "default",
                              "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"nodeName\":\"n2\"}}",
                              "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"nodeName\":\"n2\"}}"),
                        "pods \"q\" is forbidden: node \"n1\" can only update pod status for pods with spec.nodeName "
                        "set to itself");
    assert_string_equal(admit(f, adm, "", "pods", "", "default", mine, mine),
                        "pods \"p\" is forbidden: unexpected operation \"UPDATE\", node \"n1\" can only create and "
                        "delete mirror pods");
    /* PVCs: status only, and only capacity/conditions */
    const char *pvc = "{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"5\"},\"status\":{\"phase\":\"Bound\"}}";
    assert_null(admit(f, adm, "", "persistentvolumeclaims", "status", "default",
                      "{\"metadata\":{\"name\":\"c\"},\"status\":{\"phase\":\"Bound\",\"capacity\":{\"storage\":"
                      "\"2Gi\"}}}",
                      pvc));
    const char *msg = admit(f, adm, "", "persistentvolumeclaims", "status", "default",
                            "{\"metadata\":{\"name\":\"c\"},\"status\":{\"phase\":\"Lost\"}}", pvc);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "persistentvolumeclaims \"c\" is forbidden: node \"n1\" is not allowed to update "
                                "fields other than status.capacity and status.conditions: "));
    assert_string_equal(admit(f, adm, "", "persistentvolumeclaims", "", "default", pvc, pvc),
                        "persistentvolumeclaims \"c\" is forbidden: may only update PVC status");
    /* leases and CSINodes */
    assert_null(admit(f, adm, "coordination.k8s.io", "leases", "", "kube-node-lease",
                      "{\"metadata\":{\"name\":\"n1\"}}", NULL));
    assert_string_equal(admit(f, adm, "coordination.k8s.io", "leases", "", "kube-node-lease",
                              "{\"metadata\":{\"name\":\"n2\"}}", NULL),
                        "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the same "
                        "name as the requesting node");
    assert_string_equal(admit(f, adm, "storage.k8s.io", "csinodes", "", "", "{\"metadata\":{\"name\":\"n2\"}}", NULL),
                        "csinodes.storage.k8s.io \"n2\" is forbidden: can only access CSINode with the same name as "
                        "the requesting node");
    /* other users pass */
    const char *groups[] = {"system:masters"};
    struct kapi_user admin = {.name = "admin", .uid = "", .groups = groups, .ngroups = 1};
    struct kapi_status *st = NULL;
    assert_int_equal(kapi_admission_mutate(adm, f->pool, "", "nodes", "", "", parse(f, "{\"metadata\":{\"name\":"
                                                                                      "\"n2\"}}"),
                                           NULL, &admin, false, &st),
                     0);
    kapi_admission_free(adm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verbs_and_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodes_pods_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_restriction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
