/* Unit tests for Service ClusterIP / NodePort allocation against a real
 * SQLite store: dynamic and requested allocation with upstream's messages,
 * exhaustion, release and reuse, updates that change type, dry run, and two
 * allocators on one store racing from 8 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/names.h"
#include "codec/json.h"
#include "registry/core/services.h"
#include "storage/sqlite/sqlite.h"

static char dir[256];
static struct kapi_store *store;

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/kapi-svc-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char err[256] = "";
    store = kapi_sqlite_open(dir, err, sizeof(err));
    if (!store)
        print_error("open: %s\n", err);
    assert_non_null(store);
    return 0;
}

static int teardown(void **state)
{
    kapi_store_close(store);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct kapi_svc_alloc *mk(const char *cidr, const char *ports)
{
    char err[200] = "";
    struct kapi_svc_alloc *a = kapi_svc_alloc_new(store, cidr, ports, err, sizeof(err));
    if (!a)
        print_error("alloc_new: %s\n", err);
    assert_non_null(a);
    return a;
}

static struct kapi_value *svc(struct kapi_pool *pool, const char *fmt, ...) KAPI_PRINTF(2, 3);
static struct kapi_value *svc(struct kapi_pool *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *json = kapi_pool_vprintf(pool, fmt, ap);
    va_end(ap);
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &err);
    assert_non_null(v);
    return v;
}

#define SVC(name, spec) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"},\"spec\":" spec "}"

static const char *cip(const struct kapi_value *s) { return kapi_value_cstr(kapi_value_path(s, "spec", "clusterIP", NULL)); }

static int64_t nodeport(const struct kapi_value *s, size_t i)
{
    struct kapi_value *p = kapi_value_path(s, "spec", "ports", NULL)->u.arr.items[i];
    struct kapi_value *np = kapi_obj_get(p, "nodePort");
    return np ? np->u.i : 0;
}

static size_t count_prefix(const char *prefix)
{
    char *end = kapi_store_prefix_end(prefix);
    struct kapi_kv *kvs;
    size_t n;
    int64_t rev = 0;
    bool more;
    assert_int_equal(store->ops->range(store, prefix, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    for (size_t i = 0; i < n; i++)
        kapi_kv_dispose(&kvs[i]);
    free(kvs);
    free(end);
    return n;
}

static bool key_exists(const char *key)
{
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(store, key, &kv);
    kapi_kv_dispose(&kv);
    return rc == KAPI_STORE_OK;
}

/* Number of bits set in a stored RangeAllocation. */
static int range_popcount(const char *key)
{
    struct kapi_kv kv = {0};
    if (kapi_store_get(store, key, &kv) != KAPI_STORE_OK)
        return 0;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &err);
    int bits = 0;
    uint32_t acc = 0;
    int nacc = 0;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(kapi_obj_get_str(v, "data"));
    unsigned char *raw = malloc(len + 3);
    size_t o = 0;
    for (const char *p = kapi_obj_get_str(v, "data"); *p && *p != '='; p++) {
        acc = acc << 6 | (uint32_t)(strchr(b64, *p) - b64);
        if (++nacc == 4) {
            raw[o++] = (unsigned char)(acc >> 16);
            raw[o++] = (unsigned char)(acc >> 8);
            raw[o++] = (unsigned char)acc;
            acc = 0;
            nacc = 0;
        }
    }
    if (nacc == 2)
        raw[o++] = (unsigned char)(acc >> 4);
    if (nacc == 3) {
        raw[o++] = (unsigned char)(acc >> 10);
        raw[o++] = (unsigned char)(acc >> 2);
    }
    for (size_t i = 0; i < o; i++)
        bits += __builtin_popcount(raw[i]);
    free(raw);
    kapi_pool_free(pool);
    kapi_kv_dispose(&kv);
    return bits;
}

static char *agg(struct kapi_pool *pool, const struct kapi_field_errors *e) { return kapi_field_errors_aggregate(pool, e); }

/* ------------------------------------------------------------------ */

static void test_new_and_first_ip(void **state)
{
    struct kapi_svc_alloc *a = mk("10.96.0.0/12", "30000-32767");
    assert_string_equal(kapi_svc_alloc_first_ip(a), "10.96.0.1");
    kapi_svc_alloc_free(a);
    a = mk("10.96.5.7/16", "30000-32767"); /* host bits are masked off */
    assert_string_equal(kapi_svc_alloc_first_ip(a), "10.96.0.1");
    kapi_svc_alloc_free(a);
    char err[200];
    assert_null(kapi_svc_alloc_new(store, "10.96.0.0", "30000-32767", err, sizeof(err)));
    assert_null(kapi_svc_alloc_new(store, "10.96.0.0/33", "30000-32767", err, sizeof(err)));
    assert_null(kapi_svc_alloc_new(store, "fd00::/108", "30000-32767", err, sizeof(err)));
    assert_non_null(strstr(err, "IPv4"));
    assert_null(kapi_svc_alloc_new(store, "10.96.0.0/12", "32767-30000", err, sizeof(err)));
    assert_null(kapi_svc_alloc_new(store, "10.96.0.0/12", "abc", err, sizeof(err)));
}

static void test_dynamic_many(void **state)
{
    struct kapi_svc_alloc *a = mk("10.0.0.0/24", "30000-32767");
    struct kapi_pool *pool = kapi_pool_new();
    char seen[256] = {0};
    for (int i = 0; i < 60; i++) {
        struct kapi_field_errors errs = {0};
        struct kapi_value *s = svc(pool, "{\"metadata\":{\"name\":\"s%d\",\"namespace\":\"default\"},"
                                         "\"spec\":{\"ports\":[{\"port\":80}],\"selector\":{\"a\":\"b\"}}}", i);
        assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
        uint32_t o1, o2, o3, o4;
        assert_int_equal(sscanf(cip(s), "%u.%u.%u.%u", &o1, &o2, &o3, &o4), 4);
        assert_true(o1 == 10 && o2 == 0 && o3 == 0);
        /* /24: the lower 16 addresses are kept for static requests. */
        assert_true(o4 >= 17 && o4 <= 254);
        assert_false(seen[o4]);
        seen[o4] = 1;
        struct kapi_value *ips = kapi_value_path(s, "spec", "clusterIPs", NULL);
        assert_int_equal(ips->u.arr.len, 1);
        assert_string_equal(kapi_value_cstr(ips->u.arr.items[0]), cip(s));
        struct kapi_value *fam = kapi_value_path(s, "spec", "ipFamilies", NULL);
        assert_int_equal(fam->u.arr.len, 1);
        assert_string_equal(kapi_value_cstr(fam->u.arr.items[0]), "IPv4");
        assert_string_equal(kapi_value_cstr(kapi_value_path(s, "spec", "ipFamilyPolicy", NULL)), "SingleStack");
        assert_string_equal(kapi_value_cstr(kapi_value_path(s, "spec", "internalTrafficPolicy", NULL)), "Cluster");
        assert_string_equal(kapi_value_cstr(kapi_value_path(s, "spec", "type", NULL)), "ClusterIP");
        assert_null(kapi_value_path(s, "spec", "externalTrafficPolicy", NULL));
    }
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 60);
    assert_int_equal(range_popcount(KAPI_SVC_IP_RANGE_KEY), 60);

    /* The IPAddress object names its parent Service. */
    struct kapi_kv kv = {0};
    assert_int_equal(kapi_store_get(store, KAPI_SVC_IPADDR_PREFIX "10.0.0.0", &kv), KAPI_STORE_NOT_FOUND);
    char key[64];
    struct kapi_value *s0 = svc(pool, SVC("probe", "{\"clusterIP\":\"10.0.0.5\"}"));
    struct kapi_field_errors errs = {0};
    assert_int_equal(kapi_svc_alloc_create(a, pool, s0, false, &errs), 0);
    snprintf(key, sizeof(key), "%s10.0.0.5", KAPI_SVC_IPADDR_PREFIX);
    assert_int_equal(kapi_store_get(store, key, &kv), KAPI_STORE_OK);
    struct kapi_json_error jerr;
    struct kapi_value *ipa = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &jerr);
    assert_string_equal(kapi_obj_get_str(ipa, "kind"), "IPAddress");
    assert_string_equal(kapi_obj_get_str(ipa, "apiVersion"), "networking.k8s.io/v1");
    assert_string_equal(kapi_value_cstr(kapi_value_path(ipa, "metadata", "name", NULL)), "10.0.0.5");
    struct kapi_value *ref = kapi_value_path(ipa, "spec", "parentRef", NULL);
    assert_string_equal(kapi_obj_get_str(ref, "resource"), "services");
    assert_string_equal(kapi_obj_get_str(ref, "namespace"), "default");
    assert_string_equal(kapi_obj_get_str(ref, "name"), "probe");
    assert_null(kapi_obj_get(ref, "group")); /* omitempty, as upstream */
    assert_null(kapi_value_path(ipa, "metadata", "resourceVersion", NULL));
    kapi_kv_dispose(&kv);
    kapi_pool_free(pool);
    kapi_svc_alloc_free(a);
}

static void test_requested_and_errors(void **state)
{
    struct kapi_svc_alloc *a = mk("10.0.0.0/24", "30000-30099");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    struct kapi_value *s = svc(pool, SVC("a", "{\"clusterIP\":\"10.0.0.10\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_string_equal(cip(s), "10.0.0.10");

    s = svc(pool, SVC("b", "{\"clusterIP\":\"10.0.0.10\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.clusterIPs: Invalid value: []string{\"10.0.0.10\"}: failed to allocate "
                                          "IP 10.0.0.10: provided IP is already allocated");
    struct kapi_status *st = kapi_svc_alloc_status(pool, KAPI_SVC_EINVALID, "b", &errs);
    assert_int_equal(st->code, 422);
    assert_string_equal(st->message, "Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.10\"}: "
                                     "failed to allocate IP 10.0.0.10: provided IP is already allocated");

    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("c", "{\"clusterIP\":\"10.1.0.5\",\"clusterIPs\":[\"10.1.0.5\"]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.clusterIPs: Invalid value: []string{\"10.1.0.5\"}: failed to allocate IP "
                                          "10.1.0.5: the provided network does not match the current range");

    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("d", "{\"clusterIP\":\"10.0.0.255\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.clusterIPs: Invalid value: []string{\"10.0.0.255\"}: failed to allocate IP "
                                          "10.0.0.255: the provided IP (10.0.0.255) is not in the valid range. The range "
                                          "of valid IPs is 10.0.0.0/24");

    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("e", "{\"clusterIP\":\"banana\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.clusterIPs[0]: Invalid value: \"banana\": must be a valid IP address, "
                                          "(e.g. 10.9.8.7 or 2001:db8::ffff)");

    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("f", "{\"ipFamilyPolicy\":\"RequireDualStack\",\"selector\":{\"a\":\"b\"}}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not "
                                          "configured for dual-stack services");

    /* Headless: no IP, and selectorless headless defaults to RequireDualStack. */
    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("g", "{\"clusterIP\":\"None\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_string_equal(cip(s), "None");
    assert_string_equal(kapi_value_cstr(kapi_value_path(s, "spec", "ipFamilyPolicy", NULL)), "RequireDualStack");
    assert_int_equal(kapi_value_path(s, "spec", "ipFamilies", NULL)->u.arr.len, 2);
    s = svc(pool, SVC("x", "{\"type\":\"ExternalName\",\"externalName\":\"example.com\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_null(kapi_value_path(s, "spec", "clusterIP", NULL));
    assert_null(kapi_value_path(s, "spec", "ipFamilies", NULL));
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 1);

    /* Node ports: requested, taken, out of range. */
    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("np1", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080},{\"port\":443}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_int_equal(nodeport(s, 0), 30080);
    assert_true(nodeport(s, 1) >= 30016 && nodeport(s, 1) <= 30099); /* upper band of a 100-port range */
    assert_string_equal(kapi_value_cstr(kapi_value_path(s, "spec", "externalTrafficPolicy", NULL)), "Cluster");
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 2);
    int ips_before = (int)count_prefix(KAPI_SVC_IPADDR_PREFIX);

    s = svc(pool, SVC("np2", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated");
    /* The ClusterIP taken before the port failed was given back. */
    assert_int_equal((int)count_prefix(KAPI_SVC_IPADDR_PREFIX), ips_before);

    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("np3", "{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80},{\"port\":81,\"nodePort\":29999}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.ports[1].nodePort: Invalid value: 29999: provided port is not in the valid "
                                          "range. The range of valid ports is 30000-30099");
    /* Nothing of the failed LB stayed: its dynamic port was never written. */
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 2);
    assert_int_equal((int)count_prefix(KAPI_SVC_IPADDR_PREFIX), ips_before);

    /* LB with externalTrafficPolicy Local gets a health check port; two
     * ports with the same number share one node port. */
    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("lb", "{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":53,"
                            "\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_int_equal(nodeport(s, 0), nodeport(s, 1));
    assert_true(kapi_value_path(s, "spec", "healthCheckNodePort", NULL)->u.i >= 30000);
    assert_true(kapi_value_path(s, "spec", "allocateLoadBalancerNodePorts", NULL)->u.b);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 4);

    /* Release gives everything back. */
    kapi_svc_alloc_release(a, s);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 2);
    kapi_pool_free(pool);
    kapi_svc_alloc_free(a);
}

static void test_exhaustion_release_reuse(void **state)
{
    /* /29: 6 usable addresses, no static band; 5 node ports. */
    struct kapi_svc_alloc *a = mk("192.168.0.0/29", "30000-30004");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *made[6];
    for (int i = 0; i < 5; i++) {
        struct kapi_field_errors errs = {0};
        made[i] = svc(pool, "{\"metadata\":{\"name\":\"n%d\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"NodePort\","
                            "\"ports\":[{\"port\":80}]}}", i);
        assert_int_equal(kapi_svc_alloc_create(a, pool, made[i], false, &errs), 0);
    }
    struct kapi_field_errors errs = {0};
    struct kapi_value *s = svc(pool, SVC("full", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINTERNAL);
    struct kapi_status *st = kapi_svc_alloc_status(pool, KAPI_SVC_EINTERNAL, "full", &errs);
    assert_int_equal(st->code, 500);
    assert_string_equal(st->message, "Internal error occurred: failed to allocate a nodePort: range is full");
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 5); /* its IP went back */

    /* Give one service back: its port and IP are reusable. */
    int64_t freed_port = nodeport(made[2], 0);
    char freed_ip[16];
    snprintf(freed_ip, sizeof(freed_ip), "%s", cip(made[2]));
    kapi_svc_alloc_release(a, made[2]);
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 4);
    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("again", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    assert_int_equal(nodeport(s, 0), freed_port);

    /* IP exhaustion: 6 usable, 5 taken now, one more fits, then full. */
    errs = (struct kapi_field_errors){0};
    s = svc(pool, SVC("c6", "{}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), 0);
    s = svc(pool, SVC("c7", "{}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, false, &errs), KAPI_SVC_EINTERNAL);
    assert_string_equal(kapi_svc_alloc_status(pool, KAPI_SVC_EINTERNAL, "c7", &errs)->message,
                        "Internal error occurred: failed to allocate a serviceIP: range is full");
    (void)freed_ip;

    /* Releasing a Service does not free an IP that belongs to another one. */
    struct kapi_value *impostor = svc(pool, "{\"metadata\":{\"name\":\"other\",\"namespace\":\"ns\"},\"spec\":"
                                            "{\"clusterIP\":\"%s\",\"clusterIPs\":[\"%s\"]}}", cip(made[0]), cip(made[0]));
    kapi_svc_alloc_release(a, impostor);
    char key[64];
    snprintf(key, sizeof(key), "%s%s", KAPI_SVC_IPADDR_PREFIX, cip(made[0]));
    assert_true(key_exists(key));
    kapi_pool_free(pool);
    kapi_svc_alloc_free(a);
}

static void test_update(void **state)
{
    struct kapi_svc_alloc *a = mk("10.0.0.0/24", "30000-30099");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    struct kapi_value *old = svc(pool, SVC("u", "{\"ports\":[{\"port\":80,\"name\":\"http\"}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, old, false, &errs), 0);
    const char *ip = cip(old);

    /* ClusterIP -> NodePort, client resubmits without clusterIP: kept, ports allocated. */
    struct kapi_value *nw = svc(pool, SVC("u", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"name\":\"http\"}]}"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, nw, old, false, &errs), 0);
    assert_string_equal(cip(nw), ip);
    int64_t np = nodeport(nw, 0);
    assert_true(np >= 30000 && np <= 30099);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 1);
    kapi_svc_alloc_release_diff(a, old, nw); /* write succeeded */
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 1);
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 1);

    /* Same object again without nodePort: the allocated one is patched in. */
    struct kapi_value *again = svc(pool, SVC("u", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"name\":\"http\"}]}"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, again, nw, false, &errs), 0);
    assert_int_equal(nodeport(again, 0), np);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 1);

    /* clusterIP is immutable. */
    struct kapi_value *bad = svc(pool, SVC("u", "{\"type\":\"NodePort\",\"clusterIP\":\"10.0.0.99\",\"clusterIPs\":"
                                                "[\"10.0.0.99\"],\"ports\":[{\"port\":80,\"name\":\"http\"}]}"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, bad, nw, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "[spec.clusterIP: Invalid value: \"10.0.0.99\": field is immutable, "
                                          "spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.99\"}: may not change once set]");

    /* NodePort -> ClusterIP (patch-style: nodePort still in the object): dropped and released. */
    errs = (struct kapi_field_errors){0};
    struct kapi_value *back = kapi_value_clone(pool, nw);
    kapi_obj_set(pool, kapi_obj_get(back, "spec"), "type", kapi_value_str(pool, "ClusterIP"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, back, nw, false, &errs), 0);
    assert_int_equal(nodeport(back, 0), 0);
    assert_null(kapi_value_path(back, "spec", "externalTrafficPolicy", NULL));
    assert_string_equal(cip(back), ip);
    kapi_svc_alloc_release_diff(a, nw, back);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), 0);
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 1);

    /* ClusterIP -> ExternalName releases the IP; ExternalName -> ClusterIP allocates one. */
    struct kapi_value *ext = kapi_value_clone(pool, back);
    kapi_obj_set(pool, kapi_obj_get(ext, "spec"), "type", kapi_value_str(pool, "ExternalName"));
    kapi_obj_set(pool, kapi_obj_get(ext, "spec"), "externalName", kapi_value_str(pool, "example.com"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, ext, back, false, &errs), 0);
    assert_null(kapi_value_path(ext, "spec", "clusterIP", NULL));
    kapi_svc_alloc_release_diff(a, back, ext);
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 0);
    struct kapi_value *cl = svc(pool, SVC("u", "{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80}]}"));
    assert_int_equal(kapi_svc_alloc_update(a, pool, cl, ext, false, &errs), 0);
    assert_non_null(cip(cl));
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 1);
    /* The write failed: undo what the update took. */
    kapi_svc_alloc_release_diff(a, cl, ext);
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 0);

    /* An update adding a taken nodePort fails with upstream's message. */
    struct kapi_value *o = svc(pool, SVC("p", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30050}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, o, false, &errs), 0);
    struct kapi_value *o2 = svc(pool, SVC("q", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, o2, false, &errs), 0);
    struct kapi_value *o3 = kapi_value_clone(pool, o2);
    struct kapi_value *p0 = kapi_value_path(o3, "spec", "ports", NULL)->u.arr.items[0];
    kapi_obj_set(pool, p0, "nodePort", kapi_value_int(pool, 30050));
    assert_int_equal(kapi_svc_alloc_update(a, pool, o3, o2, false, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated");
    kapi_pool_free(pool);
    kapi_svc_alloc_free(a);
}

static void test_dry_run(void **state)
{
    struct kapi_svc_alloc *a = mk("10.0.0.0/24", "30000-32767");
    struct kapi_pool *pool = kapi_pool_new();
    int64_t rev0, comp;
    assert_int_equal(store->ops->revisions(store, &rev0, &comp), KAPI_STORE_OK);
    struct kapi_field_errors errs = {0};
    struct kapi_value *s = svc(pool, SVC("dry", "{\"type\":\"NodePort\",\"ports\":[{\"port\":80},{\"port\":81}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, true, &errs), 0);
    /* Upstream's dry run answers placeholders: the network address and 32769 upward. */
    assert_string_equal(cip(s), "10.0.0.0");
    assert_int_equal(nodeport(s, 0), 32769);
    assert_int_equal(nodeport(s, 1), 32770);
    s = svc(pool, SVC("dry2", "{\"clusterIP\":\"10.0.0.77\",\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":31000}]}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, true, &errs), 0);
    s = svc(pool, SVC("dry3", "{\"clusterIP\":\"10.9.0.77\"}"));
    assert_int_equal(kapi_svc_alloc_create(a, pool, s, true, &errs), KAPI_SVC_EINVALID);
    assert_string_equal(agg(pool, &errs), "spec.clusterIPs: Invalid value: []string{\"10.9.0.77\"}: failed to allocate IP "
                                          "10.9.0.77: the provided IP (10.9.0.77) is not in the valid range. The range of "
                                          "valid IPs is 10.0.0.0/24");
    int64_t rev1;
    assert_int_equal(store->ops->revisions(store, &rev1, &comp), KAPI_STORE_OK);
    assert_int_equal(rev1, rev0);
    assert_false(key_exists(KAPI_SVC_PORT_RANGE_KEY));
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), 0);
    kapi_pool_free(pool);
    kapi_svc_alloc_free(a);
}

/* ------------------------------------------------- two instances racing */

#define THREADS 8
#define PER_THREAD 12

struct worker {
    struct kapi_svc_alloc *a;
    int id;
    uint32_t ips[PER_THREAD];
    int ports[PER_THREAD];
    int failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct kapi_pool *pool = kapi_pool_new();
    for (int i = 0; i < PER_THREAD; i++) {
        struct kapi_field_errors errs = {0};
        char json[256];
        snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"w%d-%d\",\"namespace\":\"race\"},\"spec\":{\"type\":"
                 "\"NodePort\",\"ports\":[{\"port\":80}]}}", w->id, i);
        struct kapi_json_error jerr;
        struct kapi_value *s = kapi_json_parse(pool, json, strlen(json), NULL, &jerr);
        if (kapi_svc_alloc_create(w->a, pool, s, false, &errs) != 0) {
            w->failures++;
            continue;
        }
        unsigned o1, o2, o3, o4;
        sscanf(cip(s), "%u.%u.%u.%u", &o1, &o2, &o3, &o4);
        w->ips[i] = o1 << 24 | o2 << 16 | o3 << 8 | o4;
        w->ports[i] = (int)nodeport(s, 0);
    }
    kapi_pool_free(pool);
    return NULL;
}

static void test_two_instances_concurrent(void **state)
{
    /* Small ranges so that random picks collide often: 126 IPs, 120 ports
     * for 96 services. */
    struct kapi_svc_alloc *a1 = mk("10.5.0.0/25", "31000-31119");
    struct kapi_svc_alloc *a2 = mk("10.5.0.0/25", "31000-31119");
    struct worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.a = i % 2 ? a2 : a1, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    static uint8_t ip_seen[128], port_seen[120];
    memset(ip_seen, 0, sizeof(ip_seen));
    memset(port_seen, 0, sizeof(port_seen));
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].failures, 0);
        for (int j = 0; j < PER_THREAD; j++) {
            uint32_t off = w[i].ips[j] - (10u << 24 | 5u << 16);
            assert_true(off >= 1 && off <= 126);
            assert_false(ip_seen[off]);
            ip_seen[off] = 1;
            int p = w[i].ports[j] - 31000;
            assert_true(p >= 0 && p < 120);
            assert_false(port_seen[p]);
            port_seen[p] = 1;
        }
    }
    assert_int_equal(count_prefix(KAPI_SVC_IPADDR_PREFIX), THREADS * PER_THREAD);
    assert_int_equal(range_popcount(KAPI_SVC_PORT_RANGE_KEY), THREADS * PER_THREAD);
    assert_int_equal(range_popcount(KAPI_SVC_IP_RANGE_KEY), THREADS * PER_THREAD);
    kapi_svc_alloc_free(a1);
    kapi_svc_alloc_free(a2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_and_first_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requested_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion_release_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_instances_concurrent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
