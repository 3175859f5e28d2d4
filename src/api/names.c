/* api/names: name rules, field errors and ObjectMeta validation. */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Message texts. They are fixed strings upstream builds with
 * RegexError/MaxLenError/EmptyError; spelled out here once. Note the double
 * space before "or" in the examples: upstream's RegexError produces it. */
#define EMPTY_ERR "must be non-empty"
#define MAXLEN_ERR(n) "must be no more than " #n " characters"

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1035_LABEL_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"

#define DNS1123_LABEL_ERR                                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "    \
    "used for validation is '" DNS1123_LABEL_FMT "')"
#define DNS1123_SUBDOMAIN_ERR                                                                      \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "  \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
    "for validation is '" DNS1123_SUBDOMAIN_FMT "')"
#define DNS1035_LABEL_ERR                                                                          \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "  \
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "          \
    "'abc-123', regex used for validation is '" DNS1035_LABEL_FMT "')"
#define QNAME_ERR                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "   \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '" QNAME_FMT "')"
#define LABEL_VALUE_ERR                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "            \
    "'my_value',  or '12345', regex used for validation is '" LABEL_VALUE_FMT "')"

/* ---- Character-class matchers for the regexes above. */

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool match_dns_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool match_dns_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!match_dns_label(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

static bool match_qname(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static size_t dns1123_subdomain_n(const char *s, size_t n, const char **msgs)
{
    size_t k = 0;
    if (n > KAPI_DNS1123_SUBDOMAIN_MAX)
        msgs[k++] = MAXLEN_ERR(253);
    if (!match_dns_subdomain(s, n))
        msgs[k++] = DNS1123_SUBDOMAIN_ERR;
    return k;
}

size_t kapi_is_dns1123_subdomain(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return dns1123_subdomain_n(s, strlen(s), msgs);
}

size_t kapi_is_dns1123_label(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    size_t n = strlen(s), k = 0;
    if (n > KAPI_DNS1123_LABEL_MAX)
        msgs[k++] = MAXLEN_ERR(63);
    if (!match_dns_label(s, n)) {
        /* A valid subdomain that is not a label can only be failing on dots. */
        msgs[k++] = match_dns_subdomain(s, n) ? "must not contain dots" : DNS1123_LABEL_ERR;
    }
    return k;
}

size_t kapi_is_dns1035_label(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    size_t n = strlen(s), k = 0;
    if (n > 63)
        msgs[k++] = MAXLEN_ERR(63);
    if (!match_dns_label(s, n) || !(s[0] >= 'a' && s[0] <= 'z'))
        msgs[k++] = DNS1035_LABEL_ERR;
    return k;
}

size_t kapi_is_qualified_name(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    size_t k = 0, slashes = 0;
    for (const char *p = s; *p; p++)
        slashes += *p == '/';
    if (slashes > 1) {
        msgs[k++] = "a qualified name " QNAME_ERR
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        return k;
    }
    const char *name = s;
    if (slashes == 1) {
        const char *slash = strchr(s, '/');
        size_t plen = (size_t)(slash - s);
        if (plen == 0) {
            msgs[k++] = "prefix part " EMPTY_ERR;
        } else {
            if (plen > KAPI_DNS1123_SUBDOMAIN_MAX)
                msgs[k++] = "prefix part " MAXLEN_ERR(253);
            if (!match_dns_subdomain(s, plen))
                msgs[k++] = "prefix part " DNS1123_SUBDOMAIN_ERR;
        }
        name = slash + 1;
    }
    size_t nlen = strlen(name);
    if (nlen == 0)
        msgs[k++] = "name part " EMPTY_ERR;
    else if (nlen > KAPI_QUALIFIED_NAME_MAX)
        msgs[k++] = "name part " MAXLEN_ERR(63);
    if (!match_qname(name, nlen))
        msgs[k++] = "name part " QNAME_ERR;
    return k;
}

size_t kapi_is_label_value(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    size_t n = strlen(s), k = 0;
    if (n > KAPI_LABEL_VALUE_MAX)
        msgs[k++] = MAXLEN_ERR(63);
    if (n > 0 && !match_qname(s, n))
        msgs[k++] = LABEL_VALUE_ERR;
    return k;
}

/* Upstream lets a generateName end in '-' by replacing its tail with "a"
 * before the check; it drops two bytes and appends one, reproduced as is
 * because it decides which prefixes pass the length limit. */
static char *mask_trailing_dash(const char *name)
{
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '-') {
        char *m = kapi_xmalloc(n);
        memcpy(m, name, n - 2);
        m[n - 2] = 'a';
        m[n - 1] = '\0';
        return m;
    }
    return NULL;
}

static size_t name_with_mask(const char *name, bool prefix, const char **msgs,
                             size_t (*check)(const char *, const char **))
{
    char *masked = prefix ? mask_trailing_dash(name) : NULL;
    size_t k = check(masked ? masked : name, msgs);
    free(masked);
    return k;
}

size_t kapi_name_dns_subdomain(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return name_with_mask(name, prefix, msgs, kapi_is_dns1123_subdomain);
}

size_t kapi_name_dns_label(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return name_with_mask(name, prefix, msgs, kapi_is_dns1123_label);
}

size_t kapi_name_dns1035_label(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return name_with_mask(name, prefix, msgs, kapi_is_dns1035_label);
}

size_t kapi_name_path_segment(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    size_t k = 0;
    if (!prefix) {
        if (strcmp(name, ".") == 0) {
            msgs[0] = "may not be '.'";
            return 1;
        }
        if (strcmp(name, "..") == 0) {
            msgs[0] = "may not be '..'";
            return 1;
        }
    }
    if (strchr(name, '/'))
        msgs[k++] = "may not contain '/'";
    if (strchr(name, '%'))
        msgs[k++] = "may not contain '%'";
    return k;
}

char *kapi_generate_name(struct kapi_pool *pool, const char *base)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t n = strlen(base);
    if (n > KAPI_GENERATE_NAME_MAX_BASE)
        n = KAPI_GENERATE_NAME_MAX_BASE;
    char *out = kapi_pool_alloc(pool, n + 6);
    memcpy(out, base, n);
    for (int i = 0; i < 5; i++)
        out[n + i] = alphabet[arc4random_uniform(sizeof(alphabet) - 1)];
    out[n + 5] = '\0';
    return out;
}

/* ---- Go string quoting. */

/* Decodes one UTF-8 sequence as Go does (no overlongs, no surrogates, max
 * U+10FFFF). Returns the length consumed (1 for an invalid byte, *r = -1). */
static size_t utf8_decode(const unsigned char *s, size_t n, long *r)
{
    unsigned char c = s[0];
    *r = -1;
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    size_t need;
    long min, v;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, min = 0x80, v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, min = 0x800, v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, min = 0x10000, v = c & 0x07;
    } else {
        return 1;
    }
    if (n < need)
        return 1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *r = v;
    return need;
}

/* Approximates Go's unicode.IsPrint for non-ASCII runes: letters, marks,
 * numbers, punctuation and symbols print; other spaces, format characters,
 * controls and private-use code points are escaped. Unassigned code points
 * are treated as printable (the tables would be large). */
static bool rune_is_print(long r)
{
    static const long ranges[][2] = {
        {0x80, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},     {0x61C, 0x61C},
        {0x6DD, 0x6DD},     {0x70F, 0x70F},     {0x890, 0x891},     {0x8E2, 0x8E2},
        {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F},   {0x2028, 0x202F},
        {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},   {0xE000, 0xF8FF},
        {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0xFFFE, 0xFFFF},   {0x110BD, 0x110BD},
        {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
        {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(ranges); i++)
        if (r >= ranges[i][0] && r <= ranges[i][1])
            return false;
    return true;
}

int kapi_go_quote_buf(struct kapi_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    if (kapi_buf_putc(b, '"') < 0)
        return -1;
    for (size_t i = 0; i < len;) {
        long r;
        size_t w = utf8_decode(u + i, len - i, &r);
        char tmp[16];
        int rc;
        if (r < 0) {
            tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[u[i] >> 4], tmp[3] = hex[u[i] & 15];
            rc = kapi_buf_append(b, tmp, 4);
        } else if (r == '"' || r == '\\') {
            tmp[0] = '\\', tmp[1] = (char)r;
            rc = kapi_buf_append(b, tmp, 2);
        } else if (r >= 0x20 && r < 0x7F) {
            rc = kapi_buf_putc(b, (char)r);
        } else if (r < 0x80) {
            const char *esc = NULL;
            switch (r) {
            case '\a': esc = "\\a"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\v': esc = "\\v"; break;
            }
            if (esc) {
                rc = kapi_buf_puts(b, esc);
            } else {
                tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[r >> 4], tmp[3] = hex[r & 15];
                rc = kapi_buf_append(b, tmp, 4);
            }
        } else if (rune_is_print(r)) {
            rc = kapi_buf_append(b, s + i, w);
        } else if (r < 0x10000) {
            rc = kapi_buf_printf(b, "\\u%04lx", r);
        } else {
            rc = kapi_buf_printf(b, "\\U%08lx", r);
        }
        if (rc < 0)
            return -1;
        i += w;
    }
    return kapi_buf_putc(b, '"');
}

char *kapi_go_quote(struct kapi_pool *pool, const char *s, size_t len)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_go_quote_buf(&b, s, len);
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

char *kapi_go_string_slice(struct kapi_pool *pool, const char *const *items, size_t n)
{
    if (n == 0)
        return kapi_pool_strdup(pool, "[]string(nil)");
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "[]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_go_quote_buf(&b, items[i], strlen(items[i]));
    }
    kapi_buf_putc(&b, '}');
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

/* ---- Field errors. */

const char *kapi_field_error_type_text(const char *type)
{
    static const char *const map[][2] = {
        {KAPI_FERR_NOT_FOUND, "Not found"},         {KAPI_FERR_REQUIRED, "Required value"},
        {KAPI_FERR_DUPLICATE, "Duplicate value"},   {KAPI_FERR_INVALID, "Invalid value"},
        {KAPI_FERR_NOT_SUPPORTED, "Unsupported value"}, {KAPI_FERR_FORBIDDEN, "Forbidden"},
        {KAPI_FERR_TOO_LONG, "Too long"},           {KAPI_FERR_TOO_MANY, "Too many"},
        {KAPI_FERR_INTERNAL, "Internal error"},     {KAPI_FERR_TYPE_INVALID, "Invalid value"},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(map); i++)
        if (type && strcmp(type, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* Types whose body never shows the bad value, whatever it is. */
static bool type_hides_value(const char *type)
{
    return strcmp(type, KAPI_FERR_REQUIRED) == 0 || strcmp(type, KAPI_FERR_FORBIDDEN) == 0 ||
           strcmp(type, KAPI_FERR_TOO_LONG) == 0 || strcmp(type, KAPI_FERR_INTERNAL) == 0;
}

char *kapi_field_error_body(struct kapi_pool *pool, const struct kapi_field_error *e)
{
    const char *text = kapi_field_error_type_text(e->type);
    char *s;
    if (!text)
        s = kapi_pool_printf(pool, "<unknown error %s>",
                             kapi_go_quote(pool, e->type ? e->type : "", e->type ? strlen(e->type) : 0));
    else if (type_hides_value(e->type) || !e->bad_value_repr)
        s = kapi_pool_strdup(pool, text);
    else
        s = kapi_pool_printf(pool, "%s: %s", text, e->bad_value_repr);
    if (e->detail && e->detail[0])
        s = kapi_pool_printf(pool, "%s: %s", s, e->detail);
    return s;
}

char *kapi_field_error_string(struct kapi_pool *pool, const struct kapi_field_error *e)
{
    return kapi_pool_printf(pool, "%s: %s", e->field ? e->field : "<nil>", kapi_field_error_body(pool, e));
}

char *kapi_field_errors_aggregate(struct kapi_pool *pool, const struct kapi_field_errors *errs)
{
    if (!errs || errs->len == 0)
        return kapi_pool_strdup(pool, "");
    char **msgs = kapi_pool_alloc(pool, errs->len * sizeof(*msgs));
    size_t n = 0;
    for (size_t i = 0; i < errs->len; i++) {
        char *m = kapi_field_error_string(pool, &errs->items[i]);
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(msgs[j], m) == 0;
        if (!seen)
            msgs[n++] = m;
    }
    if (n == 1)
        return msgs[0];
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_puts(&b, msgs[i]);
    }
    kapi_buf_putc(&b, ']');
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

void kapi_ferr_add(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *type,
                   const char *field, const char *bad_value_repr, const char *detail)
{
    if (errs->len == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 8;
        struct kapi_field_error *items = kapi_pool_alloc(pool, cap * sizeof(*items));
        if (errs->len)
            memcpy(items, errs->items, errs->len * sizeof(*items));
        errs->items = items;
        errs->cap = cap;
    }
    struct kapi_field_error *e = &errs->items[errs->len++];
    e->type = type;
    e->field = kapi_pool_strdup(pool, field ? field : "<nil>");
    e->bad_value_repr = bad_value_repr ? kapi_pool_strdup(pool, bad_value_repr) : NULL;
    e->detail = kapi_pool_strdup(pool, detail ? detail : "");
}

static const char *quote_or_null(struct kapi_pool *pool, const char *bad)
{
    return bad ? kapi_go_quote(pool, bad, strlen(bad)) : "null";
}

void kapi_ferr_invalid(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                       const char *bad, const char *detail)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, field, quote_or_null(pool, bad), detail);
}

void kapi_ferr_invalid_int(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                           int64_t bad, const char *detail)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, field, kapi_pool_printf(pool, "%lld", (long long)bad),
                  detail);
}

void kapi_ferr_required(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        const char *detail)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_REQUIRED, field, "\"\"", detail);
}

void kapi_ferr_forbidden(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *detail)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_FORBIDDEN, field, "\"\"", detail);
}

void kapi_ferr_duplicate(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *bad)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_DUPLICATE, field, quote_or_null(pool, bad), NULL);
}

void kapi_ferr_not_found(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *bad)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_NOT_FOUND, field, quote_or_null(pool, bad), NULL);
}

void kapi_ferr_not_supported(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                             const char *bad, const char *const *valid, size_t nvalid)
{
    char *detail = NULL;
    if (nvalid) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "supported values: ");
        for (size_t i = 0; i < nvalid; i++) {
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_go_quote_buf(&b, valid[i], strlen(valid[i]));
        }
        detail = kapi_pool_strndup(pool, b.data, b.len);
        kapi_buf_dispose(&b);
    }
    kapi_ferr_add(pool, errs, KAPI_FERR_NOT_SUPPORTED, field, quote_or_null(pool, bad), detail);
}

void kapi_ferr_too_long(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        long max)
{
    const char *detail = max < 0 ? "value is too long"
                                 : kapi_pool_printf(pool, "may not be more than %ld %s", max,
                                                    max == 1 ? "byte" : "bytes");
    kapi_ferr_add(pool, errs, KAPI_FERR_TOO_LONG, field, "\"<value omitted>\"", detail);
}

void kapi_ferr_too_many(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        long actual, long max)
{
    const char *detail = max < 0 ? "has too many items"
                                 : kapi_pool_printf(pool, "must have at most %ld %s", max,
                                                    max == 1 ? "item" : "items");
    const char *repr = actual >= 0 ? kapi_pool_printf(pool, "%ld", actual) : NULL;
    kapi_ferr_add(pool, errs, KAPI_FERR_TOO_MANY, field, repr, detail);
}

void kapi_ferr_internal(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        const char *err)
{
    kapi_ferr_add(pool, errs, KAPI_FERR_INTERNAL, field, NULL, err);
}

/* ---- ObjectMeta. */

static const char *str_or_empty(const struct kapi_value *obj, const char *key)
{
    const char *s = obj ? kapi_obj_get_str(obj, key) : NULL;
    return s ? s : "";
}

static const struct kapi_value *member_of_type(const struct kapi_value *obj, const char *key,
                                               enum kapi_vtype type)
{
    const struct kapi_value *v = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, key) : NULL;
    return v && v->type == type ? v : NULL;
}

static void add_name_msgs(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                          const char *value, const char **msgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(pool, errs, field, value, msgs[i]);
}

void kapi_validate_labels(struct kapi_pool *pool, const struct kapi_value *labels, const char *fld,
                          struct kapi_field_errors *errs)
{
    if (!labels || labels->type != KAPI_V_OBJECT)
        return;
    const char *msgs[KAPI_NAME_MSGS_MAX];
    for (size_t i = 0; i < labels->u.obj.len; i++) {
        const struct kapi_member *m = &labels->u.obj.members[i];
        add_name_msgs(pool, errs, fld, m->key, msgs, kapi_is_qualified_name(m->key, msgs));
        const char *v = kapi_value_cstr(m->val);
        if (v)
            add_name_msgs(pool, errs, fld, v, msgs, kapi_is_label_value(v, msgs));
    }
}

void kapi_validate_annotations(struct kapi_pool *pool, const struct kapi_value *annotations,
                               const char *fld, struct kapi_field_errors *errs)
{
    if (!annotations || annotations->type != KAPI_V_OBJECT)
        return;
    const char *msgs[KAPI_NAME_MSGS_MAX];
    uint64_t total = 0;
    for (size_t i = 0; i < annotations->u.obj.len; i++) {
        const struct kapi_member *m = &annotations->u.obj.members[i];
        /* Annotation keys are qualified names compared case-insensitively. */
        char *lower = kapi_pool_strdup(pool, m->key);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        add_name_msgs(pool, errs, fld, m->key, msgs, kapi_is_qualified_name(lower, msgs));
        total += m->klen;
        if (m->val && m->val->type == KAPI_V_STRING)
            total += m->val->u.str.len;
    }
    if (total > KAPI_ANNOTATIONS_MAX_BYTES)
        kapi_ferr_too_long(pool, errs, fld, KAPI_ANNOTATIONS_MAX_BYTES);
}

static size_t string_items(struct kapi_pool *pool, const struct kapi_value *arr, const char ***out)
{
    size_t n = arr ? arr->u.arr.len : 0;
    const char **items = kapi_pool_alloc(pool, (n + 1) * sizeof(*items));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        if (s)
            items[k++] = s;
    }
    *out = items;
    return k;
}

void kapi_validate_finalizers(struct kapi_pool *pool, const struct kapi_value *finalizers,
                              const char *fld, struct kapi_field_errors *errs)
{
    if (!finalizers || finalizers->type != KAPI_V_ARRAY)
        return;
    const char **items;
    size_t n = string_items(pool, finalizers, &items);
    const char *msgs[KAPI_NAME_MSGS_MAX];
    bool orphan = false, foreground = false;
    for (size_t i = 0; i < n; i++) {
        add_name_msgs(pool, errs, fld, items[i], msgs, kapi_is_qualified_name(items[i], msgs));
        orphan |= strcmp(items[i], "orphan") == 0;
        foreground |= strcmp(items[i], "foregroundDeletion") == 0;
    }
    if (orphan && foreground)
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, fld, kapi_go_string_slice(pool, items, n),
                      "finalizer orphan and foregroundDeletion cannot be both set");
}

/* Go's %#v of a metav1.OwnerReference as it appears in upstream messages.
 * Pointer fields print as addresses there; a fixed stand-in is used. */
static void owner_ref_repr(struct kapi_buf *b, const struct kapi_value *ref)
{
    static const char *const fields[][2] = {
        {"APIVersion", "apiVersion"}, {"Kind", "kind"}, {"Name", "name"}, {"UID", "uid"}};
    kapi_buf_puts(b, "v1.OwnerReference{");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(fields); i++) {
        const char *s = str_or_empty(ref, fields[i][1]);
        kapi_buf_printf(b, "%s:", fields[i][0]);
        kapi_go_quote_buf(b, s, strlen(s));
        kapi_buf_puts(b, ", ");
    }
    kapi_buf_printf(b, "Controller:(*bool)(%s), BlockOwnerDeletion:(*bool)(%s)}",
                    member_of_type(ref, "controller", KAPI_V_BOOL) ? "0xc000000000" : "nil",
                    member_of_type(ref, "blockOwnerDeletion", KAPI_V_BOOL) ? "0xc000000000" : "nil");
}

static void validate_owner_refs(struct kapi_pool *pool, const struct kapi_value *refs, const char *fld,
                                struct kapi_field_errors *errs)
{
    if (!refs || refs->type != KAPI_V_ARRAY)
        return;
    const char *first_controller = NULL;
    for (size_t i = 0; i < refs->u.arr.len; i++) {
        const struct kapi_value *ref = refs->u.arr.items[i];
        if (!ref || ref->type != KAPI_V_OBJECT)
            continue;
        const char *api_version = str_or_empty(ref, "apiVersion");
        const char *kind = str_or_empty(ref, "kind");
        /* Group/version as schema.ParseGroupVersion splits it; a value it
         * rejects (two slashes) leaves both empty. */
        const char *slash = strchr(api_version, '/');
        const char *group = "", *version = api_version;
        if (slash && strchr(slash + 1, '/')) {
            version = "";
        } else if (slash) {
            group = kapi_pool_strndup(pool, api_version, (size_t)(slash - api_version));
            version = slash + 1;
        }
        if (!version[0])
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.apiVersion", fld), api_version,
                              "version must not be empty");
        if (!kind[0])
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.kind", fld), kind, "must not be empty");
        if (!str_or_empty(ref, "name")[0])
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.name", fld), "", "must not be empty");
        if (!str_or_empty(ref, "uid")[0])
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.uid", fld), "", "must not be empty");
        if (!group[0] && strcmp(version, "v1") == 0 && strcmp(kind, "Event") == 0) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            owner_ref_repr(&b, ref);
            kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, fld, b.data,
                          "/v1, Kind=Event is disallowed from being an owner");
            kapi_buf_dispose(&b);
        }
        const struct kapi_value *ctl = member_of_type(ref, "controller", KAPI_V_BOOL);
        if (ctl && ctl->u.b) {
            const char *cur = kapi_pool_printf(pool, "%s/%s", kind, str_or_empty(ref, "name"));
            if (first_controller) {
                struct kapi_buf b;
                kapi_buf_init(&b, 0);
                kapi_buf_puts(&b, "[]v1.OwnerReference{");
                for (size_t j = 0; j < refs->u.arr.len; j++) {
                    if (j)
                        kapi_buf_puts(&b, ", ");
                    owner_ref_repr(&b, refs->u.arr.items[j]);
                }
                kapi_buf_putc(&b, '}');
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, fld, b.data,
                              kapi_pool_printf(pool,
                                               "Only one reference can have Controller set to true. "
                                               "Found \"true\" in references for %s and %s",
                                               first_controller, cur));
                kapi_buf_dispose(&b);
            } else {
                first_controller = cur;
            }
        }
    }
}

static bool all_printable_ascii_or_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        long r;
        size_t w = utf8_decode(u + i, n - i, &r);
        if (r < 0x20 || r == 0x7F || (r >= 0x80 && !rune_is_print(r)))
            return false;
        i += w;
    }
    return true;
}

static void validate_managed_fields(struct kapi_pool *pool, const struct kapi_value *mf, const char *fld,
                                    struct kapi_field_errors *errs)
{
    if (!mf || mf->type != KAPI_V_ARRAY)
        return;
    for (size_t i = 0; i < mf->u.arr.len; i++) {
        const struct kapi_value *e = mf->u.arr.items[i];
        /* the entry's field path, "metadata.managedFields[0]", is only
         * printed for an error */
#define MF_PATH(sub) kapi_pool_printf(pool, "%s[%zu]." sub, fld, i)
        const char *op = str_or_empty(e, "operation");
        if (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0)
            kapi_ferr_invalid(pool, errs, MF_PATH("operation"), op, "must be `Apply` or `Update`");
        const char *ft = str_or_empty(e, "fieldsType");
        if (ft[0] && strcmp(ft, "FieldsV1") != 0)
            kapi_ferr_invalid(pool, errs, MF_PATH("fieldsType"), ft, "must be `FieldsV1`");
        const char *manager = str_or_empty(e, "manager");
        if (strlen(manager) > 128)
            kapi_ferr_too_long(pool, errs, MF_PATH("manager"), 128);
        if (!all_printable_ascii_or_utf8(manager))
            kapi_ferr_invalid(pool, errs, MF_PATH("manager"), manager, "all characters must be printable");
        if (strlen(str_or_empty(e, "subresource")) > 256)
            kapi_ferr_too_long(pool, errs, MF_PATH("subresource"), 256);
#undef MF_PATH
    }
}

static void validate_meta_common(struct kapi_pool *pool, const struct kapi_value *meta,
                                 struct kapi_field_errors *errs)
{
    validate_owner_refs(pool, member_of_type(meta, "ownerReferences", KAPI_V_ARRAY),
                        "metadata.ownerReferences", errs);
    kapi_validate_finalizers(pool, member_of_type(meta, "finalizers", KAPI_V_ARRAY), "metadata.finalizers",
                             errs);
    validate_managed_fields(pool, member_of_type(meta, "managedFields", KAPI_V_ARRAY),
                            "metadata.managedFields", errs);
}

void kapi_validate_object_meta(struct kapi_pool *pool, const struct kapi_value *meta,
                               kapi_name_fn name_fn, bool namespaced,
                               struct kapi_field_errors *errs)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    const char *gen = str_or_empty(meta, "generateName");
    const char *name = str_or_empty(meta, "name");
    const char *ns = str_or_empty(meta, "namespace");

    if (gen[0])
        add_name_msgs(pool, errs, "metadata.generateName", gen, msgs, name_fn(gen, true, msgs));
    if (!name[0])
        kapi_ferr_required(pool, errs, "metadata.name", "name or generateName is required");
    else
        add_name_msgs(pool, errs, "metadata.name", name, msgs, name_fn(name, false, msgs));

    if (namespaced) {
        if (!ns[0])
            kapi_ferr_required(pool, errs, "metadata.namespace", "");
        else
            add_name_msgs(pool, errs, "metadata.namespace", ns, msgs, kapi_name_dns_label(ns, false, msgs));
    } else if (ns[0]) {
        kapi_ferr_forbidden(pool, errs, "metadata.namespace", "not allowed on this type");
    }

    const struct kapi_value *generation = member_of_type(meta, "generation", KAPI_V_INT);
    if (generation && generation->u.i < 0)
        kapi_ferr_invalid_int(pool, errs, "metadata.generation", generation->u.i,
                              "must be greater than or equal to 0");
    kapi_validate_labels(pool, member_of_type(meta, "labels", KAPI_V_OBJECT), "metadata.labels", errs);
    kapi_validate_annotations(pool, member_of_type(meta, "annotations", KAPI_V_OBJECT),
                              "metadata.annotations", errs);
    validate_meta_common(pool, meta, errs);
}

/* Go prints a metav1.Time through time.Time.String(); API timestamps are
 * RFC 3339 UTC with second precision, so only the layout changes. */
static const char *time_repr(struct kapi_pool *pool, const struct kapi_value *meta, const char *key,
                             bool pointer)
{
    const char *s = meta ? kapi_obj_get_str(meta, key) : NULL;
    if (!s || strlen(s) != 20 || s[10] != 'T' || s[19] != 'Z')
        return pointer && !s ? "null" : "0001-01-01 00:00:00 +0000 UTC";
    return kapi_pool_printf(pool, "%.10s %.8s +0000 UTC", s, s + 11);
}

static bool same_member(const struct kapi_value *a, const struct kapi_value *b, const char *key)
{
    const struct kapi_value *x = a ? kapi_obj_get(a, key) : NULL;
    const struct kapi_value *y = b ? kapi_obj_get(b, key) : NULL;
    if (x && x->type == KAPI_V_NULL)
        x = NULL;
    if (y && y->type == KAPI_V_NULL)
        y = NULL;
    if (!x || !y)
        return !x && !y;
    return kapi_value_equal(x, y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void kapi_validate_object_meta_update(struct kapi_pool *pool, const struct kapi_value *new_meta,
                                      const struct kapi_value *old_meta,
                                      struct kapi_field_errors *errs)
{
    if (old_meta && kapi_obj_get_str(old_meta, "deletionTimestamp")) {
        const char **nf, **of;
        size_t nn = string_items(pool, member_of_type(new_meta, "finalizers", KAPI_V_ARRAY), &nf);
        size_t on = string_items(pool, member_of_type(old_meta, "finalizers", KAPI_V_ARRAY), &of);
        const char **extra = kapi_pool_alloc(pool, (nn + 1) * sizeof(*extra));
        size_t ne = 0;
        for (size_t i = 0; i < nn; i++) {
            bool known = false;
            for (size_t j = 0; j < on && !known; j++)
                known = strcmp(nf[i], of[j]) == 0;
            for (size_t j = 0; j < ne && !known; j++)
                known = strcmp(nf[i], extra[j]) == 0;
            if (!known)
                extra[ne++] = nf[i];
        }
        if (ne) {
            qsort(extra, ne, sizeof(*extra), cmp_str);
            kapi_ferr_forbidden(pool, errs, "metadata.finalizers",
                                kapi_pool_printf(pool,
                                                 "no new finalizers can be added if the object is being "
                                                 "deleted, found new finalizers %s",
                                                 kapi_go_string_slice(pool, extra, ne)));
        }
    }
    if (!str_or_empty(new_meta, "resourceVersion")[0])
        kapi_ferr_invalid(pool, errs, "metadata.resourceVersion", "", "must be specified for an update");
    const struct kapi_value *ng = member_of_type(new_meta, "generation", KAPI_V_INT);
    const struct kapi_value *og = member_of_type(old_meta, "generation", KAPI_V_INT);
    if ((ng ? ng->u.i : 0) < (og ? og->u.i : 0))
        kapi_ferr_invalid_int(pool, errs, "metadata.generation", ng ? ng->u.i : 0, "must not be decremented");

    static const char *const immutable_strs[] = {"name", "namespace", "uid"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(immutable_strs); i++) {
        const char *k = immutable_strs[i];
        if (strcmp(str_or_empty(new_meta, k), str_or_empty(old_meta, k)) != 0)
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "metadata.%s", k), str_or_empty(new_meta, k),
                              "field is immutable");
    }
    if (!same_member(new_meta, old_meta, "creationTimestamp"))
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "metadata.creationTimestamp",
                      time_repr(pool, new_meta, "creationTimestamp", false), "field is immutable");
    if (!same_member(new_meta, old_meta, "deletionTimestamp"))
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "metadata.deletionTimestamp",
                      time_repr(pool, new_meta, "deletionTimestamp", true), "field is immutable");
    if (!same_member(new_meta, old_meta, "deletionGracePeriodSeconds")) {
        const struct kapi_value *g = member_of_type(new_meta, "deletionGracePeriodSeconds", KAPI_V_INT);
        kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, "metadata.deletionGracePeriodSeconds",
                      g ? kapi_pool_printf(pool, "%lld", (long long)g->u.i) : "null", "field is immutable");
    }
    kapi_validate_labels(pool, member_of_type(new_meta, "labels", KAPI_V_OBJECT), "metadata.labels", errs);
    kapi_validate_annotations(pool, member_of_type(new_meta, "annotations", KAPI_V_OBJECT),
                              "metadata.annotations", errs);
    validate_meta_common(pool, new_meta, errs);
}
