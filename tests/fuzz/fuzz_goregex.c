/* libFuzzer target for base/goregex: the input is a pattern and a subject
 * separated by the first NUL byte (the whole input is the pattern when there
 * is none). Compiling must either succeed or give Go's error form; matching
 * must answer 0 or 1, the same answer twice, and never crash, leak or take
 * memory beyond the program's bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/goregex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16 * 1024)
        return 0;
    const char *d = (const char *)data;
    const char *nul = memchr(d, 0, size);
    size_t plen = nul ? (size_t)(nul - d) : size;
    const char *subj = nul ? nul + 1 : "";
    size_t slen = nul ? size - plen - 1 : 0;

    char *err = NULL;
    struct kapi_goregex *re = kapi_goregex_compile(d, plen, &err);
    if (!re) {
        if (!err || strncmp(err, "error parsing regexp: ", 22) != 0)
            abort();
        free(err);
        return 0;
    }
    if (err)
        abort();
    int m = kapi_goregex_match(re, subj, slen);
    if (m != 0 && m != 1)
        abort();
    if (kapi_goregex_match(re, subj, slen) != m)
        abort();
    /* A pattern matches the empty subject or not, but answers. */
    if (kapi_goregex_match(re, "", 0) < 0)
        abort();
    kapi_goregex_free(re);
    return 0;
}
