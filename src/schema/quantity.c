/* Resource quantities, reproducing upstream's parse and String() rules.
 *
 * Upstream keeps small amounts in an int64 and falls back to arbitrary
 * precision decimals; both give the same canonical text, so one arbitrary
 * precision path (a decimal digit vector plus a power-of-ten scale) serves
 * here. What the int64 path decides on its own -- whether the caller's text
 * is already canonical and is kept verbatim -- is replayed exactly. */
#include "quantity.h"

#include "../codec/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum qformat { Q_DECEXP, Q_BINSI, Q_DECSI };

/* Unsigned big integer: decimal digits, least significant first, no
 * leading (most significant) zeros; n == 0 is zero. */
struct bn {
    uint8_t *d;
    size_t n, cap;
    uint8_t local[48];  /* d points here until more is needed */
};

static void bn_reserve(struct bn *b, size_t n)
{
    if (n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 32;
    while (cap < n)
        cap *= 2;
    if (b->d == b->local) {
        b->d = kapi_xmalloc(cap);
        memcpy(b->d, b->local, b->n);
    } else {
        b->d = kapi_xrealloc(b->d, cap);
    }
    b->cap = cap;
}

static void bn_trim(struct bn *b)
{
    while (b->n && b->d[b->n - 1] == 0)
        b->n--;
}

static void bn_set_u64(struct bn *b, uint64_t v)
{
    b->n = 0;
    bn_reserve(b, 20);
    while (v) {
        b->d[b->n++] = (uint8_t)(v % 10);
        v /= 10;
    }
}

static void bn_mul_small(struct bn *b, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t x = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint8_t)(x % 10);
        carry = x / 10;
    }
    while (carry) {
        bn_reserve(b, b->n + 1);
        b->d[b->n++] = (uint8_t)(carry % 10);
        carry /= 10;
    }
}

static void bn_add_one(struct bn *b)
{
    size_t i = 0;
    for (; i < b->n; i++) {
        if (b->d[i] < 9) {
            b->d[i]++;
            return;
        }
        b->d[i] = 0;
    }
    bn_reserve(b, b->n + 1);
    b->d[b->n++] = 1;
}

/* Drops the k lowest digits; returns whether any of them was non-zero. */
static bool bn_drop_low(struct bn *b, size_t k)
{
    bool nz = false;
    if (k >= b->n) {
        nz = b->n > 0;
        b->n = 0;
        return nz;
    }
    for (size_t i = 0; i < k; i++)
        nz |= b->d[i] != 0;
    memmove(b->d, b->d + k, b->n - k);
    b->n -= k;
    return nz;
}

static size_t bn_low_zeros(const struct bn *b)
{
    size_t z = 0;
    while (z < b->n && b->d[z] == 0)
        z++;
    return z;
}

/* Value as uint64 if it fits. */
static bool bn_to_u64(const struct bn *b, uint64_t *out)
{
    if (b->n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = b->n; i-- > 0;) {
        if (v > (UINT64_MAX - b->d[i]) / 10)
            return false;
        v = v * 10 + b->d[i];
    }
    *out = v;
    return true;
}

/* The parsed quantity: value = (neg ? -1 : 1) * u * 10^-scale. For the
 * int64 path, ival and iscale are upstream's int64Amount (value * 10^iscale);
 * capped says the arbitrary precision path replaced a binary amount by
 * 2^63-1. */
struct quantity {
    bool neg;
    struct bn u;
    int64_t scale;
    enum qformat fmt;
    int64_t ival;
    int32_t iscale;
    bool capped;
};

/* Integer part of q (scale >= 0 expected) compared with v: <0, 0, >0; *frac
 * says whether there is a non-zero fraction. */
static int int_part_cmp(const struct quantity *q, uint64_t v, bool *frac)
{
    size_t s = q->scale > 0 ? (size_t)q->scale : 0;
    *frac = false;
    for (size_t i = 0; i < s && i < q->u.n; i++)
        if (q->u.d[i]) {
            *frac = true;
            break;
        }
    struct bn ip = {0};
    if (q->u.n > s) {
        ip.n = ip.cap = q->u.n - s;
        ip.d = q->u.d + s;
    }
    uint64_t x;
    if (!bn_to_u64(&ip, &x))
        return 1;
    return x < v ? -1 : x > v;
}

struct parsed {
    bool positive;
    const char *value;
    size_t value_len;
    const char *num, *denom, *suffix;
    size_t num_len, denom_len, suffix_len;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* upstream's parseQuantityString, step for step (including what it lets
 * through: "1.", ".5", a bare sign, a bare suffix). */
static const char *split_quantity(const char *str, size_t end, struct parsed *p)
{
    static const char zero[] = "0";
    size_t pos = 0;
    memset(p, 0, sizeof(*p));
    p->positive = true;
    p->num = p->denom = p->suffix = p->value = str + end;
    if (pos < end) {
        if (str[0] == '-') {
            p->positive = false;
            pos++;
        } else if (str[0] == '+') {
            pos++;
        }
    }
    for (;;) {
        if (pos >= end) {
            p->num = p->value = zero;
            p->num_len = p->value_len = 1;
            return NULL;
        }
        if (str[pos] != '0')
            break;
        pos++;
    }
    size_t i = pos;
    while (i < end && is_digit(str[i]))
        i++;
    p->num = str + pos;
    p->num_len = i - pos;
    if (i >= end) {
        p->value = str;
        p->value_len = end;
        if (p->num_len == 0) {
            p->num = zero;
            p->num_len = 1;
        }
        return NULL;
    }
    pos = i;
    if (p->num_len == 0) {
        p->num = zero;
        p->num_len = 1;
    }
    if (pos < end && str[pos] == '.') {
        pos++;
        i = pos;
        while (i < end && is_digit(str[i]))
            i++;
        p->denom = str + pos;
        p->denom_len = i - pos;
        if (i >= end) {
            p->value = str;
            p->value_len = end;
            return NULL;
        }
        pos = i;
    }
    p->value = str;
    p->value_len = pos;
    size_t suffix_start = pos;
    while (pos < end && strchr("eEinumkKMGTP", str[pos]) && str[pos])
        pos++;
    if (pos < end && (str[pos] == '-' || str[pos] == '+'))
        pos++;
    while (pos < end && is_digit(str[pos]))
        pos++;
    if (pos < end)
        return KAPI_QUANTITY_ERR_FORMAT;
    p->suffix = str + suffix_start;
    p->suffix_len = end - suffix_start;
    return NULL;
}

/* upstream's suffixHandler.interpret. */
static bool interpret_suffix(const struct parsed *p, int *base, int32_t *exp, enum qformat *fmt)
{
    /* decimal SI: "", one letter; binary SI: a letter and 'i' */
    static const char dec_letters[] = "numkMGTPE";
    static const int32_t dec_exp[] = {-9, -6, -3, 3, 6, 9, 12, 15, 18};
    static const char bin_letters[] = "KMGTPE";
    if (p->suffix_len == 0) {
        *base = 10, *exp = 0, *fmt = Q_DECSI;
        return true;
    }
    if (p->suffix_len == 1 && p->suffix[0]) {
        const char *at = strchr(dec_letters, p->suffix[0]);
        if (at) {
            *base = 10, *exp = dec_exp[at - dec_letters], *fmt = Q_DECSI;
            return true;
        }
    }
    if (p->suffix_len == 2 && p->suffix[1] == 'i' && p->suffix[0]) {
        const char *at = strchr(bin_letters, p->suffix[0]);
        if (at) {
            *base = 2, *exp = 10 * (int32_t)(at - bin_letters + 1), *fmt = Q_BINSI;
            return true;
        }
    }
    if (p->suffix_len > 1 && (p->suffix[0] == 'e' || p->suffix[0] == 'E')) {
        /* strconv.ParseInt(s, 10, 64): optional sign, digits, no overflow */
        const char *s = p->suffix + 1, *e = p->suffix + p->suffix_len;
        bool neg = false;
        if (*s == '+' || *s == '-')
            neg = *s++ == '-';
        if (s == e)
            return false;
        uint64_t v = 0;
        for (; s < e; s++) {
            if (!is_digit(*s) || v > (UINT64_C(1) << 63) / 10)
                return false;
            v = v * 10 + (uint64_t)(*s - '0');
        }
        if (v > (neg ? (UINT64_C(1) << 63) : (uint64_t)INT64_MAX))
            return false;
        /* Go truncates the int64 to int32 here. */
        uint32_t t = (uint32_t)(neg ? (uint64_t)0 - v : v);
        *base = 10, *exp = (int32_t)t, *fmt = Q_DECEXP;
        return true;
    }
    return false;
}

/* The int64 path of upstream's ParseQuantity. Returns true when it applies,
 * filling q; *keep says the input text is kept as the canonical form. */
static bool parse_fast(const struct parsed *p, int32_t exponent, enum qformat fmt,
                       struct quantity *q, bool *keep)
{
    int64_t precision, scale = 0;
    uint64_t mantissa = 1;
    if (fmt == Q_BINSI) {
        if (exponent >= 0 && p->denom_len == 0) {
            mantissa = UINT64_C(1) << exponent;
            precision = 15 - (int64_t)p->num_len - exponent * 3 / 10 - 1;
        } else {
            precision = -1;
        }
    } else {
        scale = exponent;
        precision = 18 - (int64_t)(p->num_len + p->denom_len);
    }
    if (precision < 0)
        return false;
    scale -= (int64_t)p->denom_len;
    if (scale < -9)
        return false;
    /* at most 18 digits here, so the value fits */
    uint64_t value = 0;
    for (size_t i = 0; i < p->num_len; i++)
        value = value * 10 + (uint64_t)(p->num[i] - '0');
    for (size_t i = 0; i < p->denom_len; i++)
        value = value * 10 + (uint64_t)(p->denom[i] - '0');
    if (value && mantissa > (uint64_t)INT64_MAX / value)
        return false;
    uint64_t result = value * mantissa;
    q->neg = !p->positive;
    bn_set_u64(&q->u, result);
    q->scale = fmt == Q_BINSI ? 0 : -scale;
    q->fmt = fmt;
    q->ival = q->neg ? -(int64_t)result : (int64_t)result;
    q->iscale = (int32_t)scale;
    if (fmt == Q_BINSI) {
        *keep = exponent % 10 == 0 && (value & 7) != 0;
    } else {
        size_t sl = p->num_len + p->denom_len;
        char last3[3];
        size_t got = 0;
        /* the last three characters of num+denom */
        for (size_t k = 0; k < 3 && k < sl; k++) {
            size_t idx = sl - 1 - k;
            last3[got++] = idx < p->num_len ? p->num[idx] : p->denom[idx - p->num_len];
        }
        bool ends000 = got == 3 && last3[0] == '0' && last3[1] == '0' && last3[2] == '0';
        char first = p->num_len ? p->num[0] : p->denom[0];
        *keep = scale % 3 == 0 && !ends000 && first != '0';
    }
    return true;
}

/* The arbitrary precision path of upstream's ParseQuantity. */
static const char *parse_big(const struct parsed *p, int base, int32_t exponent,
                             enum qformat fmt, struct quantity *q)
{
    const char *v = p->value, *e = p->value + p->value_len;
    q->neg = false;
    if (v < e && (*v == '+' || *v == '-'))
        q->neg = *v++ == '-';
    size_t ndig = 0;
    int64_t frac = 0;
    bool dot = false;
    bn_reserve(&q->u, (size_t)(e - v) + 1);
    q->u.n = 0;
    for (const char *c = e; c-- > v;) {
        if (*c == '.') {
            if (dot)
                return KAPI_QUANTITY_ERR_NUMERIC;
            dot = true;
            frac = (int64_t)ndig;
            continue;
        }
        if (!is_digit(*c))
            return KAPI_QUANTITY_ERR_NUMERIC;
        q->u.d[q->u.n++] = (uint8_t)(*c - '0');
        ndig++;
    }
    if (ndig == 0)
        return KAPI_QUANTITY_ERR_NUMERIC;
    bn_trim(&q->u);
    q->scale = frac;
    q->fmt = fmt;
    if (base == 10) {
        q->scale -= exponent;
    } else {
        for (int32_t left = exponent; left > 0; left -= 20)
            bn_mul_small(&q->u, UINT32_C(1) << (left > 20 ? 20 : left));
    }
    /* Non-zero amounts round up to a whole nano unit. */
    if (q->u.n && q->scale > 9) {
        int64_t k = q->scale - 9;
        bool nz = bn_drop_low(&q->u, (uint64_t)k > q->u.n ? q->u.n + 1 : (size_t)k);
        if (nz)
            bn_add_one(&q->u);
        q->scale = 9;
    }
    if (fmt == Q_BINSI) {
        bool fr;
        int c = int_part_cmp(q, (uint64_t)INT64_MAX, &fr);
        if (c > 0 || (c == 0 && fr)) {
            bn_set_u64(&q->u, (uint64_t)INT64_MAX);
            q->scale = 0;
            q->capped = true;
        }
        if (q->u.n && int_part_cmp(q, 1, &fr) < 0)
            q->fmt = Q_DECSI;
    }
    return NULL;
}

static void put_digits(struct kapi_buf *b, const struct bn *u, size_t from)
{
    for (size_t i = u->n; i-- > from;)
        kapi_buf_putc(b, (char)('0' + u->d[i]));
}

/* upstream's CanonicalizeBytes for a parsed quantity. */
static const char *const bin_suffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

static void format_quantity(struct quantity *q, struct kapi_buf *b)
{
    if (q->u.n == 0) {
        kapi_buf_puts(b, "0");
        return;
    }
    enum qformat fmt = q->fmt;
    if (fmt == Q_BINSI) {
        bool fr;
        if (int_part_cmp(q, 1024, &fr) < 0)
            fmt = Q_DECSI;
        else if (fr)
            fmt = Q_DECSI;  /* not a whole number: would lose precision */
    }
    if (q->neg)
        kapi_buf_putc(b, '-');
    if (fmt == Q_BINSI) {
        size_t s = q->scale > 0 ? (size_t)q->scale : 0;
        struct bn ip = {.d = q->u.d + s, .n = q->u.n - s, .cap = q->u.n - s};
        uint64_t v = 0;
        bn_to_u64(&ip, &v);  /* capped at INT64_MAX when parsed */
        int k = 0;
        while (v && v % 1024 == 0 && k < 6) {
            v /= 1024;
            k++;
        }
        char digits[21];
        kapi_buf_append(b, digits, kapi_fmt_i64(digits, (int64_t)v)); /* v <= INT64_MAX */
        kapi_buf_puts(b, bin_suffix[k]);
        return;
    }
    size_t tz = bn_low_zeros(&q->u);
    int64_t exponent = -q->scale + (int64_t)tz;
    int extra = 0;
    while (exponent % 3 != 0) {
        extra++;
        exponent--;
    }
    put_digits(b, &q->u, tz);
    for (int i = 0; i < extra; i++)
        kapi_buf_putc(b, '0');
    if (fmt == Q_DECEXP) {
        if (exponent != 0)
            kapi_buf_printf(b, "e%lld", (long long)exponent);
        return;
    }
    static const char *const dsuf[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    /* Outside n..E upstream finds no suffix and writes none. */
    if (exponent >= -9 && exponent <= 18)
        kapi_buf_puts(b, dsuf[(exponent + 9) / 3]);
}

bool kapi_quantity_plain_canonical(const char *s, size_t len)
{
    size_t nd = 0;
    uint64_t v = 0;
    while (nd < len && nd < 19 && s[nd] >= '0' && s[nd] <= '9')
        v = v * 10 + (uint64_t)(s[nd++] - '0');
    if (nd == 0 || s[0] == '0')
        return false;
    const char *suf = s + nd;
    size_t sl = len - nd;
    if (sl == 2 && suf[1] == 'i' && suf[0]) {
        /* binary: kept when the count is not a whole number of the next
         * unit up and the bytes fit in an int64 */
        const char *at = strchr("KMGTPE", suf[0]);
        if (!at)
            return false;
        unsigned e = 10u * (unsigned)(at - "KMGTPE" + 1);
        return nd <= 15 && v % 1024 != 0 && v < (UINT64_C(1) << (63 - e));
    }
    /* decimal: upstream keeps the text when it has at most 18 digits, no
     * leading zero and does not end in 000 */
    if (sl > 1 || (sl == 1 && (!suf[0] || !strchr("numkMGTPE", suf[0]))))
        return false;
    return nd <= 18 && v % 1000 != 0;
}

int kapi_quantity_canonical(struct kapi_pool *pool, const char *s, size_t len,
                            const char **out, const char **err)
{
    *out = NULL;
    *err = NULL;
    if (len == 0) {
        *err = KAPI_QUANTITY_ERR_FORMAT;
        return -1;
    }
    if (len == 1 && s[0] == '0') {
        *out = "0";
        return 0;
    }
    struct parsed p;
    const char *e = split_quantity(s, len, &p);
    if (e) {
        *err = e;
        return -1;
    }
    int base;
    int32_t exponent;
    enum qformat fmt;
    if (!interpret_suffix(&p, &base, &exponent, &fmt)) {
        *err = KAPI_QUANTITY_ERR_SUFFIX;
        return -1;
    }
    struct quantity q = {0};
    q.u.d = q.u.local;
    q.u.cap = sizeof(q.u.local);
    bool keep = false;
    if (!parse_fast(&p, exponent, fmt, &q, &keep)) {
        keep = false;
        e = parse_big(&p, base, exponent, fmt, &q);
        if (e) {
            if (q.u.d != q.u.local)
                free(q.u.d);
            *err = e;
            return -1;
        }
    }
    uint64_t whole = 0;
    if (keep) {
        *out = kapi_pool_strndup(pool, s, len);
    } else if (q.fmt == Q_BINSI && !q.neg && q.scale == 0 && bn_to_u64(&q.u, &whole) && whole >= 1024) {
        /* a whole number of bytes: format_quantity's binary branch without
         * a heap buffer (the common "128Mi" case) */
        int k = 0;
        while (whole % 1024 == 0 && k < 6) {
            whole /= 1024;
            k++;
        }
        char tmp[32];
        size_t n = sizeof(tmp);
        tmp[--n] = 0;
        if (k > 0) {
            tmp[--n] = bin_suffix[k][1];
            tmp[--n] = bin_suffix[k][0];
        }
        do {
            tmp[--n] = (char)('0' + whole % 10);
            whole /= 10;
        } while (whole);
        *out = kapi_pool_strndup(pool, tmp + n, strlen(tmp + n));
    } else {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        format_quantity(&q, &b);
        *out = kapi_pool_strndup(pool, b.data, b.len);
        kapi_buf_dispose(&b);
    }
    if (q.u.d != q.u.local)
        free(q.u.d);
    return 0;
}

/* ---- upstream's resource.Quantity value, for validation messages ---------
 * Go's field.Invalid prints a Quantity value with %#v (String has a pointer
 * receiver), so the message shows the struct ParseQuantity built from the
 * client's text. The int64 path above already knows that struct; the
 * arbitrary precision one holds a *inf.Dec, whose address is printed. */

#define GO_DEC_ADDR "0xc000000000" /* stand-in for the *inf.Dec address */

static int64_t go_mul_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

/* upstream's positiveScaleInt64: base * 10^scale, and on overflow what it
 * returns then (the wrapped product for the scales it multiplies in one
 * step, 0 for the others). */
static int64_t go_positive_scale(int64_t base, int32_t scale)
{
    static const int64_t step[10] = {[1] = 10, [2] = 100, [3] = 1000, [6] = 1000000, [9] = 1000000000};
    if (scale >= 0 && scale < 10 && step[scale]) {
        if (base == 0 || base == 1)
            return base * step[scale];
        return base == INT64_MIN ? 0 : go_mul_wrap(base, step[scale]);
    }
    int64_t v = base;
    for (int32_t i = 0; i < scale && v; i++) {  /* a negative scale: no step */
        if (v == 1) {
            v = 10;
            continue;
        }
        if (v == INT64_MIN)
            return 0;
        int64_t c = go_mul_wrap(v, 10);
        if (c / 10 != v)
            return 0;
        v = c;
    }
    return v;
}

/* upstream's negativeScaleInt64: base / 10^scale, rounded away from zero. */
static int64_t go_negative_scale(int64_t base, int32_t scale)
{
    int64_t v = base;
    bool frac = false;
    for (int32_t i = 0; i < scale; i++) {
        frac |= v % 10 != 0;
        v /= 10;
        if (v == 0)
            return frac ? (base > 0 ? 1 : -1) : 0;
    }
    if (frac)
        v += base > 0 ? 1 : -1;
    return v;
}

/* Low 64 bits of floor(u * 10^k); *dropped: non-zero digits fell off (k < 0). */
static uint64_t bn_low64(const struct bn *u, int64_t k, bool *dropped)
{
    uint64_t v = 0;
    uint64_t skip = k < 0 ? (uint64_t)-k : 0;
    *dropped = false;
    for (size_t i = u->n; i-- > 0;) {
        if (i < skip)
            *dropped |= u->d[i] != 0;
        else
            v = v * 10 + u->d[i];
    }
    for (int64_t z = 0; z < k && z < 64; z++)  /* 10^64 is 0 modulo 2^64 */
        v *= 10;
    return v;
}

/* MilliValue of the arbitrary precision amount q (Go's scaledValue on the
 * *inf.Dec: scale 9 after ParseQuantity's rounding, 0 when capped, 3 after
 * RoundUp(-3)), int64 wrap-around included. */
static int64_t dec_milli(const struct quantity *q, bool round_milli)
{
    if (q->u.n == 0)
        return 0;
    bool nz;
    uint64_t m = bn_low64(&q->u, 3 - q->scale, &nz);
    if (round_milli || q->capped) {
        /* exact, or rounded away from zero to scale 3: the unscaled value */
        m += nz;
        return (int64_t)(q->neg ? 0 - m : m);
    }
    /* scale 9 down to 3: the unscaled value (u * 10^(9-scale)) divided by
     * 10^6, truncated and then raised by one when there was a remainder
     * (int64 arithmetic while it is below 2^63-1), else Euclidean division
     * of the big integer */
    size_t digits = q->u.n + (size_t)(9 - q->scale);
    bool small = digits < 19;
    if (digits == 19) {
        bool d2;
        small = bn_low64(&q->u, 9 - q->scale, &d2) < (uint64_t)INT64_MAX;
    }
    if (small || !q->neg)
        return (int64_t)((q->neg ? 0 - m : m) + nz);
    return (int64_t)(0 - m);
}

int kapi_quantity_go(struct kapi_pool *pool, const char *s, size_t len, bool round_milli, int64_t *milli,
                     const char **repr)
{
    static const char *const formats[] = {[Q_DECEXP] = "DecimalExponent", [Q_BINSI] = "BinarySI",
                                          [Q_DECSI] = "DecimalSI"};
    struct quantity q = {0};
    q.u.d = q.u.local;
    q.u.cap = sizeof(q.u.local);
    bool keep = false, dec = false;
    if (len == 0)
        return -1;
    if (len == 1 && s[0] == '0') {
        keep = true;  /* ParseQuantity's shortcut: {Format: DecimalSI, s: "0"} */
        q.fmt = Q_DECSI;
    } else {
        struct parsed p;
        int base;
        int32_t exponent;
        enum qformat fmt;
        if (split_quantity(s, len, &p) || !interpret_suffix(&p, &base, &exponent, &fmt))
            return -1;
        if (!parse_fast(&p, exponent, fmt, &q, &keep)) {
            dec = true;
            keep = false;
            if (parse_big(&p, base, exponent, fmt, &q)) {
                if (q.u.d != q.u.local)
                    free(q.u.d);
                return -1;
            }
        }
    }
    int64_t m;
    if (dec) {
        m = dec_milli(&q, round_milli);
    } else {
        if (round_milli && q.iscale < -3) {
            /* RoundUp(-3) on the int64 amount: rescaled, the text dropped */
            q.ival = go_negative_scale(q.ival, -3 - q.iscale);
            q.iscale = -3;
            keep = false;
        }
        /* AsScaledInt64(-3); Go's int32 scale difference may wrap */
        m = q.iscale < -3 ? go_negative_scale(q.ival, -3 - q.iscale)
                          : go_positive_scale(q.ival, (int32_t)((uint32_t)q.iscale + 3u));
    }
    if (q.u.d != q.u.local)
        free(q.u.d);
    *milli = m;
    if (repr) {
        /* a kept text passed the int64 path: digits, sign, dot, suffix only */
        *repr = kapi_pool_printf(pool,
                                 "resource.Quantity{i:resource.int64Amount{value:%lld, scale:%d}, "
                                 "d:resource.infDecAmount{Dec:(*inf.Dec)(%s)}, s:\"%.*s\", Format:\"%s\"}",
                                 dec ? 0LL : (long long)q.ival, dec ? 0 : (int)q.iscale, dec ? GO_DEC_ADDR : "nil",
                                 keep ? (int)len : 0, s, formats[q.fmt]);
    }
    return 0;
}

/* ---- the text a quantity had before it was rewritten ----------------------
 * A pointer-keyed open-addressing table, hung off the pool, holding only the
 * quantities the typed check or the defaults rewrote. */

struct qorig_slot {
    const struct kapi_value *v;
    const char *text;
};

struct qorig {
    struct qorig_slot *slots;
    size_t n, cap;  /* cap: a power of two */
};

static const char qorig_key;

static size_t qorig_hash(const struct kapi_value *v, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)v * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (cap - 1);
}

static void qorig_put(struct qorig_slot *slots, size_t cap, const struct kapi_value *v, const char *text)
{
    size_t i = qorig_hash(v, cap);
    while (slots[i].v && slots[i].v != v)
        i = (i + 1) & (cap - 1);
    slots[i] = (struct qorig_slot){v, text};
}

void kapi_quantity_note_original(struct kapi_pool *pool, const struct kapi_value *v, const char *text, size_t len)
{
    struct qorig *t = kapi_pool_data(pool, &qorig_key);
    if (!t) {
        t = kapi_pool_calloc(pool, sizeof(*t));
        kapi_pool_set_data(pool, &qorig_key, t);
    }
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct qorig_slot *slots = kapi_pool_calloc(pool, cap * sizeof(*slots));
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].v)
                qorig_put(slots, cap, t->slots[i].v, t->slots[i].text);
        t->slots = slots;
        t->cap = cap;
    }
    size_t before = kapi_quantity_original(pool, v) ? 1 : 0;
    qorig_put(t->slots, t->cap, v, kapi_pool_strndup(pool, text, len));
    t->n += 1 - before;
}

const char *kapi_quantity_original(const struct kapi_pool *pool, const struct kapi_value *v)
{
    const struct qorig *t = kapi_pool_data(pool, &qorig_key);
    if (!t || !t->n || !v)
        return NULL;
    for (size_t i = qorig_hash(v, t->cap); t->slots[i].v; i = (i + 1) & (t->cap - 1))
        if (t->slots[i].v == v)
            return t->slots[i].text;
    return NULL;
}

void kapi_quantity_carry_original(struct kapi_pool *pool, const struct kapi_value *dst,
                                  const struct kapi_value *src)
{
    const char *o = kapi_quantity_original(pool, src);
    if (!o) {
        if (!src || src->type != KAPI_V_STRING || !dst || dst->type != KAPI_V_STRING ||
            (dst->u.str.len == src->u.str.len && !memcmp(dst->u.str.s, src->u.str.s, src->u.str.len)))
            return;
        o = src->u.str.s;
    }
    kapi_quantity_note_original(pool, dst, o, strlen(o));
}
