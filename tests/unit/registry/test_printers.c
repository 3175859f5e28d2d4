/* The per-kind Table printers: column definitions, exact row cells for
 * concrete objects (as JSON), AGE formatting and the pod status rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "registry/printers.h"
#include "registry/resources.h"

/* 2024-01-01T12:00:00Z */
#define NOW 1704110400

static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s in %s", err.msg, json);
    return v;
}

/* The cells of obj as compact JSON, e.g. ["web","1/1","Running","0","5m"]. */
static char *cells_json(struct kapi_pool *pool, const char *group, const char *resource, const char *obj)
{
    struct kapi_value *cells = kapi_value_array(pool);
    assert_int_equal(kapi_printer_cells(pool, group, resource, parse(pool, obj), NOW, cells), 0);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, cells), 0);
    /* Undo the writer's HTML-safe escaping (as Go's) so expectations stay readable. */
    char *s = kapi_pool_strdup(pool, b.data), *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, "\\u003c", 6) == 0 || strncmp(r, "\\u003e", 6) == 0 || strncmp(r, "\\u0026", 6) == 0) {
            *w++ = r[5] == 'c' ? '<' : r[5] == 'e' ? '>' : '&';
            r += 6;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    kapi_buf_dispose(&b);
    return s;
}

#define CHECK(group, resource, obj, want)                                                   \
    do {                                                                                    \
        struct kapi_pool *pool_ = kapi_pool_new();                                         \
        assert_string_equal(cells_json(pool_, group, resource, obj), want);                 \
        kapi_pool_free(pool_);                                                              \
    } while (0)

/* A pod created five minutes before NOW, with the given spec and status. */
#define POD(spec, status)                                                                    \
    "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:55:00Z\"},"      \
    "\"spec\":" spec ",\"status\":" status "}"

#define ONE_C "{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}"
#define WIDE_NONE "\"<none>\",\"<none>\",\"<none>\",\"<none>\""

static void test_human_duration(void **state)
{
    (void)state;
    static const struct {
        int64_t s;
        const char *want;
    } cases[] = {
        { -5, "<invalid>" }, { -2, "<invalid>" }, { -1, "0s" }, { 0, "0s" }, { 59, "59s" }, { 119, "119s" },
        { 120, "2m" }, { 150, "2m30s" }, { 330, "5m30s" }, { 599, "9m59s" }, { 600, "10m" }, { 659, "10m" },
        { 10799, "179m" }, { 10800, "3h" }, { 12600, "3h30m" }, { 28799, "7h59m" }, { 28800, "8h" },
        { 47 * 3600 + 59 * 60, "47h" }, { 48 * 3600, "2d" }, { 53 * 3600, "2d5h" }, { 7 * 86400 + 23 * 3600, "7d23h" },
        { 8 * 86400, "8d" }, { 400 * 86400, "400d" }, { 729 * 86400, "729d" }, { 730 * 86400, "2y" },
        { 750 * 86400, "2y20d" }, { 8 * 365 * 86400 - 1, "7y364d" }, { 9 * 365 * 86400 + 5 * 86400, "9y" },
    };
    struct kapi_pool *pool = kapi_pool_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(kapi_human_duration(pool, cases[i].s), cases[i].want);
    kapi_pool_free(pool);
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_true(kapi_printer_parse_time("2024-01-01T12:00:00Z", &t));
    assert_int_equal(t, NOW);
    assert_true(kapi_printer_parse_time("2024-01-01T11:59:59.999999Z", &t));
    assert_int_equal(t, NOW - 1);
    assert_true(kapi_printer_parse_time("2024-01-01T14:00:00+02:00", &t));
    assert_int_equal(t, NOW);
    assert_true(kapi_printer_parse_time("1970-01-01T00:00:00Z", &t));
    assert_int_equal(t, 0);
    assert_true(kapi_printer_parse_time("2000-03-01T00:00:00Z", &t));
    assert_int_equal(t, 951868800);
    assert_false(kapi_printer_parse_time("2024-01-01 12:00:00Z", &t));
    assert_false(kapi_printer_parse_time("2024-01-01T12:00:00", &t));
    assert_false(kapi_printer_parse_time("2024-13-01T12:00:00Z", &t));
    assert_false(kapi_printer_parse_time("", &t));
    assert_false(kapi_printer_parse_time(NULL, &t));
}

static void test_columns(void **state)
{
    (void)state;
    size_t n;
    const struct kapi_printer_column *c = kapi_printer_columns("", "pods", &n);
    assert_non_null(c);
    assert_int_equal(n, 9);
    static const char *names[] = { "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
                                   "Readiness Gates" };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(c[i].name, names[i]);
        assert_string_equal(c[i].type, "string");
        assert_int_equal(c[i].priority, i >= 5 ? 1 : 0);
        assert_string_equal(c[i].format, i == 0 ? "name" : "");
    }
    c = kapi_printer_columns("apps", "deployments", &n);
    assert_int_equal(n, 8);
    assert_string_equal(c[2].name, "Up-to-date");
    assert_string_equal(c[7].name, "Selector");
    assert_int_equal(c[7].priority, 1);
    c = kapi_printer_columns("batch", "jobs", &n);
    assert_int_equal(n, 8);
    assert_string_equal(c[1].name, "Status");
    assert_string_equal(c[2].name, "Completions");
    assert_string_equal(c[3].name, "Duration");
    c = kapi_printer_columns("", "events", &n);
    assert_int_equal(n, 10);
    assert_string_equal(c[0].name, "Last Seen");
    assert_string_equal(c[9].name, "Name");
    assert_string_equal(c[9].format, "name");
    assert_int_equal(c[9].priority, 1);
    c = kapi_printer_columns("storage.k8s.io", "volumeattachments", &n);
    assert_string_equal(c[1].format, "name");
    c = kapi_printer_columns("policy", "poddisruptionbudgets", &n);
    assert_string_equal(c[3].type, "integer");
    c = kapi_printer_columns("batch", "cronjobs", &n);
    assert_string_equal(c[3].type, "boolean");
    /* No printer upstream: the default table applies. */
    assert_null(kapi_printer_columns("rbac.authorization.k8s.io", "roles", &n));
    assert_int_equal(n, 0);
    assert_null(kapi_printer_columns("rbac.authorization.k8s.io", "clusterroles", &n));
    assert_null(kapi_printer_columns("", "limitranges", &n));
    assert_null(kapi_printer_columns("apiextensions.k8s.io", "customresourcedefinitions", &n));
    assert_null(kapi_printer_columns("example.com", "widgets", &n));
    assert_null(kapi_printer_columns("", "pods/status", &n));
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *cells = kapi_value_array(pool);
    assert_int_equal(kapi_printer_cells(pool, "rbac.authorization.k8s.io", "roles", kapi_value_object(pool), NOW,
                                        cells),
                     -1);
    assert_int_equal(cells->u.arr.len, 0);
    kapi_pool_free(pool);
}

/* Every served top-level resource with a printer yields one cell per column,
 * even for an empty or oddly typed object (IPAddress: upstream's extra cell). */
static void test_every_printer_is_total(void **state)
{
    (void)state;
    size_t n, with = 0;
    const struct kapi_resource *r = kapi_resources_all(&n);
    static const char *odd[] = { "{}", "{\"metadata\":7,\"spec\":[],\"status\":\"x\"}",
                                 ("{\"spec\":{\"containers\":3,\"selector\":{\"matchLabels\":[]}},"
                                  "\"status\":{\"conditions\":{},\"containerStatuses\":[1,null]}}") };
    for (size_t i = 0; i < n; i++) {
        if (kapi_resource_is_sub(&r[i]))
            continue;
        size_t ncols;
        if (!kapi_printer_columns(r[i].group, r[i].name, &ncols))
            continue;
        with++;
        for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
            struct kapi_pool *pool = kapi_pool_new();
            struct kapi_value *cells = kapi_value_array(pool);
            assert_int_equal(kapi_printer_cells(pool, r[i].group, r[i].name, parse(pool, odd[k]), NOW, cells), 0);
            size_t want = strcmp(r[i].name, "ipaddresses") == 0 ? ncols + 1 : ncols;
            if (cells->u.arr.len != want)
                fail_msg("%s/%s: %zu cells for %zu columns", r[i].group, r[i].name, cells->u.arr.len, ncols);
            kapi_pool_free(pool);
        }
    }
    assert_true(with >= 45);
}

static void test_pod_running(void **state)
{
    (void)state;
    CHECK("", "pods",
          POD("{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
              "{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\",\"podIPs\":[{\"ip\":\"10.0.0.5\"},{\"ip\":\"fd00::5\"}],"
              "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
              "\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}},"
              "{\"name\":\"b\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}"),
          "[\"web\",\"2/2\",\"Running\",\"0\",\"5m\",\"10.0.0.5\",\"n1\",\"<none>\",\"<none>\"]");
}

static void test_pod_pending(void **state)
{
    (void)state;
    /* Just created, nothing reported yet. */
    CHECK("", "pods", POD(ONE_C, "{\"phase\":\"Pending\"}"), "[\"web\",\"0/1\",\"Pending\",\"0\",\"5m\"," WIDE_NONE "]");
    /* Without a status the phase upstream's create strategy would set shows. */
    CHECK("", "pods", "{\"metadata\":{\"name\":\"p\"},\"spec\":" ONE_C "}",
          "[\"p\",\"0/1\",\"Pending\",\"0\",\"<unknown>\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"app\",\"ready\":false,"
                     "\"restartCount\":0,\"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}"),
          "[\"web\",\"0/1\",\"ContainerCreating\",\"0\",\"5m\"," WIDE_NONE "]");
    /* Scheduling gates override the phase. */
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
                     "\"reason\":\"SchedulingGated\"}]}"),
          "[\"web\",\"0/1\",\"SchedulingGated\",\"0\",\"5m\"," WIDE_NONE "]");
    /* A pod-level reason (e.g. Evicted) replaces the phase. */
    CHECK("", "pods", POD(ONE_C, "{\"phase\":\"Failed\",\"reason\":\"Evicted\"}"),
          "[\"web\",\"0/1\",\"Evicted\",\"0\",\"5m\"," WIDE_NONE "]");
}

static void test_pod_crashloop_restarts(void **state)
{
    (void)state;
    /* Last termination 90 seconds ago: "3 (90s ago)". */
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"app\",\"ready\":false,"
                     "\"restartCount\":3,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
                     "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\","
                     "\"finishedAt\":\"2024-01-01T11:58:30Z\"}}}]}"),
          "[\"web\",\"0/1\",\"CrashLoopBackOff\",\"3 (90s ago)\",\"5m\"," WIDE_NONE "]");
    /* Restarts without a known last termination carry no suffix. */
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"app\",\"ready\":true,"
                     "\"restartCount\":2,\"state\":{\"running\":{}}}]}"),
          "[\"web\",\"1/1\",\"Running\",\"2\",\"5m\"," WIDE_NONE "]");
    /* The latest of several terminations counts; 4m10s ago. */
    CHECK("", "pods",
          POD("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
              "{\"phase\":\"Running\",\"containerStatuses\":["
              "{\"name\":\"a\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}},"
              "\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"2024-01-01T11:50:00Z\"}}},"
              "{\"name\":\"b\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}},"
              "\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"2024-01-01T11:55:50Z\"}}}]}"),
          "[\"web\",\"2/2\",\"Running\",\"2 (4m10s ago)\",\"5m\"," WIDE_NONE "]");
}

static void test_pod_terminated_states(void **state)
{
    (void)state;
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":\"app\",\"ready\":false,"
                     "\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}]}"),
          "[\"web\",\"0/1\",\"Completed\",\"0\",\"5m\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"app\",\"restartCount\":0,"
                     "\"state\":{\"terminated\":{\"exitCode\":137,\"signal\":9}}}]}"),
          "[\"web\",\"0/1\",\"Signal:9\",\"0\",\"5m\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(ONE_C, "{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"app\",\"restartCount\":0,"
                     "\"state\":{\"terminated\":{\"exitCode\":2}}}]}"),
          "[\"web\",\"0/1\",\"ExitCode:2\",\"0\",\"5m\"," WIDE_NONE "]");
    /* One container completed, another still running: Running or NotReady by the Ready condition. */
    const char *mixed_status = "\"containerStatuses\":["
                               "{\"name\":\"a\",\"ready\":false,\"state\":{\"terminated\":{\"exitCode\":0,"
                               "\"reason\":\"Completed\"}}},"
                               "{\"name\":\"b\",\"ready\":true,\"state\":{\"running\":{}}}]";
    char buf[1024];
    snprintf(buf, sizeof buf,
             POD("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
                 "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],%s}"),
             mixed_status);
    CHECK("", "pods", buf, "[\"web\",\"1/2\",\"NotReady\",\"0\",\"5m\"," WIDE_NONE "]");
    snprintf(buf, sizeof buf,
             POD("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
                 "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],%s}"),
             mixed_status);
    CHECK("", "pods", buf, "[\"web\",\"1/2\",\"Running\",\"0\",\"5m\"," WIDE_NONE "]");
}

static void test_pod_terminating(void **state)
{
    (void)state;
    CHECK("", "pods",
          "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\","
          "\"deletionTimestamp\":\"2024-01-01T12:00:30Z\"},\"spec\":" ONE_C ","
          "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"app\",\"ready\":true,"
          "\"state\":{\"running\":{}}}]}}",
          "[\"web\",\"1/1\",\"Terminating\",\"0\",\"60m\"," WIDE_NONE "]");
    /* A finished pod being deleted keeps its final state. */
    CHECK("", "pods",
          "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\","
          "\"deletionTimestamp\":\"2024-01-01T12:00:30Z\"},\"spec\":" ONE_C ",\"status\":{\"phase\":\"Succeeded\"}}",
          "[\"web\",\"0/1\",\"Succeeded\",\"0\",\"60m\"," WIDE_NONE "]");
    CHECK("", "pods",
          "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\","
          "\"deletionTimestamp\":\"2024-01-01T12:00:30Z\"},\"spec\":" ONE_C ","
          "\"status\":{\"phase\":\"Running\",\"reason\":\"NodeLost\"}}",
          "[\"web\",\"0/1\",\"Unknown\",\"0\",\"60m\"," WIDE_NONE "]");
}

static void test_pod_init_containers(void **state)
{
    (void)state;
#define INIT_SPEC "{\"initContainers\":[{\"name\":\"i1\"},{\"name\":\"i2\"}],\"containers\":[{\"name\":\"app\"}]}"
    CHECK("", "pods",
          POD(INIT_SPEC, "{\"phase\":\"Pending\",\"initContainerStatuses\":["
                         "{\"name\":\"i1\",\"restartCount\":0,\"state\":{\"running\":{}}},"
                         "{\"name\":\"i2\",\"restartCount\":0,\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}],"
                         "\"containerStatuses\":[{\"name\":\"app\",\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}"),
          "[\"web\",\"0/1\",\"Init:0/2\",\"0\",\"5m\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(INIT_SPEC, "{\"phase\":\"Pending\",\"initContainerStatuses\":["
                         "{\"name\":\"i1\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
                         "{\"name\":\"i2\",\"restartCount\":0,\"state\":{\"running\":{}}}]}"),
          "[\"web\",\"0/1\",\"Init:1/2\",\"0\",\"5m\"," WIDE_NONE "]");
    /* Restarts of a failing init container count while initializing. */
    CHECK("", "pods",
          POD(INIT_SPEC, "{\"phase\":\"Pending\",\"initContainerStatuses\":["
                         "{\"name\":\"i1\",\"restartCount\":4,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
                         "\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"2024-01-01T11:59:00Z\"}}}]}"),
          "[\"web\",\"0/1\",\"Init:CrashLoopBackOff\",\"4 (60s ago)\",\"5m\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(INIT_SPEC, "{\"phase\":\"Pending\",\"initContainerStatuses\":["
                         "{\"name\":\"i1\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]}"),
          "[\"web\",\"0/1\",\"Init:Error\",\"0\",\"5m\"," WIDE_NONE "]");
    CHECK("", "pods",
          POD(INIT_SPEC, "{\"phase\":\"Pending\",\"initContainerStatuses\":["
                         "{\"name\":\"i1\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":3}}}]}"),
          "[\"web\",\"0/1\",\"Init:ExitCode:3\",\"0\",\"5m\"," WIDE_NONE "]");
    /* A started sidecar (restartPolicy Always) counts as a container and does not block. */
    CHECK("", "pods",
          POD("{\"initContainers\":[{\"name\":\"proxy\",\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"app\"}]}",
              "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\"},"
              "{\"type\":\"Ready\",\"status\":\"True\"}],"
              "\"initContainerStatuses\":[{\"name\":\"proxy\",\"ready\":true,\"started\":true,\"restartCount\":1,"
              "\"state\":{\"running\":{}},\"lastState\":{\"terminated\":{\"exitCode\":1,"
              "\"finishedAt\":\"2024-01-01T11:57:00Z\"}}}],"
              "\"containerStatuses\":[{\"name\":\"app\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}"),
          "[\"web\",\"2/2\",\"Running\",\"1 (3m ago)\",\"5m\"," WIDE_NONE "]");
#undef INIT_SPEC
}

static void test_pod_wide(void **state)
{
    (void)state;
    CHECK("", "pods",
          POD("{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"app\"}],"
              "\"readinessGates\":[{\"conditionType\":\"example.com/lb\"},{\"conditionType\":\"example.com/dns\"}]}",
              "{\"phase\":\"Running\",\"nominatedNodeName\":\"node-2\",\"podIPs\":[{\"ip\":\"fd00::1\"}],"
              "\"conditions\":[{\"type\":\"example.com/lb\",\"status\":\"True\"},"
              "{\"type\":\"example.com/dns\",\"status\":\"False\"}],"
              "\"containerStatuses\":[{\"name\":\"app\",\"ready\":true,\"state\":{\"running\":{}}}]}"),
          "[\"web\",\"1/1\",\"Running\",\"0\",\"5m\",\"fd00::1\",\"node-1\",\"node-2\",\"1/2\"]");
}

static void test_pod_row_conditions(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *c = kapi_printer_row_conditions(pool, "", "pods", parse(pool, "{\"status\":{\"phase\":\"Failed\"}}"));
    assert_non_null(c);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, c);
    assert_string_equal(b.data, "[{\"type\":\"Completed\",\"status\":\"True\",\"reason\":\"Failed\","
                                "\"message\":\"The pod failed.\"}]");
    kapi_buf_dispose(&b);
    assert_null(kapi_printer_row_conditions(pool, "", "pods", parse(pool, "{\"status\":{\"phase\":\"Running\"}}")));
    assert_null(kapi_printer_row_conditions(pool, "apps", "deployments", parse(pool, "{}")));
    kapi_pool_free(pool);
}

static void test_workloads(void **state)
{
    (void)state;
    CHECK("apps", "deployments",
          "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2023-12-30T12:00:00Z\"},"
          "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"},"
          "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"canary\"]},"
          "{\"key\":\"legacy\",\"operator\":\"DoesNotExist\"}]},"
          "\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.25\"},"
          "{\"name\":\"log\",\"image\":\"busybox\"}]}}},"
          "\"status\":{\"readyReplicas\":2,\"updatedReplicas\":3,\"availableReplicas\":2}}",
          "[\"web\",\"2/3\",3,2,\"2d\",\"app,log\",\"nginx:1.25,busybox\","
          "\"app=web,env in (canary,prod),!legacy,tier=fe\"]");
    /* No status yet; replicas defaults to 1; an invalid selector. */
    CHECK("apps", "deployments",
          "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchExpressions\":"
          "[{\"key\":\"a\",\"operator\":\"In\"}]}}}",
          "[\"d\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"<invalid>\"]");
    CHECK("apps", "replicasets",
          "{\"metadata\":{\"name\":\"web-5d\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
          "\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}},"
          "\"status\":{\"replicas\":2,\"readyReplicas\":1}}",
          "[\"web-5d\",2,2,1,\"60m\",\"app\",\"nginx\",\"app=web\"]");
    CHECK("apps", "statefulsets",
          "{\"metadata\":{\"name\":\"db\",\"creationTimestamp\":\"2024-01-01T11:59:00Z\"},"
          "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":[{\"name\":\"pg\",\"image\":\"postgres\"}]}}},"
          "\"status\":{\"readyReplicas\":3}}",
          "[\"db\",\"3/3\",\"60s\",\"pg\",\"postgres\"]");
    CHECK("apps", "daemonsets",
          "{\"metadata\":{\"name\":\"agent\",\"creationTimestamp\":\"2024-01-01T09:30:00Z\"},"
          "\"spec\":{\"selector\":{},\"template\":{\"spec\":{\"nodeSelector\":{\"os\":\"linux\",\"disk\":\"ssd\"},"
          "\"containers\":[{\"name\":\"a\",\"image\":\"agent:1\"}]}}},"
          "\"status\":{\"desiredNumberScheduled\":3,\"currentNumberScheduled\":3,\"numberReady\":2,"
          "\"updatedNumberScheduled\":3,\"numberAvailable\":2}}",
          "[\"agent\",3,3,2,3,2,\"disk=ssd,os=linux\",\"150m\",\"a\",\"agent:1\",\"<none>\"]");
    CHECK("apps", "controllerrevisions",
          "{\"metadata\":{\"name\":\"db-7f\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\","
          "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"db\","
          "\"controller\":true}]},\"revision\":2}",
          "[\"db-7f\",\"statefulset.apps/db\",2,\"60m\"]");
    CHECK("apps", "controllerrevisions", "{\"metadata\":{\"name\":\"x\"},\"revision\":1}",
          "[\"x\",\"<none>\",1,\"<unknown>\"]");
}

static void test_jobs(void **state)
{
    (void)state;
#define JOB_META "\"metadata\":{\"name\":\"pi\",\"creationTimestamp\":\"2024-01-01T11:50:00Z\"}"
#define JOB_TPL "\"template\":{\"spec\":{\"containers\":[{\"name\":\"pi\",\"image\":\"perl\"}]}}"
    CHECK("batch", "jobs",
          "{" JOB_META ",\"spec\":{\"completions\":1,\"parallelism\":1,"
          "\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"u1\"}}," JOB_TPL "},"
          "\"status\":{\"succeeded\":1,\"startTime\":\"2024-01-01T11:50:00Z\","
          "\"completionTime\":\"2024-01-01T11:50:42Z\","
          "\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\"},"
          "{\"type\":\"Complete\",\"status\":\"True\"}]}}",
          "[\"pi\",\"Complete\",\"1/1\",\"42s\",\"10m\",\"pi\",\"perl\","
          "\"batch.kubernetes.io/controller-uid=u1\"]");
    /* Still running: duration counts up to now. */
    CHECK("batch", "jobs",
          "{" JOB_META ",\"spec\":{\"completions\":5," JOB_TPL "},"
          "\"status\":{\"succeeded\":2,\"startTime\":\"2024-01-01T11:53:30Z\"}}",
          "[\"pi\",\"Running\",\"2/5\",\"6m30s\",\"10m\",\"pi\",\"perl\",\"<none>\"]");
    CHECK("batch", "jobs",
          "{" JOB_META ",\"spec\":{\"parallelism\":3," JOB_TPL "},"
          "\"status\":{\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"}]}}",
          "[\"pi\",\"Failed\",\"0/1 of 3\",\"\",\"10m\",\"pi\",\"perl\",\"<none>\"]");
    CHECK("batch", "jobs",
          "{" JOB_META ",\"spec\":{\"suspend\":true," JOB_TPL "},"
          "\"status\":{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\"}]}}",
          "[\"pi\",\"Suspended\",\"0/1\",\"\",\"10m\",\"pi\",\"perl\",\"<none>\"]");
    CHECK("batch", "cronjobs",
          "{\"metadata\":{\"name\":\"nightly\",\"creationTimestamp\":\"2023-12-25T12:00:00Z\"},"
          "\"spec\":{\"schedule\":\"0 3 * * *\",\"jobTemplate\":{\"spec\":{" JOB_TPL "}}},"
          "\"status\":{\"active\":[{\"name\":\"nightly-1\"}],\"lastScheduleTime\":\"2024-01-01T03:00:00Z\"}}",
          "[\"nightly\",\"0 3 * * *\",\"<none>\",\"False\",1,\"9h\",\"7d\",\"pi\",\"perl\",\"<none>\"]");
    CHECK("batch", "cronjobs",
          "{\"metadata\":{\"name\":\"c\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"schedule\":\"@hourly\",\"timeZone\":\"Etc/UTC\",\"suspend\":true,\"jobTemplate\":{}}}",
          "[\"c\",\"@hourly\",\"Etc/UTC\",\"True\",0,\"<none>\",\"60m\",\"\",\"\",\"<none>\"]");
#undef JOB_META
#undef JOB_TPL
}

static void test_services(void **state)
{
    (void)state;
#define SVC_META "\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"}"
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],"
          "\"ports\":[{\"port\":53,\"protocol\":\"UDP\"},{\"port\":53,\"protocol\":\"TCP\"}],"
          "\"selector\":{\"k8s-app\":\"dns\"}}}",
          "[\"web\",\"ClusterIP\",\"10.96.0.10\",\"<none>\",\"53/UDP,53/TCP\",\"60m\",\"k8s-app=dns\"]");
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"type\":\"NodePort\",\"clusterIPs\":[\"10.96.1.1\"],\"externalIPs\":[\"1.2.3.4\"],"
          "\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"}]}}",
          "[\"web\",\"NodePort\",\"10.96.1.1\",\"1.2.3.4\",\"80:30080/TCP\",\"60m\",\"<none>\"]");
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.1.2\"],"
          "\"ports\":[{\"port\":443,\"nodePort\":31443,\"protocol\":\"TCP\"}]}}",
          "[\"web\",\"LoadBalancer\",\"10.96.1.2\",\"<pending>\",\"443:31443/TCP\",\"60m\",\"<none>\"]");
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.1.2\"],\"externalIPs\":[\"9.9.9.9\"],"
          "\"ports\":[{\"port\":443,\"protocol\":\"TCP\"}]},\"status\":{\"loadBalancer\":{\"ingress\":"
          "[{\"ip\":\"5.6.7.8\"},{\"hostname\":\"lb.example.com\"},{\"ip\":\"1.1.1.1\"}]}}}",
          "[\"web\",\"LoadBalancer\",\"10.96.1.2\",\"1.1.1.1,5.6.7.8,lb.example.com,9.9.9.9\",\"443/TCP\",\"60m\","
          "\"<none>\"]");
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}}",
          "[\"web\",\"ExternalName\",\"<none>\",\"db.example.com\",\"<none>\",\"60m\",\"<none>\"]");
    CHECK("", "services",
          "{" SVC_META ",\"spec\":{\"clusterIPs\":[\"None\"],\"ports\":[{\"port\":80}]}}",
          "[\"web\",\"ClusterIP\",\"None\",\"<none>\",\"80/TCP\",\"60m\",\"<none>\"]");
#undef SVC_META
    CHECK("", "endpoints",
          "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},\"subsets\":["
          "{\"addresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"port\":80},{\"port\":443}]},"
          "{\"addresses\":[{\"ip\":\"fd00::3\"}],\"ports\":[{\"port\":8080}]}]}",
          "[\"web\",\"10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...\",\"60m\"]");
    CHECK("", "endpoints",
          "{\"metadata\":{\"name\":\"web\"},\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::3\"}],\"ports\":[{\"port\":8080}]}]}",
          "[\"web\",\"[fd00::3]:8080\",\"<unknown>\"]");
    CHECK("", "endpoints", "{\"metadata\":{\"name\":\"web\"}}", "[\"web\",\"<none>\",\"<unknown>\"]");
    CHECK("discovery.k8s.io", "endpointslices",
          "{\"metadata\":{\"name\":\"web-abc\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},\"addressType\":\"IPv4\","
          "\"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"named\"}],"
          "\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]},{\"addresses\":[\"10.0.0.2\",\"10.0.0.3\",\"10.0.0.4\",\"10.0.0.5\"]}]}",
          "[\"web-abc\",\"IPv4\",\"80,named\",\"10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...\",\"60m\"]");
    CHECK("discovery.k8s.io", "endpointslices", "{\"metadata\":{\"name\":\"e\"},\"addressType\":\"IPv6\"}",
          "[\"e\",\"IPv6\",\"<unset>\",\"<unset>\",\"<unknown>\"]");
}

static void test_nodes_namespaces_config(void **state)
{
    (void)state;
    CHECK("", "nodes",
          "{\"metadata\":{\"name\":\"cp-1\",\"creationTimestamp\":\"2023-12-01T12:00:00Z\","
          "\"labels\":{\"node-role.kubernetes.io/control-plane\":\"\",\"kubernetes.io/role\":\"master\","
          "\"node-role.kubernetes.io/\":\"x\"}},\"spec\":{\"unschedulable\":true},"
          "\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
          "{\"type\":\"Ready\",\"status\":\"True\"}],\"addresses\":[{\"type\":\"Hostname\",\"address\":\"cp-1\"},"
          "{\"type\":\"InternalIP\",\"address\":\"192.168.1.10\"}],"
          "\"nodeInfo\":{\"kubeletVersion\":\"v1.33.0\",\"osImage\":\"Debian GNU/Linux 12\","
          "\"kernelVersion\":\"6.1.0\",\"containerRuntimeVersion\":\"containerd://1.7.0\"}}}",
          "[\"cp-1\",\"Ready,SchedulingDisabled\",\"control-plane,master\",\"31d\",\"v1.33.0\",\"192.168.1.10\","
          "\"<none>\",\"Debian GNU/Linux 12\",\"6.1.0\",\"containerd://1.7.0\"]");
    CHECK("", "nodes", "{\"metadata\":{\"name\":\"n\"}}",
          "[\"n\",\"Unknown\",\"<none>\",\"<unknown>\",\"\",\"<none>\",\"<none>\",\"<unknown>\",\"<unknown>\","
          "\"<unknown>\"]");
    CHECK("", "namespaces",
          "{\"metadata\":{\"name\":\"kube-system\",\"creationTimestamp\":\"2024-01-01T11:59:58Z\"},"
          "\"status\":{\"phase\":\"Active\"}}",
          "[\"kube-system\",\"Active\",\"2s\"]");
    CHECK("", "configmaps",
          "{\"metadata\":{\"name\":\"cfg\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"data\":{\"a\":\"1\",\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}",
          "[\"cfg\",3,\"60m\"]");
    CHECK("", "secrets",
          "{\"metadata\":{\"name\":\"tls\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"AA==\",\"tls.key\":\"AA==\"}}",
          "[\"tls\",\"kubernetes.io/tls\",2,\"60m\"]");
    CHECK("", "serviceaccounts", "{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"}}",
          "[\"default\",0,\"60m\"]");
    CHECK("", "podtemplates",
          "{\"metadata\":{\"name\":\"t\"},\"template\":{\"metadata\":{\"labels\":{\"b\":\"2\",\"a\":\"1\"}},"
          "\"spec\":{\"containers\":[{\"name\":\"c1\",\"image\":\"i1\"},{\"name\":\"c2\",\"image\":\"i2\"}]}}}",
          "[\"t\",\"c1,c2\",\"i1,i2\",\"a=1,b=2\"]");
    CHECK("", "replicationcontrollers",
          "{\"metadata\":{\"name\":\"rc\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"replicas\":2,\"selector\":{\"app\":\"x\"}},\"status\":{\"replicas\":2,\"readyReplicas\":2}}",
          "[\"rc\",2,2,2,\"60m\",\"\",\"\",\"app=x\"]");
    CHECK("", "resourcequotas",
          "{\"metadata\":{\"name\":\"q\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},\"status\":{"
          "\"hard\":{\"pods\":\"10\",\"limits.memory\":\"2Gi\",\"requests.cpu\":\"1\",\"limits.cpu\":\"2\"},"
          "\"used\":{\"pods\":\"3\",\"requests.cpu\":\"500m\"}}}",
          "[\"q\",\"pods: 3/10, requests.cpu: 500m/1\",\"limits.cpu: 0/2, limits.memory: 0/2Gi\",\"60m\"]");
}

static void test_storage(void **state)
{
    (void)state;
    CHECK("", "persistentvolumes",
          "{\"metadata\":{\"name\":\"pv1\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"capacity\":{\"storage\":\"10Gi\"},\"accessModes\":[\"ReadWriteMany\",\"ReadWriteOnce\"],"
          "\"persistentVolumeReclaimPolicy\":\"Delete\",\"storageClassName\":\"fast\",\"volumeMode\":\"Block\","
          "\"claimRef\":{\"namespace\":\"default\",\"name\":\"data\"}},\"status\":{\"phase\":\"Bound\"}}",
          "[\"pv1\",\"10Gi\",\"RWO,RWX\",\"Delete\",\"Bound\",\"default/data\",\"fast\",\"<unset>\",\"\",\"60m\","
          "\"Block\"]");
    CHECK("", "persistentvolumeclaims",
          "{\"metadata\":{\"name\":\"data\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"volumeName\":\"pv1\",\"storageClassName\":\"fast\",\"volumeMode\":\"Filesystem\","
          "\"resources\":{\"requests\":{\"storage\":\"5Gi\"}}},"
          "\"status\":{\"phase\":\"Bound\",\"capacity\":{\"storage\":\"10Gi\"},\"accessModes\":[\"ReadWriteOnce\"]}}",
          "[\"data\",\"Bound\",\"pv1\",\"10Gi\",\"RWO\",\"fast\",\"<unset>\",\"60m\",\"Filesystem\"]");
    /* Unbound: no capacity or modes; the beta annotation wins over the field. */
    CHECK("", "persistentvolumeclaims",
          "{\"metadata\":{\"name\":\"d\",\"annotations\":{\"volume.beta.kubernetes.io/storage-class\":\"old\"},"
          "\"deletionTimestamp\":\"2024-01-01T12:00:00Z\"},\"spec\":{\"storageClassName\":\"new\"},"
          "\"status\":{\"phase\":\"Pending\"}}",
          "[\"d\",\"Terminating\",\"\",\"\",\"\",\"old\",\"<unset>\",\"<unknown>\",\"Filesystem\"]");
    CHECK("storage.k8s.io", "storageclasses",
          "{\"metadata\":{\"name\":\"standard\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\","
          "\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}},"
          "\"provisioner\":\"rancher.io/local-path\",\"volumeBindingMode\":\"WaitForFirstConsumer\"}",
          "[\"standard (default)\",\"rancher.io/local-path\",\"Delete\",\"WaitForFirstConsumer\",false,\"60m\"]");
    CHECK("storage.k8s.io", "csidrivers",
          "{\"metadata\":{\"name\":\"csi.example.com\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"attachRequired\":false,\"podInfoOnMount\":true,"
          "\"tokenRequests\":[{\"audience\":\"a\"},{\"audience\":\"b\"}],"
          "\"volumeLifecycleModes\":[\"Persistent\",\"Ephemeral\"]}}",
          "[\"csi.example.com\",false,true,false,\"a,b\",false,\"Persistent,Ephemeral\",\"60m\"]");
    CHECK("storage.k8s.io", "volumeattachments",
          "{\"metadata\":{\"name\":\"va\"},\"spec\":{\"attacher\":\"csi.example.com\",\"nodeName\":\"n1\","
          "\"source\":{\"persistentVolumeName\":\"pv1\"}},\"status\":{\"attached\":true}}",
          "[\"va\",\"csi.example.com\",\"pv1\",\"n1\",true,\"<unknown>\"]");
    CHECK("storage.k8s.io", "csistoragecapacities",
          "{\"metadata\":{\"name\":\"cap\"},\"storageClassName\":\"fast\",\"capacity\":\"100Gi\"}",
          "[\"cap\",\"fast\",\"100Gi\"]");
    CHECK("storage.k8s.io", "csinodes",
          "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"drivers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
          "[\"n1\",2,\"<unknown>\"]");
}

static void test_events(void **state)
{
    (void)state;
    CHECK("", "events",
          "{\"metadata\":{\"name\":\"web.17a\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web\","
          "\"fieldPath\":\"spec.containers{app}\"},\"reason\":\"Pulled\",\"message\":\"  Image pulled\\n\","
          "\"source\":{\"component\":\"kubelet\",\"host\":\"n1\"},\"firstTimestamp\":\"2024-01-01T11:40:00Z\","
          "\"lastTimestamp\":\"2024-01-01T11:58:00Z\",\"count\":4,\"type\":\"Normal\"}",
          "[\"2m\",\"Normal\",\"Pulled\",\"pod/web\",\"spec.containers{app}\",\"kubelet, n1\",\"Image pulled\","
          "\"20m\",4,\"web.17a\"]");
    /* New-style event: eventTime and series, reporting controller as source. */
    CHECK("", "events",
          "{\"metadata\":{\"name\":\"e2\"},\"involvedObject\":{\"kind\":\"Node\"},\"reason\":\"Started\","
          "\"eventTime\":\"2024-01-01T11:00:00.123456Z\",\"series\":{\"count\":7,"
          "\"lastObservedTime\":\"2024-01-01T11:59:30.000000Z\"},\"reportingController\":\"ctl\","
          "\"type\":\"Warning\",\"message\":\"m\"}",
          "[\"30s\",\"Warning\",\"Started\",\"node\",\"\",\"ctl\",\"m\",\"60m\",7,\"e2\"]");
    CHECK("events.k8s.io", "events",
          "{\"metadata\":{\"name\":\"e3\"},\"regarding\":{\"kind\":\"Deployment\",\"name\":\"web\"},"
          "\"reason\":\"ScalingReplicaSet\",\"note\":\"Scaled up\",\"type\":\"Normal\","
          "\"eventTime\":null,\"reportingController\":\"deployment-controller\",\"reportingInstance\":\"cm-1\","
          "\"deprecatedFirstTimestamp\":\"2024-01-01T11:59:00Z\",\"deprecatedLastTimestamp\":\"2024-01-01T11:59:00Z\","
          "\"deprecatedCount\":1}",
          "[\"60s\",\"Normal\",\"ScalingReplicaSet\",\"deployment/web\",\"\",\"deployment-controller, cm-1\","
          "\"Scaled up\",\"60s\",1,\"e3\"]");
    CHECK("", "events", "{\"metadata\":{\"name\":\"e4\"}}",
          "[\"<unknown>\",\"\",\"\",\"\",\"\",\"\",\"\",\"<unknown>\",1,\"e4\"]");
}

static void test_networking_and_rbac(void **state)
{
    (void)state;
    CHECK("networking.k8s.io", "ingresses",
          "{\"metadata\":{\"name\":\"ing\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"ingressClassName\":\"nginx\",\"tls\":[{\"hosts\":[\"a.example.com\"]}],"
          "\"rules\":[{\"host\":\"a.example.com\"},{},{\"host\":\"b.example.com\"},{\"host\":\"c.example.com\"},"
          "{\"host\":\"d.example.com\"}]},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.10\"}]}}}",
          "[\"ing\",\"nginx\",\"a.example.com,b.example.com,c.example.com + 2 more...\",\"203.0.113.10\","
          "\"80, 443\",\"60m\"]");
    CHECK("networking.k8s.io", "ingresses", "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"rules\":[{}]}}",
          "[\"i\",\"<none>\",\"*\",\"\",\"80\",\"<unknown>\"]");
    CHECK("networking.k8s.io", "ingressclasses",
          "{\"metadata\":{\"name\":\"nginx\"},\"spec\":{\"controller\":\"k8s.io/ingress-nginx\","
          "\"parameters\":{\"apiGroup\":\"k8s.example.com\",\"kind\":\"IngressParameters\",\"name\":\"p\"}}}",
          "[\"nginx\",\"k8s.io/ingress-nginx\",\"IngressParameters.k8s.example.com/p\",\"<unknown>\"]");
    CHECK("networking.k8s.io", "networkpolicies",
          "{\"metadata\":{\"name\":\"deny\"},\"spec\":{\"podSelector\":{}}}", "[\"deny\",\"<none>\",\"<unknown>\"]");
    CHECK("networking.k8s.io", "networkpolicies",
          "{\"metadata\":{\"name\":\"np\"},\"spec\":{\"podSelector\":{\"matchExpressions\":"
          "[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"b\",\"a\",\"b\"]},{\"key\":\"x\",\"operator\":\"Exists\"}]}}}",
          "[\"np\",\"tier notin (a,b),x\",\"<unknown>\"]");
    CHECK("networking.k8s.io", "servicecidrs",
          "{\"metadata\":{\"name\":\"kubernetes\"},\"spec\":{\"cidrs\":[\"10.96.0.0/12\",\"fd00::/108\"]}}",
          "[\"kubernetes\",\"10.96.0.0/12,fd00::/108\",\"<unknown>\"]");
    CHECK("networking.k8s.io", "ipaddresses",
          "{\"metadata\":{\"name\":\"10.96.0.1\"},\"spec\":{\"parentRef\":{\"group\":\"\",\"resource\":\"services\","
          "\"namespace\":\"default\",\"name\":\"kubernetes\"}}}",
          "[\"10.96.0.1\",\"services/default/kubernetes\",\"<unknown>\"]");
    CHECK("rbac.authorization.k8s.io", "clusterrolebindings",
          "{\"metadata\":{\"name\":\"admins\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"},"
          "\"subjects\":[{\"kind\":\"Group\",\"name\":\"system:masters\"},{\"kind\":\"User\",\"name\":\"alice\"},"
          "{\"kind\":\"ServiceAccount\",\"namespace\":\"kube-system\",\"name\":\"ctl\"},"
          "{\"kind\":\"User\",\"name\":\"bob\"}]}",
          "[\"admins\",\"ClusterRole/cluster-admin\",\"60m\",\"alice, bob\",\"system:masters\",\"kube-system/ctl\"]");
    CHECK("rbac.authorization.k8s.io", "rolebindings",
          "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"reader\"}}",
          "[\"rb\",\"Role/reader\",\"<unknown>\",\"\",\"\",\"\"]");
}

static void test_cluster_kinds(void **state)
{
    (void)state;
    CHECK("coordination.k8s.io", "leases",
          "{\"metadata\":{\"name\":\"kube-scheduler\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"holderIdentity\":\"cp-1_abc\"}}",
          "[\"kube-scheduler\",\"cp-1_abc\",\"60m\"]");
    CHECK("scheduling.k8s.io", "priorityclasses",
          "{\"metadata\":{\"name\":\"system-node-critical\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"value\":2000001000,\"preemptionPolicy\":\"PreemptLowerPriority\"}",
          "[\"system-node-critical\",2000001000,false,\"60m\",\"PreemptLowerPriority\"]");
    CHECK("node.k8s.io", "runtimeclasses", "{\"metadata\":{\"name\":\"gvisor\"},\"handler\":\"runsc\"}",
          "[\"gvisor\",\"runsc\",\"<unknown>\"]");
    CHECK("policy", "poddisruptionbudgets",
          "{\"metadata\":{\"name\":\"pdb\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"minAvailable\":\"50%\"},\"status\":{\"disruptionsAllowed\":1}}",
          "[\"pdb\",\"50%\",\"N/A\",1,\"60m\"]");
    CHECK("policy", "poddisruptionbudgets", "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"maxUnavailable\":1}}",
          "[\"p\",\"N/A\",\"1\",0,\"<unknown>\"]");
    CHECK("autoscaling", "horizontalpodautoscalers",
          "{\"apiVersion\":\"autoscaling/v2\",\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2024-01-01T11:00:00Z\"},"
          "\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"},\"minReplicas\":2,\"maxReplicas\":10,"
          "\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\","
          "\"averageUtilization\":60}}},{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":"
          "{\"type\":\"AverageValue\",\"averageValue\":\"500Mi\"}}},{\"type\":\"Pods\",\"pods\":{\"target\":"
          "{\"averageValue\":\"1k\"}}}]},"
          "\"status\":{\"currentReplicas\":3,\"currentMetrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
          "\"current\":{\"averageUtilization\":45,\"averageValue\":\"120m\"}}}]}}",
          "[\"web\",\"Deployment/web\",\"cpu: 45%/60%, memory: <unknown>/500Mi + 1 more...\",\"2\",10,3,\"60m\"]");
    CHECK("autoscaling", "horizontalpodautoscalers",
          "{\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"v1\"},\"spec\":{\"scaleTargetRef\":"
          "{\"kind\":\"Deployment\",\"name\":\"web\"},\"maxReplicas\":4,\"targetCPUUtilizationPercentage\":70},"
          "\"status\":{\"currentReplicas\":1,\"currentCPUUtilizationPercentage\":12}}",
          "[\"v1\",\"Deployment/web\",\"cpu: 12%/70%\",\"1\",4,1,\"<unknown>\"]");
    CHECK("certificates.k8s.io", "certificatesigningrequests",
          "{\"metadata\":{\"name\":\"csr-1\",\"creationTimestamp\":\"2024-01-01T11:58:00Z\"},"
          "\"spec\":{\"signerName\":\"kubernetes.io/kube-apiserver-client\",\"username\":\"alice\","
          "\"expirationSeconds\":86400},"
          "\"status\":{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\"}],\"certificate\":\"AAAA\"}}",
          "[\"csr-1\",\"2m\",\"kubernetes.io/kube-apiserver-client\",\"alice\",\"24h\",\"Approved,Issued\"]");
    CHECK("certificates.k8s.io", "certificatesigningrequests", "{\"metadata\":{\"name\":\"c\"}}",
          "[\"c\",\"<unknown>\",\"<none>\",\"\",\"<none>\",\"Pending\"]");
    CHECK("admissionregistration.k8s.io", "validatingwebhookconfigurations",
          "{\"metadata\":{\"name\":\"w\"},\"webhooks\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "[\"w\",2,\"<unknown>\"]");
    CHECK("admissionregistration.k8s.io", "validatingadmissionpolicies",
          "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"paramKind\":{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"},"
          "\"validations\":[{\"expression\":\"true\"}]}}",
          "[\"p\",1,\"v1/ConfigMap\",\"<unknown>\"]");
    CHECK("admissionregistration.k8s.io", "validatingadmissionpolicybindings",
          "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"policyName\":\"p\",\"paramRef\":{\"name\":\"cfg\"}}}",
          "[\"b\",\"p\",\"*/cfg\",\"<unknown>\"]");
    CHECK("admissionregistration.k8s.io", "validatingadmissionpolicybindings",
          "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"policyName\":\"p\",\"paramRef\":{\"selector\":"
          "{\"matchLabels\":{\"b\":\"2\",\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\","
          "\"values\":[\"x\",\"y\"]}]}}}}",
          "[\"b\",\"p\",\"&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:"
          "[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}\",\"<unknown>\"]");
    CHECK("flowcontrol.apiserver.k8s.io", "flowschemas",
          "{\"metadata\":{\"name\":\"exempt\"},\"spec\":{\"priorityLevelConfiguration\":{\"name\":\"exempt\"},"
          "\"matchingPrecedence\":1,\"distinguisherMethod\":{\"type\":\"ByUser\"}},"
          "\"status\":{\"conditions\":[{\"type\":\"Dangling\",\"status\":\"False\"}]}}",
          "[\"exempt\",\"exempt\",1,\"ByUser\",\"<unknown>\",\"False\"]");
    CHECK("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations",
          "{\"metadata\":{\"name\":\"global-default\"},\"spec\":{\"type\":\"Limited\",\"limited\":"
          "{\"nominalConcurrencyShares\":20,\"limitResponse\":{\"type\":\"Queue\",\"queuing\":"
          "{\"queues\":128,\"handSize\":6,\"queueLengthLimit\":50}}}}}",
          "[\"global-default\",\"Limited\",20,128,6,50,\"<unknown>\"]");
    CHECK("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations",
          "{\"metadata\":{\"name\":\"exempt\"},\"spec\":{\"type\":\"Exempt\",\"exempt\":{}}}",
          "[\"exempt\",\"Exempt\",\"<none>\",\"<none>\",\"<none>\",\"<none>\",\"<unknown>\"]");
    CHECK("apiregistration.k8s.io", "apiservices",
          "{\"metadata\":{\"name\":\"v1.\"},\"spec\":{\"version\":\"v1\"},"
          "\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"Local\"}]}}",
          "[\"v1.\",\"Local\",\"True\",\"<unknown>\"]");
    CHECK("apiregistration.k8s.io", "apiservices",
          "{\"metadata\":{\"name\":\"v1beta1.metrics.k8s.io\"},\"spec\":{\"service\":{\"namespace\":\"kube-system\","
          "\"name\":\"metrics-server\"}},\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"False\","
          "\"reason\":\"MissingEndpoints\"}]}}",
          "[\"v1beta1.metrics.k8s.io\",\"kube-system/metrics-server\",\"False (MissingEndpoints)\",\"<unknown>\"]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_human_duration),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_every_printer_is_total),
        cmocka_unit_test(test_pod_running),
        cmocka_unit_test(test_pod_pending),
        cmocka_unit_test(test_pod_crashloop_restarts),
        cmocka_unit_test(test_pod_terminated_states),
        cmocka_unit_test(test_pod_terminating),
        cmocka_unit_test(test_pod_init_containers),
        cmocka_unit_test(test_pod_wide),
        cmocka_unit_test(test_pod_row_conditions),
        cmocka_unit_test(test_workloads),
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_nodes_namespaces_config),
        cmocka_unit_test(test_storage),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_networking_and_rbac),
        cmocka_unit_test(test_cluster_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
