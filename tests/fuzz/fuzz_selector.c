/* Fuzz target: label and field selector parsers. The input is parsed as
 * both kinds; whatever parses must print to text that parses again to the
 * same text (for field selectors after one canonicalising round), and
 * matching must not crash on a small fixed label set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/selector.h"

static const char *field_of(void *ctx, const char *field)
{
    (void)ctx;
    return strcmp(field, "metadata.name") == 0 ? "web" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *s = (const char *)data;
    const char *err = NULL;

    struct kapi_label_selector *ls = kapi_label_selector_parse(pool, s, size, &err);
    if (ls) {
        struct kapi_value *labels = kapi_value_object(pool);
        kapi_obj_set(pool, labels, "app", kapi_value_str(pool, "web"));
        kapi_obj_set(pool, labels, "n", kapi_value_str(pool, "7"));
        (void)kapi_label_selector_matches(ls, labels);
        (void)kapi_label_selector_matches(ls, NULL);
        char *text = kapi_label_selector_string(pool, ls);
        struct kapi_label_selector *again = kapi_label_selector_parse(pool, text, strlen(text), &err);
        if (!again || strcmp(kapi_label_selector_string(pool, again), text) != 0)
            abort();
    } else if (!err) {
        abort();
    }

    err = NULL;
    struct kapi_field_selector *fs = kapi_field_selector_parse(pool, s, size, &err);
    if (fs) {
        (void)kapi_field_selector_matches(fs, field_of, NULL);
        char *t1 = kapi_field_selector_string(pool, fs);
        struct kapi_field_selector *f2 = kapi_field_selector_parse(pool, t1, strlen(t1), &err);
        if (!f2)
            abort();
        char *t2 = kapi_field_selector_string(pool, f2);
        struct kapi_field_selector *f3 = kapi_field_selector_parse(pool, t2, strlen(t2), &err);
        if (!f3 || strcmp(kapi_field_selector_string(pool, f3), t2) != 0)
            abort();
    } else if (!err) {
        abort();
    }
    kapi_pool_free(pool);
    return 0;
}
