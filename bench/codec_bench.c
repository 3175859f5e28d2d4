/* Codec micro-benchmark: decode and encode of a ~2 KB Pod, in ns per
 * operation, with a floor measured in the same run (one pass over the same
 * bytes). Build: see bench/run.sh. Usage: codec_bench [iterations [only]]:
 * with `only`, just the operations whose label contains it run (for perf). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/json.h"
#include "schema/protobuf.h"
#include "schema/schema.h"
#include "schema/typed.h"

static const char pod_json[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-7d4b9c8f5-x2k9p\",\"generateName\":\"web-7d4b9c8f5-\","
    "\"namespace\":\"shop\",\"uid\":\"1f0c1c2e-4a8b-4f9e-9d77-2b7c9a0e5f31\",\"resourceVersion\":\"123456\","
    "\"creationTimestamp\":\"2026-11-27T10:00:00Z\",\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"7d4b9c8f5\","
    "\"tier\":\"frontend\"},\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9100\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d4b9c8f5\","
    "\"uid\":\"9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
    "\"spec\":{\"volumes\":[{\"name\":\"config\",\"configMap\":{\"name\":\"web-config\",\"defaultMode\":420}},"
    "{\"name\":\"kube-api-access-abcde\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,"
    "\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}}],"
    "\"defaultMode\":420}}],\"containers\":[{\"name\":\"web\",\"image\":\"registry.example.com/shop/web:1.42.0\","
    "\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"},{\"name\":\"metrics\",\"containerPort\":9100,"
    "\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"MODE\",\"value\":\"production\"},{\"name\":\"POD_IP\",\"valueFrom\":{"
    "\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"status.podIP\"}}}],\"resources\":{\"limits\":{\"cpu\":\"500m\","
    "\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}},\"volumeMounts\":[{\"name\":\"config\","
    "\"mountPath\":\"/etc/web\",\"readOnly\":true},{\"name\":\"kube-api-access-abcde\",\"readOnly\":true,"
    "\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\","
    "\"port\":8080,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":5,\"timeoutSeconds\":1,\"periodSeconds\":10,"
    "\"successThreshold\":1,\"failureThreshold\":3},\"terminationMessagePath\":\"/dev/termination-log\","
    "\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
    "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\","
    "\"serviceAccount\":\"default\",\"nodeName\":\"node-3\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\","
    "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"},"
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":null,"
    "\"lastTransitionTime\":\"2026-11-27T10:00:09Z\"}],\"hostIP\":\"10.0.0.3\",\"podIP\":\"10.244.3.17\","
    "\"startTime\":\"2026-11-27T10:00:00Z\",\"qosClass\":\"Burstable\"}}";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *only;

#define RUN(label, body)                                                      \
    do {                                                                      \
        if (only && !strstr(label, only))                                     \
            break;                                                            \
        double t0 = now_ns();                                                 \
        for (long i = 0; i < iters; i++) {                                    \
            body;                                                             \
        }                                                                     \
        printf("| %s | %.0f ns/op |\n", label, (now_ns() - t0) / (double)iters); \
    } while (0)

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    only = argc > 2 ? argv[2] : NULL;
    size_t len = strlen(pod_json);
    printf("Pod JSON: %zu bytes, %ld iterations\n\n| operation | time |\n|---|---|\n", len, iters);
    volatile unsigned sink = 0;
    char *copy = malloc(len + 1);
    RUN("floor: copy + one pass over the bytes", {
        memcpy(copy, pod_json, len);
        unsigned h = 0;
        for (size_t k = 0; k < len; k++)
            h = h * 31 + (unsigned char)copy[k];
        sink += h;
    });
    RUN("JSON decode (pool included)", {
        struct kapi_pool *p = kapi_pool_new();
        struct kapi_json_error e;
        sink += kapi_json_parse(p, pod_json, len, NULL, &e) != NULL;
        kapi_pool_free(p);
    });
    const struct kapi_schema_msg *pod_msg = kapi_schema_kind_find("", "v1", "Pod");
    RUN("JSON decode + typed check and canonical order (what a write pays)", {
        struct kapi_pool *p = kapi_pool_new();
        struct kapi_json_error e;
        struct kapi_json_dup *dups = NULL;
        struct kapi_json_opts o = {.dups = &dups};
        struct kapi_value *v = kapi_json_parse(p, pod_json, len, &o, &e);
        struct kapi_typed_result res;
        sink += kapi_typed_check(p, pod_msg, v, dups, &res) == 0;
        kapi_pool_free(p);
    });
    struct kapi_pool *keep = kapi_pool_new();
    struct kapi_json_error e;
    struct kapi_value *pod = kapi_json_parse(keep, pod_json, len, NULL, &e);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    RUN("JSON encode", {
        kapi_buf_reset(&b);
        kapi_json_write(&b, pod);
    });
    char err[128];
    RUN("protobuf encode", {
        kapi_buf_reset(&b);
        kapi_pb_encode_object(&b, pod, err, sizeof(err));
    });
    kapi_buf_reset(&b);
    kapi_pb_encode_object(&b, pod, err, sizeof(err));
    char *pb = malloc(b.len);
    size_t pblen = b.len;
    memcpy(pb, b.data, b.len);
    RUN("protobuf decode (pool included)", {
        struct kapi_pool *p = kapi_pool_new();
        sink += kapi_pb_decode_object(p, pb, pblen, NULL, NULL, err, sizeof(err)) != NULL;
        kapi_pool_free(p);
    });
    printf("\nprotobuf form: %zu bytes\n", pblen);
    kapi_buf_dispose(&b);
    kapi_pool_free(keep);
    free(pb);
    free(copy);
    return sink == 0xdeadbeef;
}
