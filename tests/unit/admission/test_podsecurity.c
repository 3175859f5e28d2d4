/* Unit tests for the PodSecurity admission plugin (src/admission/podsecurity.c)
 * run through the admission chain over the SQLite store, the watch cache and
 * the registry: every baseline and restricted check with upstream's texts and
 * order, policy versions, enforce against warn, workloads with pod
 * templates, pod updates and ephemeral containers, namespace label
 * validation and the warnings about existing pods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission/admission.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_admission *adm;
    struct kapi_pool *pool;
    const char *warnings[16];
    size_t nwarnings;
    int seq;
};

static void write_json(struct fx *f, const char *key, const char *json)
{
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
}

/* A namespace with labels (a JSON object's members, "" for none). */
static void put_ns(struct fx *f, const char *name, const char *labels)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "", "v1", "namespaces");
    assert_non_null(k);
    write_json(f, kapi_registry_key(f->pool, k, NULL, name),
               kapi_pool_printf(f->pool,
                                "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                "\"uid\":\"u-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"labels\":{%s}},"
                                "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}",
                                name, name, labels));
}

static void put_pod(struct fx *f, const char *ns, const char *name, const char *spec, const char *meta_extra)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "", "v1", "pods");
    assert_non_null(k);
    write_json(f, kapi_registry_key(f->pool, k, ns, name),
               kapi_pool_printf(f->pool,
                                "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                "\"namespace\":\"%s\",\"uid\":\"u-%s-%d\",\"creationTimestamp\":"
                                "\"2026-01-01T00:00:00Z\"%s},\"spec\":%s}",
                                name, ns, name, ++f->seq, meta_extra ? meta_extra : "", spec));
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-psa-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    /* ServiceAccount would want an account in every namespace; PodSecurity
     * is on by default. */
    f->adm = kapi_admission_new(f->cache, f->reg, NULL, "ServiceAccount");
    assert_true(kapi_admission_enabled(f->adm, "PodSecurity"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_admission_free(f->adm);
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

/* Pod "x" in ns with the given spec (JSON object) after defaulting. */
static struct kapi_value *pod(struct fx *f, const char *ns, const char *spec, const char *meta_extra)
{
    struct kapi_value *p = parse(
        f, kapi_pool_printf(f->pool,
                            "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"namespace\":\"%s\""
                            "%s},\"spec\":%s}",
                            ns, meta_extra ? meta_extra : "", spec));
    kapi_defaults_apply(f->pool, "", "v1", "Pod", p);
    return p;
}

static void collect_warning(void *ctx, const char *msg)
{
    struct fx *f = ctx;
    if (f->nwarnings < 16)
        f->warnings[f->nwarnings++] = kapi_pool_strdup(f->pool, msg);
}

static int admit_res(struct fx *f, const char *group, const char *resource, const char *sub, const char *ns,
                     struct kapi_value *obj, const struct kapi_value *old, struct kapi_status **st)
{
    *st = NULL;
    f->nwarnings = 0;
    struct kapi_admission_opts o = {.warn = collect_warning, .warn_ctx = f};
    return kapi_admission_admit_ex(f->adm, f->pool, group, resource, sub, ns, obj, old, NULL, false, &o, st);
}

static int admit(struct fx *f, const char *ns, struct kapi_value *obj, struct kapi_status **st)
{
    return admit_res(f, "", "pods", "", ns, obj, NULL, st);
}

static void assert_forbidden(struct kapi_status *st, const char *message)
{
    assert_non_null(st);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");
    assert_string_equal(st->message, message);
}

/* Expects pod spec to be refused in ns with `pods "x" is forbidden: <msg>`. */
static void expect_refused(struct fx *f, const char *ns, const char *spec, const char *meta, const char *msg)
{
    struct kapi_status *st;
    assert_int_equal(admit(f, ns, pod(f, ns, spec, meta), &st), -1);
    assert_forbidden(st, kapi_pool_printf(f->pool, "pods \"x\" is forbidden: %s", msg));
    assert_int_equal(f->nwarnings, 0);
}

static void expect_admitted(struct fx *f, const char *ns, const char *spec, const char *meta)
{
    struct kapi_status *st;
    assert_int_equal(admit(f, ns, pod(f, ns, spec, meta), &st), 0);
    assert_null(st);
}

#define GOOD_SC                                                                                                  \
    "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]},\"runAsNonRoot\":" \
    "true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}"
#define GOOD_C "{\"name\":\"c\",\"image\":\"nginx\"," GOOD_SC "}"
#define PLAIN "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}"

#define RESTRICTED_PLAIN                                                                                         \
    "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), " \
    "unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), "          \
    "runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), seccompProfile "   \
    "(pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"

#define PS "pod-security.kubernetes.io/"

static void test_unlabelled_namespace_is_privileged(void **state)
{
    struct fx *f = *state;
    put_ns(f, "kube-system", "");
    put_ns(f, "open", "\"team\":\"a\"");
    const char *spec = "{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
                       "\"securityContext\":{\"privileged\":true}}]}";
    expect_admitted(f, "kube-system", spec, NULL);
    assert_int_equal(f->nwarnings, 0);
    expect_admitted(f, "open", spec, NULL);
    assert_int_equal(f->nwarnings, 0);
    /* an explicit privileged level too */
    put_ns(f, "priv", "\"" PS "enforce\":\"privileged\",\"" PS "warn\":\"privileged\"");
    expect_admitted(f, "priv", spec, NULL);
    assert_int_equal(f->nwarnings, 0);
}

static void test_baseline_checks_in_order(void **state)
{
    struct fx *f = *state;
    put_ns(f, "b", "\"" PS "enforce\":\"baseline\"");
    expect_admitted(f, "b", PLAIN, NULL);
    expect_refused(
        f, "b",
        "{\"hostNetwork\":true,\"hostPID\":true,\"hostIPC\":true,"
        "\"securityContext\":{\"sysctls\":[{\"name\":\"net.core.somaxconn\",\"value\":\"1\"},{\"name\":"
        "\"kernel.shm_rmid_forced\",\"value\":\"1\"},{\"name\":\"kernel.msgmax\",\"value\":\"1\"}]},"
        "\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}},{\"name\":\"e\",\"emptyDir\":{}}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":8080,\"hostPort\":8080},"
        "{\"containerPort\":80,\"hostPort\":80}],\"securityContext\":{\"privileged\":true,\"capabilities\":{\"add\":"
        "[\"SYS_ADMIN\",\"CHOWN\",\"NET_RAW\"]},\"procMount\":\"Unmasked\",\"seLinuxOptions\":{\"type\":\"spc_t\","
        "\"user\":\"u\"},\"appArmorProfile\":{\"type\":\"Unconfined\"},\"seccompProfile\":{\"type\":\"Unconfined\"},"
        "\"windowsOptions\":{\"hostProcess\":true}}}]}",
        NULL,
        "violates PodSecurity \"baseline:latest\": forbidden AppArmor profile (container \"c\" must not set AppArmor "
        "profile type to \"Unconfined\"), non-default capabilities (container \"c\" must not include \"NET_RAW\", "
        "\"SYS_ADMIN\" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true, "
        "hostIPC=true), hostPath volumes (volume \"h\"), hostPort (container \"c\" uses hostPorts 80, 8080), "
        "privileged (container \"c\" must not set securityContext.privileged=true), procMount (container \"c\" must "
        "not set securityContext.procMount to \"Unmasked\"), seLinuxOptions (container \"c\" set forbidden "
        "securityContext.seLinuxOptions: type \"spc_t\"; user may not be set), seccompProfile (container \"c\" must "
        "not set securityContext.seccompProfile.type to \"Unconfined\"), forbidden sysctls (net.core.somaxconn, "
        "kernel.msgmax), hostProcess (container \"c\" must not set securityContext.windowsOptions.hostProcess=true)");

    /* pod-level settings, several containers, init and ephemeral ones */
    expect_refused(
        f, "b",
        "{\"securityContext\":{\"seLinuxOptions\":{\"role\":\"r\"},\"appArmorProfile\":{\"type\":\"Unconfined\"},"
        "\"seccompProfile\":{\"type\":\"Unconfined\"},\"windowsOptions\":{\"hostProcess\":true}},"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox\",\"securityContext\":{\"privileged\":true}}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"nginx\",\"securityContext\":{\"privileged\":true,"
        "\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"p.json\"}}},{\"name\":\"b\",\"image\":"
        "\"nginx\",\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}}}],\"ephemeralContainers\":[{"
        "\"name\":\"d\",\"image\":\"busybox\",\"securityContext\":{\"privileged\":true}}]}",
        ",\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/b\":\"unconfined\","
        "\"container.apparmor.security.beta.kubernetes.io/a\":\"localhost/p\"}",
        "violates PodSecurity \"baseline:latest\": forbidden AppArmor profiles (pod and annotation must not set "
        "AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/b=\"unconfined\"\"), "
        "privileged (containers \"i\", \"a\", \"d\" must not set securityContext.privileged=true), seLinuxOptions "
        "(pod set forbidden securityContext.seLinuxOptions: role may not be set), seccompProfile (pod must not set "
        "securityContext.seccompProfile.type to \"Unconfined\"), hostProcess (pod and container \"b\" must not set "
        "securityContext.windowsOptions.hostProcess=true)");

    /* allowed values */
    expect_admitted(f, "b",
                    "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.tcp_rmem\",\"value\":\"1 2 3\"}],"
                    "\"seLinuxOptions\":{\"type\":\"container_engine_t\"},\"seccompProfile\":{\"type\":"
                    "\"RuntimeDefault\"},\"appArmorProfile\":{\"type\":\"RuntimeDefault\"}},\"volumes\":[{\"name\":"
                    "\"n\",\"nfs\":{\"server\":\"s\",\"path\":\"/\"}}],\"containers\":[{\"name\":\"c\",\"image\":"
                    "\"nginx\",\"securityContext\":{\"privileged\":false,\"capabilities\":{\"add\":[\"CHOWN\","
                    "\"NET_BIND_SERVICE\"]},\"procMount\":\"Default\"}}]}",
                    ",\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/c\":\"runtime/default\"}");
    assert_int_equal(f->nwarnings, 0);
}

static void test_restricted_checks(void **state)
{
    struct fx *f = *state;
    put_ns(f, "r", "\"" PS "enforce\":\"restricted\"");
    expect_refused(f, "r", PLAIN, NULL, "violates PodSecurity \"restricted:latest\": " RESTRICTED_PLAIN);
    expect_admitted(f, "r", "{\"containers\":[" GOOD_C "]}", NULL);
    /* pod-level runAsNonRoot and seccompProfile cover the containers */
    expect_admitted(f, "r",
                    "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"Localhost\","
                    "\"localhostProfile\":\"p\"}},\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"s\"}},"
                    "{\"name\":\"p\",\"persistentVolumeClaim\":{\"claimName\":\"c\"}}],\"containers\":[{\"name\":"
                    "\"c\",\"image\":\"nginx\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
                    "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\"]}}}]}",
                    NULL);

    /* explicit bad values; hostPath is reported as a restricted volume
     * type only; capability adds by the restricted rule */
    expect_refused(
        f, "r",
        "{\"securityContext\":{\"runAsNonRoot\":false,\"runAsUser\":0,\"seccompProfile\":{\"type\":\"Unconfined\"}},"
        "\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}},{\"name\":\"n\",\"nfs\":{\"server\":\"s\","
        "\"path\":\"/\"}},{\"name\":\"c\",\"configMap\":{\"name\":\"c\"}}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"nginx\",\"securityContext\":{\"allowPrivilegeEscalation\":true,"
        "\"runAsUser\":0,\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"CHOWN\",\"NET_BIND_SERVICE\"]}}},"
        "{\"name\":\"b\",\"image\":\"nginx\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
        "\"runAsNonRoot\":false,\"capabilities\":{\"add\":[\"SYS_ADMIN\"]}}}]}",
        NULL,
        "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"a\" "
        "must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"b\" must "
        "set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\" must not include \"CHOWN\", "
        "\"SYS_ADMIN\" in securityContext.capabilities.add), restricted volume types (volumes \"h\", \"n\" use "
        "restricted volume types \"hostPath\", \"nfs\"), runAsNonRoot != true (pod and container \"b\" must not set "
        "securityContext.runAsNonRoot=false), runAsUser=0 (pod and container \"a\" must not set runAsUser=0), "
        "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")");
}

static void test_restricted_windows_and_volume_names(void **state)
{
    struct fx *f = *state;
    put_ns(f, "r", "\"" PS "enforce\":\"restricted\"");
    /* Windows pods skip allowPrivilegeEscalation, capabilities and seccomp */
    expect_refused(f, "r", "{\"os\":{\"name\":\"windows\"},\"containers\":[{\"name\":\"c\",\"image\":\"w\"}]}", NULL,
                   "violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"c\" must "
                   "set securityContext.runAsNonRoot=true)");
    expect_refused(f, "r",
                   "{\"os\":{\"name\":\"windows\"},\"securityContext\":{\"runAsNonRoot\":true},\"volumes\":[{\"name\":"
                   "\"g\",\"gitRepo\":{\"repository\":\"r\"}}],\"containers\":[{\"name\":\"c\",\"image\":\"w\"}]}",
                   NULL,
                   "violates PodSecurity \"restricted:latest\": restricted volume types (volume \"g\" uses restricted "
                   "volume type \"gitRepo\")");
    /* ...but not on restricted:v1.24 */
    put_ns(f, "r24", "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.24\"");
    expect_refused(f, "r24", "{\"os\":{\"name\":\"windows\"},\"containers\":[{\"name\":\"c\",\"image\":\"w\"}]}", NULL,
                   "violates PodSecurity \"restricted:v1.24\": " RESTRICTED_PLAIN);
}

static void test_policy_versions(void **state)
{
    struct fx *f = *state;
    put_ns(f, "v18", "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.18\"");
    expect_refused(f, "v18", PLAIN, NULL,
                   "violates PodSecurity \"restricted:v1.18\": allowPrivilegeEscalation != false (container \"c\" "
                   "must set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "
                   "\"c\" must set securityContext.runAsNonRoot=true)");
    /* before v1.19 seccomp is judged by the alpha annotations */
    expect_refused(f, "v18",
                   "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"Unconfined\"}},"
                   "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":{"
                   "\"allowPrivilegeEscalation\":false,\"capabilities\":{\"add\":[\"NET_RAW\"]}}}]}",
                   ",\"annotations\":{\"seccomp.security.alpha.kubernetes.io/pod\":\"unconfined\","
                   "\"container.seccomp.security.alpha.kubernetes.io/c\":\"docker/default\"}",
                   "violates PodSecurity \"restricted:v1.18\": non-default capabilities (container \"c\" must not "
                   "include \"NET_RAW\" in securityContext.capabilities.add), seccompProfile (forbidden annotation "
                   "seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")");
    put_ns(f, "v7", "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.7\"");
    expect_refused(f, "v7", PLAIN, NULL,
                   "violates PodSecurity \"restricted:v1.7\": runAsNonRoot != true (pod or container \"c\" must set "
                   "securityContext.runAsNonRoot=true)");
    put_ns(f, "v22", "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.22\"");
    /* runAsUser=0 is refused from v1.23 */
    const char *root = "{\"securityContext\":{\"runAsUser\":0},\"containers\":[" GOOD_C "]}";
    expect_admitted(f, "v22", root, NULL);
    put_ns(f, "v23", "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.23\"");
    expect_refused(f, "v23", root, NULL,
                   "violates PodSecurity \"restricted:v1.23\": runAsUser=0 (pod must not set runAsUser=0)");
}

static void test_policy_versions_sysctls_selinux(void **state)
{
    struct fx *f = *state;
    const char *reserved = "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.ip_local_reserved_ports\","
                           "\"value\":\"1\"}]},\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}";
    const char *rmem = "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.tcp_rmem\",\"value\":\"1\"},"
                       "{\"name\":\"net.ipv4.tcp_keepalive_time\",\"value\":\"1\"}]},\"containers\":[{\"name\":\"c\","
                       "\"image\":\"nginx\"}]}";
    const char *engine = "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":{"
                         "\"seLinuxOptions\":{\"type\":\"container_engine_t\"}}}]}";
    put_ns(f, "b26", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.26\"");
    expect_refused(f, "b26", reserved, NULL,
                   "violates PodSecurity \"baseline:v1.26\": forbidden sysctls (net.ipv4.ip_local_reserved_ports)");
    put_ns(f, "b27", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.27\"");
    expect_admitted(f, "b27", reserved, NULL);
    expect_refused(f, "b27", rmem, NULL,
                   "violates PodSecurity \"baseline:v1.27\": forbidden sysctls (net.ipv4.tcp_rmem, "
                   "net.ipv4.tcp_keepalive_time)");
    put_ns(f, "b31", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.31\"");
    expect_refused(f, "b31", rmem, NULL, "violates PodSecurity \"baseline:v1.31\": forbidden sysctls (net.ipv4.tcp_rmem)");
    expect_admitted(f, "b31", engine, NULL);
    put_ns(f, "b30", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.30\"");
    expect_refused(f, "b30", engine, NULL,
                   "violates PodSecurity \"baseline:v1.30\": seLinuxOptions (container \"c\" set forbidden "
                   "securityContext.seLinuxOptions: type \"container_engine_t\")");
    /* versions past the newest policy evaluate as latest, under their own name */
    put_ns(f, "b99", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.99\"");
    expect_admitted(f, "b99", rmem, NULL);
    expect_refused(f, "b99", "{\"hostPID\":true,\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}", NULL,
                   "violates PodSecurity \"baseline:v1.99\": host namespaces (hostPID=true)");
}

static void test_warn_and_enforce(void **state)
{
    struct fx *f = *state;
    put_ns(f, "w", "\"" PS "warn\":\"restricted\"");
    expect_admitted(f, "w", PLAIN, NULL);
    assert_int_equal(f->nwarnings, 1);
    assert_string_equal(f->warnings[0], "would violate PodSecurity \"restricted:latest\": " RESTRICTED_PLAIN);
    expect_admitted(f, "w", "{\"containers\":[" GOOD_C "]}", NULL);
    assert_int_equal(f->nwarnings, 0);

    /* a refusal carries no warning; an admitted pod warns at the warn level */
    put_ns(f, "bw", "\"" PS "enforce\":\"baseline\",\"" PS "warn\":\"restricted\",\"" PS "warn-version\":\"v1.22\","
                    "\"" PS "audit\":\"restricted\"");
    expect_refused(f, "bw",
                   "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":{\"privileged\":true}}]}",
                   NULL,
                   "violates PodSecurity \"baseline:latest\": privileged (container \"c\" must not set "
                   "securityContext.privileged=true)");
    expect_admitted(f, "bw", "{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"c\","
                             "\"image\":\"nginx\"}]}",
                    NULL);
    assert_int_equal(f->nwarnings, 1);
    assert_string_equal(f->warnings[0],
                        "would violate PodSecurity \"restricted:v1.22\": allowPrivilegeEscalation != false (container "
                        "\"c\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
                        "(container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), seccompProfile (pod or "
                        "container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
                        "\"Localhost\")");
}

static void test_pod_updates_and_ephemeral_containers(void **state)
{
    struct fx *f = *state;
    put_ns(f, "b", "\"" PS "enforce\":\"baseline\"");
    const char *priv = "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":{\"privileged\":"
                       "true}}]}";
    struct kapi_value *old = pod(f, "b", priv, NULL);
    struct kapi_status *st;
    /* labels only: not evaluated */
    struct kapi_value *upd = pod(f, "b", priv, ",\"labels\":{\"a\":\"b\"}");
    assert_int_equal(admit_res(f, "", "pods", "", "b", upd, old, &st), 0);
    /* a new image is */
    upd = pod(f, "b", "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:2\",\"securityContext\":{\"privileged\":"
                      "true}}]}",
              NULL);
    assert_int_equal(admit_res(f, "", "pods", "", "b", upd, old, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container "
                         "\"c\" must not set securityContext.privileged=true)");
    /* and so is a seccomp annotation change */
    upd = pod(f, "b", priv, ",\"annotations\":{\"container.seccomp.security.alpha.kubernetes.io/c\":\"x\"}");
    assert_int_equal(admit_res(f, "", "pods", "", "b", upd, old, &st), -1);
    /* status updates never are */
    assert_int_equal(admit_res(f, "", "pods", "status", "b", pod(f, "b", priv, NULL), old, &st), 0);

    /* ephemeral containers: a new one is evaluated with the whole pod */
    old = pod(f, "b", PLAIN, NULL);
    upd = pod(f, "b",
              "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}],\"ephemeralContainers\":[{\"name\":\"dbg\","
              "\"image\":\"busybox\",\"securityContext\":{\"capabilities\":{\"add\":[\"SYS_PTRACE\"]}}}]}",
              NULL);
    assert_int_equal(admit_res(f, "", "pods", "ephemeralcontainers", "b", upd, old, &st), -1);
    assert_forbidden(st, "pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": non-default capabilities "
                         "(container \"dbg\" must not include \"SYS_PTRACE\" in securityContext.capabilities.add)");
    upd = pod(f, "b",
              "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}],\"ephemeralContainers\":[{\"name\":\"dbg\","
              "\"image\":\"busybox\"}]}",
              NULL);
    assert_int_equal(admit_res(f, "", "pods", "ephemeralcontainers", "b", upd, old, &st), 0);
}

static void test_workloads_warn_but_are_not_enforced(void **state)
{
    struct fx *f = *state;
    put_ns(f, "r", "\"" PS "enforce\":\"restricted\"");
    put_ns(f, "bw", "\"" PS "enforce\":\"baseline\",\"" PS "warn\":\"baseline\"");
    const char *tmpl = "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"hostNetwork\":true,\"containers\":[{"
                       "\"name\":\"c\",\"image\":\"nginx\"}]}}";
    const char *warning = "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)";
    struct {
        const char *group, *resource, *json;
    } cases[] = {
        {"apps", "deployments", "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"d\"},"
                                "\"spec\":{\"selector\":{},\"template\":%s}}"},
        {"apps", "replicasets", "{\"kind\":\"ReplicaSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"d\"},"
                                "\"spec\":{\"template\":%s}}"},
        {"apps", "statefulsets", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"d\"},"
                                 "\"spec\":{\"template\":%s}}"},
        {"apps", "daemonsets", "{\"kind\":\"DaemonSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"d\"},"
                               "\"spec\":{\"template\":%s}}"},
        {"batch", "jobs", "{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"d\"},"
                          "\"spec\":{\"template\":%s}}"},
        {"batch", "cronjobs", "{\"kind\":\"CronJob\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"d\"},"
                              "\"spec\":{\"schedule\":\"* * * * *\",\"jobTemplate\":{\"spec\":{\"template\":%s}}}}"},
        {"", "replicationcontrollers", "{\"kind\":\"ReplicationController\",\"apiVersion\":\"v1\",\"metadata\":{"
                                       "\"name\":\"d\"},\"spec\":{\"template\":%s}}"},
        {"", "podtemplates", "{\"kind\":\"PodTemplate\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"d\"},"
                             "\"template\":%s}"},
    };
    struct kapi_status *st;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *json = kapi_pool_printf(f->pool, cases[i].json, tmpl);
        /* enforce does not apply to templates */
        assert_int_equal(admit_res(f, cases[i].group, cases[i].resource, "", "r", parse(f, json), NULL, &st), 0);
        assert_int_equal(f->nwarnings, 0);
        /* warn does, on create and update */
        assert_int_equal(admit_res(f, cases[i].group, cases[i].resource, "", "bw", parse(f, json), NULL, &st), 0);
        assert_int_equal(f->nwarnings, 1);
        assert_string_equal(f->warnings[0], warning);
        assert_int_equal(
            admit_res(f, cases[i].group, cases[i].resource, "", "bw", parse(f, json), parse(f, json), &st), 0);
        assert_int_equal(f->nwarnings, 1);
        /* not on subresources */
        assert_int_equal(
            admit_res(f, cases[i].group, cases[i].resource, "status", "bw", parse(f, json), parse(f, json), &st), 0);
        assert_int_equal(f->nwarnings, 0);
    }
    /* a ReplicationController without a template has nothing to check */
    assert_int_equal(admit_res(f, "", "replicationcontrollers", "", "bw",
                               parse(f, "{\"kind\":\"ReplicationController\",\"apiVersion\":\"v1\",\"metadata\":{"
                                        "\"name\":\"d\"},\"spec\":{\"replicas\":0}}"),
                               NULL, &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
    /* other resources are not looked at */
    assert_int_equal(admit_res(f, "", "configmaps", "", "bw",
                               parse(f, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"d\"},"
                                        "\"spec\":{\"template\":{\"spec\":{\"hostPID\":true}}}}"),
                               NULL, &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
}

static struct kapi_value *ns_obj(struct fx *f, const char *name, const char *labels)
{
    return parse(f, kapi_pool_printf(f->pool,
                                     "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                     "\"labels\":{%s}},\"spec\":{\"finalizers\":[\"kubernetes\"]}}",
                                     name, labels));
}

static void test_namespace_labels_are_validated(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "n", "\"" PS "enforce\":\"foo\""), NULL, &st),
                     -1);
    assert_non_null(st);
    assert_int_equal(st->code, 422);
    assert_string_equal(st->reason, "Invalid");
    assert_string_equal(st->message, "Namespace \"n\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: "
                                     "Invalid value: \"foo\": must be one of privileged, baseline, restricted");
    assert_string_equal(st->kind, "Namespace");
    assert_string_equal(st->name, "n");

    assert_int_equal(admit_res(f, "", "namespaces", "", "",
                               ns_obj(f, "n",
                                      "\"" PS "enforce-version\":\"1.25\",\"" PS "warn\":\"Baseline\",\"" PS
                                      "audit-version\":\"v1.025\""),
                               NULL, &st),
                     -1);
    assert_string_equal(st->message,
                        "Namespace \"n\" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce-version]: "
                        "Invalid value: \"1.25\": must be \"latest\" or \"v1.x\", "
                        "metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: \"v1.025\": must be "
                        "\"latest\" or \"v1.x\", metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "
                        "\"Baseline\": must be one of privileged, baseline, restricted]");

    assert_int_equal(admit_res(f, "", "namespaces", "", "",
                               ns_obj(f, "n",
                                      "\"" PS "enforce\":\"restricted\",\"" PS "enforce-version\":\"v1.0\",\"" PS
                                      "warn-version\":\"latest\",\"" PS "unknown\":\"x\""),
                               NULL, &st),
                     0);
    /* an update that keeps the same bad label passes, a new bad one does not */
    struct kapi_value *bad = ns_obj(f, "n", "\"" PS "audit\":\"nope\"");
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "n", "\"" PS "audit\":\"nope\",\"a\":\"b\""),
                               bad, &st),
                     0);
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "n", "\"" PS "audit\":\"nope2\""), bad, &st), -1);
    assert_int_equal(st->code, 422);
    /* status and finalize are not checked */
    assert_int_equal(admit_res(f, "", "namespaces", "finalize", "", ns_obj(f, "n", "\"" PS "enforce\":\"foo\""), bad,
                               &st),
                     0);
}

static void test_namespace_enforce_change_warns_about_pods(void **state)
{
    struct fx *f = *state;
    put_ns(f, "web", "");
    const char *plain = "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}";
    put_pod(f, "web", "ok", "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
                            "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
                            "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":"
                            "[\"ALL\"]}}}]}",
            NULL);
    put_pod(f, "web", "b-2", plain, NULL);
    put_pod(f, "web", "b-1", plain, NULL);
    put_pod(f, "web", "a-1", plain, NULL);
    put_pod(f, "web", "tools", "{\"hostPID\":true,\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}", NULL);
    put_pod(f, "web", "solo", "{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"c\","
                              "\"image\":\"nginx\"}]}",
            NULL);
    struct kapi_value *old = ns_obj(f, "web", "");
    struct kapi_status *st;
    assert_int_equal(
        admit_res(f, "", "namespaces", "", "", ns_obj(f, "web", "\"" PS "enforce\":\"restricted\""), old, &st), 0);
    assert_int_equal(f->nwarnings, 4);
    assert_string_equal(f->warnings[0],
                        "existing pods in namespace \"web\" violate the new PodSecurity enforce level "
                        "\"restricted:latest\"");
    assert_string_equal(f->warnings[1], "a-1 (and 2 other pods): allowPrivilegeEscalation != false, unrestricted "
                                        "capabilities, runAsNonRoot != true, seccompProfile");
    assert_string_equal(f->warnings[2],
                        "solo: allowPrivilegeEscalation != false, unrestricted capabilities, seccompProfile");
    assert_string_equal(f->warnings[3], "tools: host namespaces, allowPrivilegeEscalation != false, unrestricted "
                                        "capabilities, runAsNonRoot != true, seccompProfile");

    /* baseline only finds the host namespace; unchanged, relaxed or
     * privileged levels check nothing */
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "web", "\"" PS "enforce\":\"baseline\""), old,
                               &st),
                     0);
    assert_int_equal(f->nwarnings, 2);
    assert_string_equal(f->warnings[1], "tools: host namespaces");
    struct kapi_value *restricted = ns_obj(f, "web", "\"" PS "enforce\":\"restricted\"");
    assert_int_equal(admit_res(f, "", "namespaces", "", "",
                               ns_obj(f, "web", "\"" PS "enforce\":\"restricted\",\"x\":\"y\""), restricted, &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "web", "\"" PS "enforce\":\"baseline\""),
                               restricted, &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "web", "\"" PS "enforce\":\"privileged\""),
                               restricted, &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
    /* a different version is checked even when the level is lower */
    assert_int_equal(admit_res(f, "", "namespaces", "", "",
                               ns_obj(f, "web", "\"" PS "enforce\":\"baseline\",\"" PS "enforce-version\":\"v1.30\""),
                               restricted, &st),
                     0);
    assert_int_equal(f->nwarnings, 2);
    assert_string_equal(f->warnings[0], "existing pods in namespace \"web\" violate the new PodSecurity enforce "
                                        "level \"baseline:v1.30\"");
    /* nothing to report: no warnings */
    put_ns(f, "empty", "");
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "empty", "\"" PS "enforce\":\"restricted\""),
                               ns_obj(f, "empty", ""), &st),
                     0);
    assert_int_equal(f->nwarnings, 0);
}

static void test_namespace_pods_of_one_controller(void **state)
{
    struct fx *f = *state;
    put_ns(f, "ctl", "");
    const char *owner = ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs\","
                        "\"uid\":\"rs-uid\",\"controller\":true}]";
    put_pod(f, "ctl", "rs-b", "{\"hostIPC\":true,\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}", owner);
    put_pod(f, "ctl", "rs-a", "{\"hostIPC\":true,\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}", owner);
    struct kapi_status *st;
    assert_int_equal(admit_res(f, "", "namespaces", "", "", ns_obj(f, "ctl", "\"" PS "enforce\":\"baseline\""),
                               ns_obj(f, "ctl", ""), &st),
                     0);
    assert_int_equal(f->nwarnings, 2);
    assert_string_equal(f->warnings[1], "rs-a (and 1 other pod): host namespaces");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unlabelled_namespace_is_privileged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_baseline_checks_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restricted_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restricted_windows_and_volume_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_versions_sysctls_selinux, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warn_and_enforce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_updates_and_ephemeral_containers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workloads_warn_but_are_not_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_labels_are_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_enforce_change_warns_about_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_pods_of_one_controller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
