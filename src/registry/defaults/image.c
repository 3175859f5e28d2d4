/* registry/defaults: the image-reference reading behind imagePullPolicy's
 * default. Upstream parses the reference with the docker reference grammar
 * (normalized: "nginx" is docker.io/library/nginx:latest) and takes Always
 * only for the tag "latest", which a reference without tag or digest gets;
 * a reference it cannot parse yields IfNotPresent. */
#include "defaults_int.h"

#include <ctype.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ separated by ".", "_", "__" or "-"+. */
static bool path_component_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]))
        return false;
    while (i < n) {
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == n || !is_lower_alnum(s[i]) || i == sep)
            return false;
    }
    return true;
}

/* host[:port]: dot-separated labels of [A-Za-z0-9-] not starting or ending
 * with "-", or a bracketed IPv6 address. */
static bool domain_ok(const char *s, size_t n)
{
    size_t end = n;
    const char *colon = NULL;
    if (n > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return false;
        for (const char *p = s + 1; p < rb; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':')
                return false;
        end = (size_t)(rb - s) + 1;
        if (end < n && s[end] != ':')
            return false;
        colon = end < n ? s + end : NULL;
    } else {
        colon = memchr(s, ':', n);
        end = colon ? (size_t)(colon - s) : n;
        size_t i = 0;
        while (i < end) {
            size_t start = i;
            while (i < end && (isalnum((unsigned char)s[i]) || s[i] == '-'))
                i++;
            if (i == start || s[start] == '-' || s[i - 1] == '-')
                return false;
            if (i < end) {
                if (s[i] != '.')
                    return false;
                i++;
                if (i == end)
                    return false;
            }
        }
    }
    if (colon) {
        size_t pl = n - (size_t)(colon - s) - 1;
        if (pl == 0)
            return false;
        for (size_t i = 0; i < pl; i++)
            if (!isdigit((unsigned char)colon[1 + i]))
                return false;
    }
    return end > 0;
}

static bool tag_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool word = isalnum(c) || c == '_';
        if (!(word || (i > 0 && (c == '.' || c == '-'))))
            return false;
    }
    return true;
}

/* algorithm:hex for the algorithms upstream's digest package knows. */
static bool digest_ok(const char *s, size_t n)
{
    static const struct { const char *alg; size_t hex; } algs[] = {
        {"sha256", 64}, {"sha384", 96}, {"sha512", 128},
    };
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
        size_t al = strlen(algs[a].alg);
        if (n == al + 1 + algs[a].hex && memcmp(s, algs[a].alg, al) == 0 && s[al] == ':') {
            for (size_t i = al + 1; i < n; i++)
                if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
                    return false;
            return true;
        }
    }
    return false;
}

    /* The tag follows the last colon after the last slash. */
static bool parse_ref(const char *image, bool *has_tag, const char **tag, size_t *tag_len, bool *has_digest)
{
    size_t n = strlen(image);
    *has_tag = *has_digest = false;
    if (n == 0)
        return false;
    const char *at = memchr(image, '@', n);
    size_t name_end = n;
    if (at) {
        if (!digest_ok(at + 1, n - (size_t)(at - image) - 1))
            return false;
        *has_digest = true;
        name_end = (size_t)(at - image);
    }
    /* The tag is after the last ':' that follows the last '/'. */
    const char *slash = NULL;
    for (size_t i = 0; i < name_end; i++)
        if (image[i] == '/')
            slash = image + i;
    const char *cstart = slash ? slash + 1 : image;
    const char *colon = memchr(cstart, ':', name_end - (size_t)(cstart - image));
    if (colon) {
        *tag = colon + 1;
        *tag_len = name_end - (size_t)(colon + 1 - image);
        if (!tag_ok(*tag, *tag_len))
            return false;
        *has_tag = true;
        name_end = (size_t)(colon - image);
    }
    if (name_end == 0 || name_end > 255)
        return false;
    /* A 64-hex name alone is refused (it would read as an image id). */
    if (name_end == 64 && !at && !colon) {
        bool hex = true;
        for (size_t i = 0; i < 64 && hex; i++)
            hex = isxdigit((unsigned char)image[i]) && !isupper((unsigned char)image[i]);
        if (hex)
            return false;
    }
    /* Split off a registry domain: the first component when it has "." or
     * ":", is "localhost", or has capitals. */
    const char *first_slash = memchr(image, '/', name_end);
    size_t pstart = 0;
    if (first_slash) {
        size_t fl = (size_t)(first_slash - image);
        bool dom = memchr(image, '.', fl) || memchr(image, ':', fl) ||
                   (fl == 9 && memcmp(image, "localhost", 9) == 0);
        for (size_t i = 0; i < fl && !dom; i++)
            dom = isupper((unsigned char)image[i]);
        if (dom) {
            if (!domain_ok(image, fl))
                return false;
            pstart = fl + 1;
        }
    }
    size_t i = pstart;
    while (i <= name_end) {
        size_t j = i;
        while (j < name_end && image[j] != '/')
            j++;
        if (!path_component_ok(image + i, j - i))
            return false;
        i = j + 1;
    }
    return true;
}

const char *kapi_defaults_pull_policy(const char *image)
{
    bool has_tag, has_digest;
    const char *tag = NULL;
    size_t tag_len = 0;
    if (!image || !parse_ref(image, &has_tag, &tag, &tag_len, &has_digest))
        return "IfNotPresent";
    if (!has_tag)
        return has_digest ? "IfNotPresent" : "Always";
    return tag_len == 6 && memcmp(tag, "latest", 6) == 0 ? "Always" : "IfNotPresent";
}
