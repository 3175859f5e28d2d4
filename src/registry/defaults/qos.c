/* registry/defaults: the pod QoS class the pod strategy stores in
 * status.qosClass on create, from the cpu and memory requests and limits of
 * the regular and init containers (pod-level resources are off in 1.33). */
#include "defaults_int.h"

#include <string.h>

#include "../../schema/quantity.h"

/* Far above any real quantity; sums saturate here instead of overflowing. */
#define NANO_MAX ((__int128)1000000000000000000LL * (__int128)1000000000000000000LL)

static __int128 sat_mul(__int128 a, __int128 b)
{
    if (a != 0 && b > NANO_MAX / a)
        return NANO_MAX;
    return a * b;
}

bool kapi_dflt_quantity_nano(const char *s, __int128 *out)
{
    if (!s)
        return false;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    __int128 mant = 0;
    int exp10 = 0, ndig = 0;
    bool dot = false;
    for (; (*s >= '0' && *s <= '9') || *s == '.'; s++) {
        if (*s == '.') {
            if (dot)
                return false;
            dot = true;
            continue;
        }
        ndig++;
        if (mant < NANO_MAX / 10) {
            mant = mant * 10 + (*s - '0');
            if (dot)
                exp10--;
        } else if (!dot) {
            exp10++; /* digits past our precision still scale the value */
        }
    }
    if (ndig == 0)
        return false;
    int bin = 0;
    if (*s == '\0') {
    } else if ((*s == 'e' || *s == 'E') && s[1] != '\0' && s[1] != 'i') {
        s++;
        bool eneg = false;
        if (*s == '+' || *s == '-')
            eneg = *s++ == '-';
        if (!*s)
            return false;
        int e = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            e = e < 1000 ? e * 10 + (*s - '0') : e;
        if (*s)
            return false;
        exp10 += eneg ? -e : e;
    } else {
        static const struct { const char *suf; int e10, e2; } sufs[] = {
            {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
            {"n", -9, 0}, {"u", -6, 0}, {"m", -3, 0}, {"k", 3, 0}, {"M", 6, 0}, {"G", 9, 0},
            {"T", 12, 0}, {"P", 15, 0}, {"E", 18, 0},
        };
        size_t i, n = sizeof(sufs) / sizeof(sufs[0]);
        for (i = 0; i < n; i++)
            if (strcmp(s, sufs[i].suf) == 0)
                break;
        if (i == n)
            return false;
        exp10 += sufs[i].e10;
        bin = sufs[i].e2;
    }
    __int128 v = mant;
    int e = exp10 + 9;
    for (; e > 0 && v < NANO_MAX; e--)
        v = sat_mul(v, 10);
    if (e > 0)
        v = NANO_MAX;
    for (; e < 0 && v != 0; e++)
        v = (v + 9) / 10; /* upstream rounds up to the nearest nano */
    v = sat_mul(v, (__int128)1 << bin);
    *out = neg ? -v : v;
    return true;
}

struct qos_sum {
    __int128 req[2], lim[2];
    bool has_req[2], has_lim[2];
};

static const char *const qos_res[2] = {"cpu", "memory"};

static void add(__int128 *sum, __int128 v)
{
    *sum = *sum > NANO_MAX - v ? NANO_MAX : *sum + v;
}

static bool qos_containers(const struct kapi_value *arr, struct qos_sum *q)
{
    bool guaranteed = true;
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        struct kapi_value *res = kapi_dflt_obj(arr->u.arr.items[i], "resources");
        struct kapi_value *req = kapi_dflt_obj(res, "requests");
        struct kapi_value *lim = kapi_dflt_obj(res, "limits");
        bool found[2] = {false, false};
        for (int r = 0; r < 2; r++) {
            __int128 v;
            if (kapi_dflt_quantity_nano(kapi_obj_get_str(req, qos_res[r]), &v) && v > 0) {
                add(&q->req[r], v);
                q->has_req[r] = true;
            }
            if (kapi_dflt_quantity_nano(kapi_obj_get_str(lim, qos_res[r]), &v) && v > 0) {
                add(&q->lim[r], v);
                q->has_lim[r] = true;
                found[r] = true;
            }
        }
        if (!found[0] || !found[1])
            guaranteed = false;
    }
    return guaranteed;
}

const char *kapi_defaults_pod_qos(const struct kapi_value *pod)
{
    struct kapi_value *spec = kapi_dflt_obj(pod, "spec");
    struct qos_sum q;
    memset(&q, 0, sizeof(q));
    bool g1 = qos_containers(kapi_dflt_arr(spec, "containers"), &q);
    bool g2 = qos_containers(kapi_dflt_arr(spec, "initContainers"), &q);
    bool guaranteed = g1 && g2;
    int nreq = q.has_req[0] + q.has_req[1], nlim = q.has_lim[0] + q.has_lim[1];
    if (nreq == 0 && nlim == 0)
        return "BestEffort";
    for (int r = 0; guaranteed && r < 2; r++)
        if (q.has_req[r] && (!q.has_lim[r] || q.lim[r] != q.req[r]))
            guaranteed = false;
    return guaranteed && nreq == nlim ? "Guaranteed" : "Burstable";
}

/* A quantity finer than 1m becomes the next milli value up; upstream then
 * writes it afresh in its format (an exponent stays an exponent). Quantities
 * already at milli precision or coarser keep their text. */
void kapi_dflt_resource_list(struct kapi_pool *pool, struct kapi_value *list)
{
    if (!list || list->type != KAPI_V_OBJECT)
        return;
    for (size_t i = 0; i < list->u.obj.len; i++) {
        struct kapi_member *m = &list->u.obj.members[i];
        const char *s = kapi_value_cstr(m->val);
        __int128 v;
        if (!s || !kapi_dflt_quantity_nano(s, &v) || v <= 0 || v >= NANO_MAX || v % 1000000 == 0)
            continue;
        __int128 milli = v / 1000000 + 1;
        bool exponent = false;
        for (const char *p = s; *p; p++)
            if ((*p == 'e' || *p == 'E') && (p[1] == '-' || p[1] == '+' || (p[1] >= '0' && p[1] <= '9')))
                exponent = true;
        char digits[48];
        size_t n = sizeof(digits);
        digits[--n] = '\0';
        do {
            digits[--n] = (char)('0' + (int)(milli % 10));
            milli /= 10;
        } while (milli > 0 && n > 0);
        const char *text = kapi_pool_printf(pool, "%s%s", &digits[n], exponent ? "e-3" : "m");
        const char *out = NULL, *err = NULL;
        if (kapi_quantity_canonical(pool, text, strlen(text), &out, &err) == 0) {
            struct kapi_value *nv = kapi_value_str(pool, out);
            kapi_quantity_carry_original(pool, nv, m->val);
            m->val = nv;
        }
    }
}
