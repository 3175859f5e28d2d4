/* registry/validation/apiextensions: CustomResourceDefinition
 * (apiextensions.k8s.io/v1) as kube-apiserver 1.33 validates it.
 *
 * Upstream converts the v1 object to its internal type before validating,
 * and that conversion moves things around, which shows in the field paths:
 *   - versions[0].name is copied to spec.version (so a bad first version
 *     name is reported twice, once as spec.version);
 *   - schema, subresources, additionalPrinterColumns and selectableFields
 *     that are identical in every version are lifted to spec.validation,
 *     spec.subresources, spec.additionalPrinterColumns, spec.selectableFields
 *     and reported there;
 *   - spec.conversion.webhook.{clientConfig,conversionReviewVersions}
 *     become spec.conversion.{webhookClientConfig,conversionReviewVersions}.
 * This file works on the v1 JSON and reproduces that view (struct crd_view).
 * The schema contents are checked by the apiext schema engine
 * (kapi_crd_schema_check). Design notes: docs/internals/crd-validation.md. */
#include "validation_int.h"

#include "../../apiext/schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define ANN_APPROVED "api-approved.kubernetes.io"

/* The lifted (hoisted) per-version fields, as after v1 -> internal conversion. */
struct crd_view {
    const struct kapi_value *spec, *versions;
    size_t nver;
    bool schema_lifted, sub_lifted, cols_lifted, sel_lifted;
    const struct kapi_value *validation; /* versions[0].schema when lifted */
    const struct kapi_value *subresources;
    const struct kapi_value *columns;
    const struct kapi_value *selectable;
    bool preserve_unknown; /* spec.preserveUnknownFields */
};

/* Validation switches that depend on the stored object (update only). */
struct crd_opts {
    bool require_schema;          /* every version must carry a schema */
    bool require_recognized_crv;  /* conversionReviewVersions must name v1 or v1beta1 */
};

static bool present(const struct kapi_value *v)
{
    return v && v->type != KAPI_V_NULL;
}

/* Go's semantic equality of two optional pointers. */
static bool same_ptr(const struct kapi_value *a, const struct kapi_value *b)
{
    if (!present(a) || !present(b))
        return !present(a) && !present(b);
    return kapi_value_equal(a, b);
}

/* Same for slices: nil and empty are equal. */
static bool same_slice(const struct kapi_value *a, const struct kapi_value *b)
{
    if (kv_len(a) == 0 || kv_len(b) == 0)
        return kv_len(a) == 0 && kv_len(b) == 0;
    return kapi_value_equal(a, b);
}

static void build_view(const struct kapi_value *obj, struct crd_view *w)
{
    memset(w, 0, sizeof(*w));
    w->spec = kv_get(obj, "spec");
    w->versions = kv_get(w->spec, "versions");
    w->nver = w->versions && w->versions->type == KAPI_V_ARRAY ? w->versions->u.arr.len : 0;
    w->preserve_unknown = kv_bool(w->spec, "preserveUnknownFields");
    if (w->nver == 0)
        return;
    const struct kapi_value *v0 = kv_item(w->versions, 0);
    bool s = true, r = true, c = true, f = true;
    for (size_t i = 0; i < w->nver; i++) {
        const struct kapi_value *v = kv_item(w->versions, i);
        s = s && same_ptr(kv_get(v, "schema"), kv_get(v0, "schema"));
        r = r && same_ptr(kv_get(v, "subresources"), kv_get(v0, "subresources"));
        c = c && same_slice(kv_get(v, "additionalPrinterColumns"), kv_get(v0, "additionalPrinterColumns"));
        f = f && same_slice(kv_get(v, "selectableFields"), kv_get(v0, "selectableFields"));
    }
    w->schema_lifted = s;
    w->sub_lifted = r;
    w->cols_lifted = c;
    w->sel_lifted = f;
    w->validation = s ? kv_get(v0, "schema") : NULL;
    w->subresources = r ? kv_get(v0, "subresources") : NULL;
    w->columns = c ? kv_get(v0, "additionalPrinterColumns") : NULL;
    w->selectable = f ? kv_get(v0, "selectableFields") : NULL;
}

/* A version's own (not lifted) members. */
static const struct kapi_value *ver_schema(const struct crd_view *w, const struct kapi_value *v)
{
    return w->schema_lifted ? NULL : kv_get(v, "schema");
}
static const struct kapi_value *ver_sub(const struct crd_view *w, const struct kapi_value *v)
{
    return w->sub_lifted ? NULL : kv_get(v, "subresources");
}
static const struct kapi_value *ver_cols(const struct crd_view *w, const struct kapi_value *v)
{
    return w->cols_lifted ? NULL : kv_get(v, "additionalPrinterColumns");
}
static const struct kapi_value *ver_sel(const struct crd_view *w, const struct kapi_value *v)
{
    return w->sel_lifted ? NULL : kv_get(v, "selectableFields");
}

/* ---- Go %#v renderings of the internal types (bad values of a few errors).
 * Pointers print as addresses upstream; a fixed made-up address stands in. */

static void go_q(struct kapi_buf *b, const char *s)
{
    kapi_go_quote_buf(b, s ? s : "", s ? strlen(s) : 0);
}

static void go_ptr(struct kapi_buf *b, const char *type, const struct kapi_value *v, unsigned *addr)
{
    if (present(v))
        kapi_buf_printf(b, "(*%s)(0xc000%06x)", type, 0x1a000 + 0x40 * (*addr)++);
    else
        kapi_buf_printf(b, "(*%s)(nil)", type);
}

static void go_columns(struct kapi_buf *b, const struct kapi_value *cols)
{
    if (kv_len(cols) == 0 && !(cols && cols->type == KAPI_V_ARRAY)) {
        kapi_buf_puts(b, "[]apiextensions.CustomResourceColumnDefinition(nil)");
        return;
    }
    kapi_buf_puts(b, "[]apiextensions.CustomResourceColumnDefinition{");
    for (size_t i = 0; i < kv_len(cols); i++) {
        const struct kapi_value *col = kv_item(cols, i);
        int64_t prio = 0;
        kv_int(col, "priority", &prio);
        kapi_buf_puts(b, i ? ", " : "");
        kapi_buf_puts(b, "apiextensions.CustomResourceColumnDefinition{Name:");
        go_q(b, kv_str0(col, "name"));
        kapi_buf_puts(b, ", Type:");
        go_q(b, kv_str0(col, "type"));
        kapi_buf_puts(b, ", Format:");
        go_q(b, kv_str0(col, "format"));
        kapi_buf_puts(b, ", Description:");
        go_q(b, kv_str0(col, "description"));
        kapi_buf_printf(b, ", Priority:%lld, JSONPath:", (long long)prio);
        go_q(b, kv_str0(col, "jsonPath"));
        kapi_buf_putc(b, '}');
    }
    kapi_buf_putc(b, '}');
}

static void go_selectable(struct kapi_buf *b, const struct kapi_value *sel)
{
    if (kv_len(sel) == 0 && !(sel && sel->type == KAPI_V_ARRAY)) {
        kapi_buf_puts(b, "[]apiextensions.SelectableField(nil)");
        return;
    }
    kapi_buf_puts(b, "[]apiextensions.SelectableField{");
    for (size_t i = 0; i < kv_len(sel); i++) {
        kapi_buf_puts(b, i ? ", apiextensions.SelectableField{JSONPath:" : "apiextensions.SelectableField{JSONPath:");
        go_q(b, kv_str0(kv_item(sel, i), "jsonPath"));
        kapi_buf_putc(b, '}');
    }
    kapi_buf_putc(b, '}');
}

static char *go_versions(struct kv_ctx *c, const struct crd_view *w)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    unsigned addr = 0;
    if (!w->versions || w->versions->type != KAPI_V_ARRAY) {
        kapi_buf_puts(&b, "[]apiextensions.CustomResourceDefinitionVersion(nil)");
    } else {
        kapi_buf_puts(&b, "[]apiextensions.CustomResourceDefinitionVersion{");
        for (size_t i = 0; i < w->nver; i++) {
            const struct kapi_value *v = kv_item(w->versions, i);
            kapi_buf_puts(&b, i ? ", " : "");
            kapi_buf_puts(&b, "apiextensions.CustomResourceDefinitionVersion{Name:");
            go_q(&b, kv_str0(v, "name"));
            kapi_buf_printf(&b, ", Served:%s, Storage:%s, Deprecated:%s, DeprecationWarning:",
                            kv_bool(v, "served") ? "true" : "false", kv_bool(v, "storage") ? "true" : "false",
                            kv_bool(v, "deprecated") ? "true" : "false");
            go_ptr(&b, "string", kv_get(v, "deprecationWarning"), &addr);
            kapi_buf_puts(&b, ", Schema:");
            go_ptr(&b, "apiextensions.CustomResourceValidation", ver_schema(w, v), &addr);
            kapi_buf_puts(&b, ", Subresources:");
            go_ptr(&b, "apiextensions.CustomResourceSubresources", ver_sub(w, v), &addr);
            kapi_buf_puts(&b, ", AdditionalPrinterColumns:");
            go_columns(&b, ver_cols(w, v));
            kapi_buf_puts(&b, ", SelectableFields:");
            go_selectable(&b, ver_sel(w, v));
            kapi_buf_putc(&b, '}');
        }
        kapi_buf_putc(&b, '}');
    }
    char *s = kapi_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

/* []string{...} of a JSON string array (nil when absent, {} when empty). */
static const char *go_strings(struct kv_ctx *c, const struct kapi_value *arr)
{
    if (!arr || arr->type != KAPI_V_ARRAY)
        return "[]string(nil)";
    if (arr->u.arr.len == 0)
        return "[]string{}";
    const char **items = kapi_pool_alloc(c->pool, arr->u.arr.len * sizeof(*items));
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        items[i] = s ? s : "";
    }
    return kapi_go_string_slice(c->pool, items, arr->u.arr.len);
}

/* ---- Small checks. */

/* All messages of a name check joined with "," (upstream's strings.Join). */
static const char *joined(struct kv_ctx *c, const char *s,
                          size_t (*fn)(const char *, const char *msgs[KAPI_NAME_MSGS_MAX]))
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = fn(s, msgs);
    if (n == 0)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ',');
        kapi_buf_puts(&b, msgs[i]);
    }
    char *out = kapi_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return out;
}

static void dns1035_joined(struct kv_ctx *c, const char *fld, const char *s, const char *prefix)
{
    const char *m = joined(c, s, kapi_is_dns1035_label);
    if (m)
        kapi_ferr_invalid(c->pool, c->errs, fld, s, prefix ? kapi_pool_printf(c->pool, "%s%s", prefix, m) : m);
}

static char *lower(struct kv_ctx *c, const char *s)
{
    char *l = kapi_pool_strdup(c->pool, s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

/* Upstream's validateSimpleJSONPath; true when fine. */
static bool simple_json_path(struct kv_ctx *c, const char *fld, const char *s)
{
    if (!*s) {
        kapi_ferr_invalid(c->pool, c->errs, fld, s, "must not be empty");
        return false;
    }
    if (s[0] != '.') {
        kapi_ferr_invalid(c->pool, c->errs, fld, s, "must be a simple json path starting with .");
        return false;
    }
    return true;
}

/* ---- spec.names and status.acceptedNames. */

static void names_rules(struct kv_ctx *c, const struct kapi_value *names, const char *base)
{
    const char *plural = kv_str0(names, "plural"), *singular = kv_str0(names, "singular");
    const char *kind = kv_str0(names, "kind"), *list_kind = kv_str0(names, "listKind");
    static const char *const mixed = "may have mixed case, but should otherwise match: ";
    if (*plural)
        dns1035_joined(c, kv_path(c, "%s.plural", base), plural, NULL);
    if (*singular)
        dns1035_joined(c, kv_path(c, "%s.singular", base), singular, NULL);
    if (*kind) {
        const char *m = joined(c, lower(c, kind), kapi_is_dns1035_label);
        if (m)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.kind", base), kind,
                              kapi_pool_printf(c->pool, "%s%s", mixed, m));
    }
    if (*list_kind) {
        const char *m = joined(c, lower(c, list_kind), kapi_is_dns1035_label);
        if (m)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.listKind", base), list_kind,
                              kapi_pool_printf(c->pool, "%s%s", mixed, m));
    }
    const struct kapi_value *shorts = kv_get(names, "shortNames");
    for (size_t i = 0; i < kv_len(shorts); i++) {
        const char *s = kapi_value_cstr(kv_item(shorts, i));
        dns1035_joined(c, kv_path(c, "%s.shortNames[%zu]", base, i), s ? s : "", NULL);
    }
    if (*kind && !strcmp(kind, list_kind))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.listKind", base), list_kind,
                          "kind and listKind may not be the same");
    const struct kapi_value *cats = kv_get(names, "categories");
    for (size_t i = 0; i < kv_len(cats); i++) {
        const char *s = kapi_value_cstr(kv_item(cats, i));
        dns1035_joined(c, kv_path(c, "%s.categories[%zu]", base, i), s ? s : "", NULL);
    }
}

/* ---- Schema walking (default values anywhere in a schema). */

static bool schema_has_default(const struct kapi_value *s, int depth)
{
    if (!s || s->type != KAPI_V_OBJECT || depth > 64)
        return false;
    if (kapi_obj_get(s, "default") && kapi_obj_get(s, "default")->type != KAPI_V_NULL)
        return true;
    static const char *const one[] = {"items", "not", "additionalProperties", "additionalItems"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(one); i++) {
        const struct kapi_value *sub = kv_get(s, one[i]);
        if (sub && sub->type == KAPI_V_ARRAY) {
            for (size_t j = 0; j < sub->u.arr.len; j++)
                if (schema_has_default(sub->u.arr.items[j], depth + 1))
                    return true;
        } else if (schema_has_default(sub, depth + 1)) {
            return true;
        }
    }
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(lists); i++) {
        const struct kapi_value *l = kv_get(s, lists[i]);
        for (size_t j = 0; j < kv_len(l); j++)
            if (schema_has_default(kv_item(l, j), depth + 1))
                return true;
    }
    static const char *const maps[] = {"properties", "patternProperties", "definitions", "dependencies"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(maps); i++) {
        const struct kapi_value *m = kv_get(s, maps[i]);
        if (!m || m->type != KAPI_V_OBJECT)
            continue;
        for (size_t j = 0; j < m->u.obj.len; j++)
            if (schema_has_default(m->u.obj.members[j].val, depth + 1))
                return true;
    }
    return false;
}

static bool spec_has_defaults(const struct crd_view *w)
{
    for (size_t i = 0; i < w->nver; i++)
        if (schema_has_default(kv_get(kv_get(kv_item(w->versions, i), "schema"), "openAPIV3Schema"), 0))
            return true;
    return false;
}

/* JSONSchemaProps members in the internal struct's field order, with the
 * Go field name, for the status-subresource root rule. */
static const struct {
    const char *json, *go;
    bool allowed;
} root_fields[] = {
    {"id", "ID", false}, {"$schema", "Schema", false}, {"$ref", "Ref", false},
    {"description", "Description", true}, {"type", "Type", true}, {"nullable", "Nullable", false},
    {"format", "Format", true}, {"title", "Title", true}, {"default", "Default", false},
    {"maximum", "Maximum", true}, {"exclusiveMaximum", "ExclusiveMaximum", true}, {"minimum", "Minimum", true},
    {"exclusiveMinimum", "ExclusiveMinimum", true}, {"maxLength", "MaxLength", true},
    {"minLength", "MinLength", true}, {"pattern", "Pattern", true}, {"maxItems", "MaxItems", true},
    {"minItems", "MinItems", true}, {"uniqueItems", "UniqueItems", true}, {"multipleOf", "MultipleOf", true},
    {"enum", "Enum", false}, {"maxProperties", "MaxProperties", false}, {"minProperties", "MinProperties", false},
    {"required", "Required", true}, {"items", "Items", true}, {"allOf", "AllOf", false}, {"oneOf", "OneOf", false},
    {"anyOf", "AnyOf", false}, {"not", "Not", false}, {"properties", "Properties", true},
    {"additionalProperties", "AdditionalProperties", false}, {"patternProperties", "PatternProperties", false},
    {"dependencies", "Dependencies", false}, {"additionalItems", "AdditionalItems", false},
    {"definitions", "Definitions", false}, {"externalDocs", "ExternalDocs", true}, {"example", "Example", true},
    {"x-kubernetes-preserve-unknown-fields", "XPreserveUnknownFields", true},
    {"x-kubernetes-embedded-resource", "XEmbeddedResource", false},
    {"x-kubernetes-int-or-string", "XIntOrString", false}, {"x-kubernetes-list-map-keys", "XListMapKeys", false},
    {"x-kubernetes-list-type", "XListType", false}, {"x-kubernetes-map-type", "XMapType", false},
    {"x-kubernetes-validations", "XValidations", true},
};

/* Whether a schema member holds Go's zero value for its field. */
static bool zero_member(const struct kapi_value *v)
{
    if (!v || v->type == KAPI_V_NULL)
        return true;
    switch (v->type) {
    case KAPI_V_BOOL: return !v->u.b;
    case KAPI_V_STRING: return v->u.str.len == 0;
    case KAPI_V_ARRAY: return v->u.arr.len == 0;
    case KAPI_V_OBJECT: return false; /* pointers and maps: present */
    default: return false;            /* numbers are pointers upstream */
    }
}

/* ---- OpenAPI-level schema rules (upstream's
 * ValidateCustomResourceDefinitionOpenAPISchema and its v3 spec validator);
 * structural rules and defaults are the schema engine's. */

static const struct kapi_value *resolve_field_path(struct kv_ctx *c, const char *jp, const struct kapi_value *schema,
                                                   const char **err, const char **canon, const char **root,
                                                   bool allow_array);

struct oas_ctx {
    bool allow_defaults;
    const char *no_defaults_reason; /* "" when none */
    bool inside_meta;
};

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static bool has_newline(const char *s)
{
    return s && (strchr(s, '\n') || strchr(s, '\r'));
}

static const char *oas_type(const struct kapi_value *s)
{
    return kv_str0(s, "type");
}

static void oas_node(struct kv_ctx *c, const struct kapi_value *s, const char *fld, struct oas_ctx o, bool root,
                     int depth);

static void oas_rules_validations(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const struct kapi_value *rules = kv_get(s, "x-kubernetes-validations");
    static const char *const reasons[] = {"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                                          "FieldValueRequired"};
    for (size_t i = 0; i < kv_len(rules); i++) {
        const struct kapi_value *r = kv_item(rules, i);
        const char *base = kv_path(c, "%s.x-kubernetes-validations[%zu]", fld, i);
        const char *rule = kv_str0(r, "rule"), *msg = kv_str0(r, "message");
        const char *mexpr = kv_str0(r, "messageExpression"), *fp = kv_str0(r, "fieldPath");
        if (blank(rule))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.rule", base), "rule is not specified");
        else if (*msg && blank(msg))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.message", base), msg,
                              "message must be non-empty if specified");
        else if (has_newline(msg))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.message", base), msg,
                              "message must not contain line breaks");
        else if (has_newline(rule) && blank(msg))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.message", base),
                               "message must be specified if rule contains line breaks");
        if (*mexpr && blank(mexpr))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.messageExpression", base),
                               "messageExpression must be non-empty if specified");
        const char *reason = kv_str(r, "reason");
        if (reason && !kv_in(reason, reasons, 4))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.reason", base), reason, reasons, 4);
        if (*fp && blank(fp))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.fieldPath", base), fp,
                              "fieldPath must be non-empty if specified");
        if (has_newline(fp))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.fieldPath", base), fp,
                              "fieldPath must not contain line breaks");
        if (*fp) {
            const char *err = NULL, *canon = NULL, *rootname = NULL;
            if (!resolve_field_path(c, fp, s, &err, &canon, &rootname, true))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.fieldPath", base), fp,
                                  "fieldPath must be a valid path");
        }
    }
}

static void oas_list_rules(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const char *type = oas_type(s);
    const struct kapi_value *map_type = kv_get(s, "x-kubernetes-map-type");
    const struct kapi_value *list_type = kv_get(s, "x-kubernetes-list-type");
    const char *mt = kapi_value_cstr(map_type), *lt = kapi_value_cstr(list_type);
    const struct kapi_value *items = kv_get(s, "items");
    const struct kapi_value *item = items && items->type == KAPI_V_OBJECT ? items : NULL;
    const struct kapi_value *keys = kv_get(s, "x-kubernetes-list-map-keys");
    if (map_type && strcmp(type, "object")) {
        if (!*type)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.type", fld),
                               "must be object if x-kubernetes-map-type is specified");
        else
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.type", fld), type,
                              "must be object if x-kubernetes-map-type is specified");
    }
    static const char *const map_types[] = {"atomic", "granular"};
    if (map_type && !kv_in(mt, map_types, 2))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-map-type", fld), mt ? mt : "",
                                map_types, 2);
    if (list_type && strcmp(type, "array")) {
        if (!*type)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.type", fld),
                               "must be array if x-kubernetes-list-type is specified");
        else
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.type", fld), type,
                              "must be array if x-kubernetes-list-type is specified");
    } else if (lt && !strcmp(lt, "set") && item) {
        const char *it = oas_type(item);
        const struct kapi_value *ilt = kv_get(item, "x-kubernetes-list-type");
        const char *imt = kv_str(item, "x-kubernetes-map-type");
        /* upstream shows the item's list type in both messages */
        const char *bad = ilt ? kv_repr(c, ilt) : "\"null\"";
        if (!strcmp(it, "array") && ilt && strcmp(kv_str0(item, "x-kubernetes-list-type"), "atomic"))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.items.x-kubernetes-list-type", fld),
                          bad, "must be atomic as item of a list with x-kubernetes-list-type=set");
        else if (!strcmp(it, "object") && (!imt || strcmp(imt, "atomic")))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.items.x-kubernetes-map-type", fld),
                          bad, "must be atomic as item of a list with x-kubernetes-list-type=set");
    }
    static const char *const list_types[] = {"atomic", "set", "map"};
    if (list_type && !kv_in(lt, list_types, 3))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-list-type", fld), lt ? lt : "",
                                list_types, 3);
    if (kv_len(keys) > 0) {
        if (!list_type)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-list-type", fld),
                               "must be map if x-kubernetes-list-map-keys is non-empty");
        else if (!lt || strcmp(lt, "map"))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-list-type", fld), lt ? lt : "",
                              "must be map if x-kubernetes-list-map-keys is non-empty");
    }
    if (lt && !strcmp(lt, "map")) {
        if (kv_len(keys) == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-list-map-keys", fld),
                               "must not be empty if x-kubernetes-list-type is map");
        if (!items)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.items", fld),
                               "must have a schema if x-kubernetes-list-type is map");
        if (items && !item)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.items", fld),
                          "&apiextensions.JSONSchemaPropsOrArray{...}",
                          "must only have a single schema if x-kubernetes-list-type is map");
        if (item && strcmp(oas_type(item), "object"))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.items.type", fld), oas_type(item),
                              "must be object if parent array's x-kubernetes-list-type is map");
        if (item && !strcmp(oas_type(item), "object")) {
            const struct kapi_value *props = kv_get(item, "properties");
            for (size_t i = 0; i < kv_len(keys); i++) {
                const char *k = kapi_value_cstr(kv_item(keys, i));
                k = k ? k : "";
                const struct kapi_value *ps = kv_get(props, k);
                if (ps) {
                    const char *pt = oas_type(ps);
                    if (!strcmp(pt, "array") || !strcmp(pt, "object"))
                        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.items.properties[%s].type", fld, k),
                                          oas_type(item),
                                          "must be a scalar type if parent array's x-kubernetes-list-type is map");
                } else {
                    kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.x-kubernetes-list-map-keys", fld),
                                  go_strings(c, keys), "entries must all be names of item properties");
                }
                bool dup = false;
                for (size_t j = 0; j < i && !dup; j++) {
                    const char *o = kapi_value_cstr(kv_item(keys, j));
                    dup = o && !strcmp(o, k);
                }
                if (dup)
                    kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.x-kubernetes-list-map-keys", fld),
                                  go_strings(c, keys), "must not contain duplicate entries");
            }
        }
    }
    /* map and set items: nullability and key requirements */
    if (item && lt && (!strcmp(lt, "set") || !strcmp(lt, "map"))) {
        if (kv_bool(item, "nullable"))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.items.nullable", fld),
                                kapi_pool_printf(c->pool, "cannot be nullable when x-kubernetes-list-type is %s", lt));
        if (!strcmp(lt, "map")) {
            const struct kapi_value *props = kv_get(item, "properties"), *req = kv_get(item, "required");
            for (size_t i = 0; i < kv_len(keys); i++) {
                const char *k = kapi_value_cstr(kv_item(keys, i));
                const struct kapi_value *ps = k ? kv_get(props, k) : NULL;
                if (!ps)
                    continue;
                bool required = false;
                for (size_t j = 0; j < kv_len(req) && !required; j++) {
                    const char *r = kapi_value_cstr(kv_item(req, j));
                    required = r && !strcmp(r, k);
                }
                if (!required && !kv_get(ps, "default"))
                    kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.items.properties[%s].default", fld, k),
                                       "this property is in x-kubernetes-list-map-keys, so it must have a default or "
                                       "be a required property");
                if (kv_bool(ps, "nullable"))
                    kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.items.properties[%s].nullable", fld, k),
                                        "this property is in x-kubernetes-list-map-keys, so it cannot be nullable");
            }
        }
    }
}

static void oas_node(struct kv_ctx *c, const struct kapi_value *s, const char *fld, struct oas_ctx o, bool root,
                     int depth)
{
    if (!s || s->type != KAPI_V_OBJECT || depth > 64)
        return;
    /* the v3 spec validator */
    static const char *const types[] = {"array", "boolean", "integer", "number", "object", "string"};
    const char *type = oas_type(s);
    if (*type && !kv_in(type, types, 6))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.type", fld), type, types, 6);
    if (kv_get(s, "default") && !o.allow_defaults)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.default", fld),
                            *o.no_defaults_reason
                                ? kapi_pool_printf(c->pool, "must not be set %s", o.no_defaults_reason)
                                : "must not be set");
    if (*kv_str0(s, "id"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.id", fld), "id is not supported");
    if (kv_get(s, "additionalItems"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.additionalItems", fld), "additionalItems is not supported");
    if (kv_len(kv_get(s, "patternProperties")))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.patternProperties", fld),
                            "patternProperties is not supported");
    if (kv_len(kv_get(s, "definitions")))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.definitions", fld), "definitions is not supported");
    if (kv_get(s, "dependencies"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.dependencies", fld), "dependencies is not supported");
    if (kv_get(s, "$ref"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.$ref", fld), "$ref is not supported");
    if (!strcmp(type, "null"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.type", fld),
                            "type cannot be set to null, use nullable as an alternative");
    const struct kapi_value *items = kv_get(s, "items");
    if (items && items->type == KAPI_V_ARRAY && items->u.arr.len)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.items", fld),
                            "items must be a schema object and not an array");
    if (o.inside_meta && kv_bool(s, "x-kubernetes-embedded-resource"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.x-kubernetes-embedded-resource", fld),
                            "must not be used inside of resource meta");

    if (kv_bool(s, "uniqueItems"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.uniqueItems", fld),
                            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
    const struct kapi_value *props = kv_get(s, "properties");
    const struct kapi_value *addl = kv_get(s, "additionalProperties");
    if (addl) {
        bool allows = addl->type == KAPI_V_BOOL ? addl->u.b : true;
        if (kv_len(props) && (!allows || addl->type == KAPI_V_OBJECT))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.additionalProperties", fld),
                                "additionalProperties and properties are mutual exclusive");
        struct oas_ctx sub = o;
        if (o.inside_meta) {
            sub.allow_defaults = false;
            sub.no_defaults_reason = "inside additionalProperties applying to object metadata";
        }
        oas_node(c, addl, kv_path(c, "%s.additionalProperties", fld), sub, false, depth + 1);
    }
    if (props && props->type == KAPI_V_OBJECT) {
        bool embedded = kv_bool(s, "x-kubernetes-embedded-resource");
        for (size_t i = 0; i < props->u.obj.len; i++) {
            const char *name = props->u.obj.members[i].key;
            struct oas_ctx sub = o;
            if ((root || embedded) &&
                (!strcmp(name, "metadata") || !strcmp(name, "kind") || !strcmp(name, "apiVersion"))) {
                sub.inside_meta = true;
                if (root) {
                    sub.allow_defaults = false;
                    sub.no_defaults_reason = kapi_pool_printf(c->pool, "in top-level %s", name);
                }
            }
            oas_node(c, props->u.obj.members[i].val, kv_path(c, "%s.properties[%s]", fld, name), sub, false,
                     depth + 1);
        }
    }
    oas_node(c, kv_get(s, "not"), kv_path(c, "%s.not", fld), o, false, depth + 1);
    static const char *const lists[] = {"allOf", "oneOf", "anyOf"};
    for (size_t l = 0; l < 3; l++) {
        const struct kapi_value *arr = kv_get(s, lists[l]);
        for (size_t i = 0; i < kv_len(arr) && arr->type == KAPI_V_ARRAY; i++)
            oas_node(c, kv_item(arr, i), kv_path(c, "%s.%s[%zu]", fld, lists[l], i), o, false, depth + 1);
    }
    const struct kapi_value *defs = kv_get(s, "definitions");
    for (size_t i = 0; defs && defs->type == KAPI_V_OBJECT && i < defs->u.obj.len; i++)
        oas_node(c, defs->u.obj.members[i].val, kv_path(c, "%s.definitions[%s]", fld, defs->u.obj.members[i].key), o,
                 false, depth + 1);
    if (items && items->type == KAPI_V_OBJECT)
        oas_node(c, items, kv_path(c, "%s.items", fld), o, false, depth + 1);
    for (size_t i = 0; items && items->type == KAPI_V_ARRAY && i < items->u.arr.len; i++)
        oas_node(c, items->u.arr.items[i], kv_path(c, "%s.items[%zu]", fld, i), o, false, depth + 1);
    const struct kapi_value *deps = kv_get(s, "dependencies");
    for (size_t i = 0; deps && deps->type == KAPI_V_OBJECT && i < deps->u.obj.len; i++)
        oas_node(c, deps->u.obj.members[i].val, kv_path(c, "%s.dependencies[%s]", fld, deps->u.obj.members[i].key), o,
                 false, depth + 1);
    const struct kapi_value *pu = kv_get(s, "x-kubernetes-preserve-unknown-fields");
    if (pu && pu->type == KAPI_V_BOOL && !pu->u.b)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.x-kubernetes-preserve-unknown-fields", fld),
                      "false", "must be true or undefined");
    oas_list_rules(c, s, fld);
    oas_rules_validations(c, s, fld);
}

/* Upstream's validateCustomResourceDefinitionValidation for one schema
 * wrapper (a CustomResourceValidation) reported under fld. */
static void validation_rules(struct kv_ctx *c, const struct kapi_value *val, bool status_enabled, const char *fld)
{
    const struct kapi_value *schema = kv_get(val, "openAPIV3Schema");
    if (!val || !schema)
        return;
    if (status_enabled && schema->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < KAPI_ARRAY_LEN(root_fields); i++) {
            const struct kapi_value *m = kapi_obj_get(schema, root_fields[i].json);
            if (zero_member(m))
                continue;
            if (!strcmp(root_fields[i].go, "Type")) {
                const char *t = kapi_value_cstr(m);
                if (t && strcmp(t, "object")) {
                    kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.openAPIV3Schema.type", fld), t,
                                      "only \"object\" is allowed as the type at the root of the schema if the "
                                      "status subresource is enabled");
                    break;
                }
                continue;
            }
            if (!root_fields[i].allowed) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.openAPIV3Schema", fld),
                              "apiextensions.JSONSchemaProps{...}",
                              "only [Description Type Format Title Maximum ExclusiveMaximum Minimum "
                              "ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems "
                              "MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields "
                              "XValidations] fields are allowed at the root of the schema if the status "
                              "subresource is enabled");
                break;
            }
        }
    }
    if (kv_bool(schema, "nullable"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.openAPIV3Schema.nullable", fld),
                            "nullable cannot be true at the root");
    kapi_crd_schema_check(c->pool, schema, kv_path(c, "%s.openAPIV3Schema", fld), c->errs);
    struct oas_ctx o = {.allow_defaults = true, .no_defaults_reason = "", .inside_meta = false};
    oas_node(c, schema, kv_path(c, "%s.openAPIV3Schema", fld), o, true, 0);
}

/* ---- Subresources and printer columns. */

static void subresources_rules(struct kv_ctx *c, const struct kapi_value *sub, const char *fld)
{
    const struct kapi_value *scale = kv_get(sub, "scale");
    if (!sub || !scale)
        return;
    const char *spec_path = kv_str0(scale, "specReplicasPath");
    const char *f = kv_path(c, "%s.scale.specReplicasPath", fld);
    if (!*spec_path)
        kapi_ferr_required(c->pool, c->errs, f, "");
    else if (simple_json_path(c, f, spec_path) && strncmp(spec_path, ".spec.", 6))
        kapi_ferr_invalid(c->pool, c->errs, f, spec_path, "should be a json path under .spec");
    const char *status_path = kv_str0(scale, "statusReplicasPath");
    f = kv_path(c, "%s.scale.statusReplicasPath", fld);
    if (!*status_path)
        kapi_ferr_required(c->pool, c->errs, f, "");
    else if (simple_json_path(c, f, status_path) && strncmp(status_path, ".status.", 8))
        kapi_ferr_invalid(c->pool, c->errs, f, status_path, "should be a json path under .status");
    const char *sel = kv_str0(scale, "labelSelectorPath");
    f = kv_path(c, "%s.scale.labelSelectorPath", fld);
    if (*sel && simple_json_path(c, f, sel) && strncmp(sel, ".spec.", 6) && strncmp(sel, ".status.", 8))
        kapi_ferr_invalid(c->pool, c->errs, f, sel, "should be a json path under either .spec or .status");
}

static void column_rules(struct kv_ctx *c, const struct kapi_value *col, const char *fld)
{
    static const char *const types[] = {"boolean", "date", "integer", "number", "string"};
    static const char *const formats[] = {"byte", "date", "date-time", "double", "float", "int32", "int64",
                                          "password"};
    static const char *const types_msg = "must be one of boolean,date,integer,number,string";
    if (!*kv_str0(col, "name"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.name", fld), "");
    const char *type = kv_str0(col, "type");
    if (!*type)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.type", fld), types_msg);
    else if (!kv_in(type, types, KAPI_ARRAY_LEN(types)))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.type", fld), type, types_msg);
    const char *format = kv_str0(col, "format");
    if (*format && !kv_in(format, formats, KAPI_ARRAY_LEN(formats)))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.format", fld), format,
                          "must be one of byte,date,date-time,double,float,int32,int64,password");
    const char *jp = kv_str0(col, "jsonPath");
    /* upstream names the child with the Go field name */
    if (!*jp)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.JSONPath", fld), "");
    else
        simple_json_path(c, kv_path(c, "%s.JSONPath", fld), jp);
}

/* ---- selectableFields: a dotted path resolved against the raw schema, as
 * upstream's cel.ValidFieldPath does without array notation. Returns the
 * schema found, or NULL with *err set. canon receives the path as upstream's
 * field.Path renders it (for duplicate detection). */
static const struct kapi_value *resolve_field_path(struct kv_ctx *c, const char *jp, const struct kapi_value *schema,
                                                   const char **err, const char **canon, const char **root,
                                                   bool allow_array)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const char *p = jp;
    *root = NULL;
    const struct kapi_value *s = schema;
    while (*p) {
        if (*p == '[') {
            if (!allow_array) {
                *err = "array notation is not allowed";
                goto fail;
            }
            p++;
            if (!*p) {
                *err = "unexpected end of JSON path";
                goto fail;
            }
            size_t n;
            if (*p == '\'') {
                const char *q = p + 1;
                while (*q && !(*q == '\'' && q[-1] != '\\'))
                    q++;
                n = *q ? (size_t)(q - p + 1) : strlen(p);
            } else {
                n = strcspn(p, ".[]");
                if (n == 0)
                    n = 1;
            }
            if (n < 2 || p[0] != '\'' || p[n - 1] != '\'') {
                *err = kapi_pool_printf(c->pool, "expected single quoted string but got %.*s", (int)n, p);
                goto fail;
            }
            /* the simple escapes: \' and \\ */
            char *key = kapi_pool_alloc(c->pool, n);
            size_t kl = 0;
            for (size_t i = 1; i + 1 < n; i++) {
                if (p[i] == '\\' && i + 2 < n)
                    i++;
                key[kl++] = p[i];
            }
            key[kl] = 0;
            p += n;
            const struct kapi_value *props = kv_get(s, "properties");
            const struct kapi_value *addl = kv_get(s, "additionalProperties");
            if (props && props->type == KAPI_V_OBJECT) {
                s = kapi_obj_get(props, key);
                if (!s) {
                    *err = "does not refer to a valid field";
                    goto fail;
                }
                kapi_buf_printf(&b, "%s%s", b.len ? "." : "", key);
            } else if (addl && addl->type == KAPI_V_OBJECT) {
                kapi_buf_printf(&b, "[%s]", key);
                s = addl;
            } else {
                *err = "does not refer to a valid field";
                goto fail;
            }
            if (!*root)
                *root = key;
            if (!*p) {
                *err = "unexpected end of JSON path";
                goto fail;
            }
            if (*p != ']') {
                *err = kapi_pool_printf(c->pool, "expected ] but got %.*s", (int)strcspn(p + 1, ".[]") + 1, p);
                goto fail;
            }
            p++;
            continue;
        }
        if (*p != '.') {
            /* the scanner returns text up to the next delimiter as one token */
            size_t n = strcspn(p, ".[]");
            if (*p == '\'') {
                const char *q = p + 1;
                while (*q && !(*q == '\'' && q[-1] != '\\'))
                    q++;
                n = *q ? (size_t)(q - p + 1) : strlen(p);
            }
            if (n == 0)
                n = 1;
            *err = kapi_pool_printf(c->pool, "expected [ or . but got: %.*s", (int)n, p);
            goto fail;
        }
        p++;
        size_t n;
        if (!*p) {
            *err = "unexpected end of JSON path";
            goto fail;
        }
        if (*p == '\'') {
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q[-1] != '\\'))
                q++;
            n = *q ? (size_t)(q - p + 1) : strlen(p);
        } else {
            n = strcspn(p, ".[]");
            if (n == 0)
                n = 1; /* a delimiter as a name */
        }
        char *tok = kapi_pool_strndup(c->pool, p, n);
        p += n;
        const struct kapi_value *props = kv_get(s, "properties");
        const struct kapi_value *addl = kv_get(s, "additionalProperties");
        if (props && props->type == KAPI_V_OBJECT) {
            const struct kapi_value *next = kapi_obj_get(props, tok);
            if (!next) {
                *err = "does not refer to a valid field";
                goto fail;
            }
            if (!*root)
                *root = tok;
            kapi_buf_printf(&b, "%s%s", b.len ? "." : "", tok);
            s = next;
        } else if (addl && addl->type == KAPI_V_OBJECT) {
            if (!*root)
                *root = kapi_pool_printf(c->pool, "[%s]", tok);
            kapi_buf_printf(&b, "[%s]", tok);
            s = addl;
        } else {
            *err = "does not refer to a valid field";
            goto fail;
        }
    }
    *canon = kapi_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
fail:
    kapi_buf_dispose(&b);
    return NULL;
}

static void selectable_rules(struct kv_ctx *c, const struct kapi_value *fields, const struct kapi_value *schema,
                             const char *fld)
{
    const char **seen = kapi_pool_alloc(c->pool, (kv_len(fields) + 1) * sizeof(*seen));
    size_t nseen = 0;
    for (size_t i = 0; i < kv_len(fields); i++) {
        const char *jp = kv_str0(kv_item(fields, i), "jsonPath");
        const char *f = kv_path(c, "%s[%zu].jsonPath", fld, i);
        if (!*jp) {
            kapi_ferr_required(c->pool, c->errs, f, "");
            continue;
        }
        const char *err = NULL, *canon = "", *root = NULL;
        const struct kapi_value *found = resolve_field_path(c, jp, schema, &err, &canon, &root, false);
        if (err) {
            kapi_ferr_invalid(c->pool, c->errs, f, jp, kapi_pool_printf(c->pool, "is an invalid path: %s", err));
            continue;
        }
        if (root && !strcmp(root, "metadata"))
            kapi_ferr_invalid(c->pool, c->errs, f, jp, "must not point to fields in metadata");
        static const char *const ok[] = {"string", "boolean", "integer"};
        if (!kv_in(kv_str0(found, "type"), ok, 3))
            kapi_ferr_invalid(c->pool, c->errs, f, jp,
                              "must point to a field of type string, boolean or integer. Enum string fields and "
                              "strings with formats are allowed.");
        bool dup = false;
        for (size_t j = 0; j < nseen && !dup; j++)
            dup = !strcmp(seen[j], canon);
        if (dup)
            kapi_ferr_duplicate(c->pool, c->errs, f, jp);
        else
            seen[nseen++] = canon;
    }
    if (nseen > 8)
        kapi_ferr_too_many(c->pool, c->errs, fld, (long)nseen, 8);
}

/* ---- Versions. */

static bool printable_ascii_or_utf8(const unsigned char *s, size_t i, size_t *len, bool *valid)
{
    unsigned char ch = s[i];
    *len = 1;
    *valid = true;
    if (ch < 0x80)
        return ch >= 0x20 && ch != 0x7f;
    size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 0;
    if (n == 0) {
        *valid = false;
        return true; /* Go decodes it as U+FFFD, which is printable */
    }
    for (size_t k = 1; k < n; k++)
        if ((s[i + k] & 0xc0) != 0x80) {
            *valid = false;
            return true;
        }
    *len = n;
    /* U+0080..U+009F are C1 controls; everything else is taken as printable. */
    if (n == 2 && ch == 0xc2 && s[i + 1] < 0xa0)
        return false;
    return true;
}

static void deprecation_rules(struct kv_ctx *c, const struct kapi_value *v, const char *fld)
{
    const struct kapi_value *dw = kv_get(v, "deprecationWarning");
    if (!dw)
        return;
    const char *s = kapi_value_cstr(dw);
    s = s ? s : "";
    const char *f = kv_path(c, "%s.deprecationWarning", fld);
    if (!kv_bool(v, "deprecated")) {
        kapi_ferr_invalid(c->pool, c->errs, f, s, "can only be set for deprecated versions");
        return;
    }
    size_t n = strlen(s);
    if (n > 256)
        kapi_ferr_invalid(c->pool, c->errs, f, s, "must be <= 256 characters long");
    if (n == 0)
        kapi_ferr_invalid(c->pool, c->errs, f, s, "must not be an empty string");
    bool all_valid = true;
    for (size_t i = 0; i < n;) {
        size_t len;
        bool valid;
        bool printable = printable_ascii_or_utf8((const unsigned char *)s, i, &len, &valid);
        all_valid = all_valid && valid;
        if (!printable) {
            kapi_ferr_invalid(c->pool, c->errs, f, s,
                              kapi_pool_printf(c->pool,
                                               "must only contain printable UTF-8 characters; non-printable "
                                               "character found at index %zu",
                                               i));
            break;
        }
        i += len;
    }
    for (size_t i = 0; i < n && all_valid;) {
        size_t len;
        bool valid;
        printable_ascii_or_utf8((const unsigned char *)s, i, &len, &valid);
        all_valid = valid;
        i += len;
    }
    if (!all_valid)
        kapi_ferr_invalid(c->pool, c->errs, f, s, "must only contain printable UTF-8 characters");
}

static bool has_status(const struct kapi_value *sub)
{
    return sub && kv_get(sub, "status") != NULL;
}

static void version_rules(struct kv_ctx *c, const struct crd_view *w, const struct kapi_value *v, const char *fld)
{
    deprecation_rules(c, v, fld);
    /* The subresources that apply to this version decide the root rule. */
    const struct kapi_value *subs = w->sub_lifted ? w->subresources : kv_get(v, "subresources");
    validation_rules(c, ver_schema(w, v), has_status(subs), kv_path(c, "%s.schema", fld));
    subresources_rules(c, ver_sub(w, v), kv_path(c, "%s.subresources", fld));
    const struct kapi_value *cols = ver_cols(w, v);
    for (size_t i = 0; i < kv_len(cols); i++)
        column_rules(c, kv_item(cols, i), kv_path(c, "%s.additionalPrinterColumns[%zu]", fld, i));
    const struct kapi_value *sel = ver_sel(w, v);
    if (kv_len(sel) > 0) {
        const struct kapi_value *schema = kv_get(ver_schema(w, v), "openAPIV3Schema");
        if (!schema)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.selectableFields", fld), "",
                              "selectableFields may only be set when version.schema.openAPIV3Schema is not "
                              "included");
        else
            selectable_rules(c, sel, schema, kv_path(c, "%s.selectableFields", fld));
    }
}

/* ---- Conversion webhook. */

static void webhook_url(struct kv_ctx *c, const char *fld, const char *url)
{
    static const char *const form = "; desired format: https://host[/path]";
    const char *p = url, *scheme_end = NULL;
    /* scheme: a letter then letters, digits, + - . up to ':' */
    if (isalpha((unsigned char)*p)) {
        const char *q = p;
        while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
            q++;
        if (*q == ':')
            scheme_end = q;
    } else if (*p == ':') {
        kapi_ferr_required(c->pool, c->errs, fld,
                           kapi_pool_printf(c->pool, "url must be a valid URL: parse %s: missing protocol scheme%s",
                                            kapi_go_quote(c->pool, url, strlen(url)), form));
        return;
    }
    char *scheme = scheme_end ? lower(c, kapi_pool_strndup(c->pool, p, (size_t)(scheme_end - p))) : "";
    const char *rest = scheme_end ? scheme_end + 1 : p;
    const char *frag = strchr(rest, '#');
    const char *fragment = frag ? frag + 1 : "";
    size_t upto = frag ? (size_t)(frag - rest) : strlen(rest);
    char *body = kapi_pool_strndup(c->pool, rest, upto);
    char *query = strchr(body, '?');
    const char *raw_query = "";
    if (query) {
        *query = 0;
        raw_query = query + 1;
    }
    const char *host = "", *user = NULL;
    if (!strncmp(body, "//", 2)) {
        char *auth = body + 2;
        char *slash = strchr(auth, '/');
        if (slash)
            *slash = 0;
        char *at = strrchr(auth, '@');
        if (at) {
            *at = 0;
            user = auth;
            host = at + 1;
        } else {
            host = auth;
        }
    }
    if (strcmp(scheme, "https"))
        kapi_ferr_invalid(c->pool, c->errs, fld, scheme,
                          kapi_pool_printf(c->pool, "'https' is the only allowed URL scheme%s", form));
    if (!*host)
        kapi_ferr_invalid(c->pool, c->errs, fld, host, kapi_pool_printf(c->pool, "host must be specified%s", form));
    if (user)
        kapi_ferr_invalid(c->pool, c->errs, fld, user, "user information is not permitted in the URL");
    if (*fragment)
        kapi_ferr_invalid(c->pool, c->errs, fld, fragment, "fragments are not permitted in the URL");
    if (*raw_query)
        kapi_ferr_invalid(c->pool, c->errs, fld, raw_query, "query parameters are not permitted in the URL");
}

static void webhook_service(struct kv_ctx *c, const char *fld, const struct kapi_value *svc)
{
    /* Upstream passes (name, namespace) into parameters declared as
     * (namespace, name), so an empty name is reported as namespace and the
     * other way round. Reproduced on purpose. */
    const char *name = kv_str0(svc, "name"), *ns = kv_str0(svc, "namespace");
    if (!*ns)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.name", fld), "");
    if (!*name)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.namespace", fld), "");
    int64_t port = 443;
    kv_int(svc, "port", &port);
    if (port < 1 || port > 65535)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.port", fld), port,
                              "port is not valid: must be between 1 and 65535, inclusive");
    const struct kapi_value *pv = kv_get(svc, "path");
    if (!pv)
        return;
    const char *path = kapi_value_cstr(pv);
    path = path ? path : "";
    const char *pf = kv_path(c, "%s.path", fld);
    if (!*path || !strcmp(path, "/"))
        return;
    if (!strcmp(path, "//")) {
        kapi_ferr_invalid(c->pool, c->errs, pf, path, "segment[0] may not be empty");
        return;
    }
    if (path[0] != '/')
        kapi_ferr_invalid(c->pool, c->errs, pf, path, "must start with a '/'");
    char *check = kapi_pool_strdup(c->pool, path + 1);
    size_t n = strlen(check);
    if (n && check[n - 1] == '/')
        check[n - 1] = 0;
    size_t idx = 0;
    for (char *seg = check;; idx++) {
        char *slash = strchr(seg, '/');
        if (slash)
            *slash = 0;
        if (!*seg) {
            kapi_ferr_invalid(c->pool, c->errs, pf, path,
                              kapi_pool_printf(c->pool, "segment[%zu] may not be empty", idx));
        } else {
            const char *msgs[KAPI_NAME_MSGS_MAX];
            size_t nm = kapi_is_dns1123_subdomain(seg, msgs);
            for (size_t k = 0; k < nm; k++)
                kapi_ferr_invalid(c->pool, c->errs, pf, path,
                                  kapi_pool_printf(c->pool, "segment[%zu]: %s", idx, msgs[k]));
        }
        if (!slash)
            break;
        seg = slash + 1;
    }
}

static bool accepted_review_version(const char *v)
{
    return v && (!strcmp(v, "v1") || !strcmp(v, "v1beta1"));
}

static void review_versions(struct kv_ctx *c, const struct kapi_value *vers, bool require_recognized, const char *fld)
{
    size_t n = kv_len(vers);
    if (n == 0) {
        kapi_ferr_required(c->pool, c->errs, fld, "");
        return;
    }
    bool accepted = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = kapi_value_cstr(kv_item(vers, i));
        v = v ? v : "";
        const char *f = kv_path(c, "%s[%zu]", fld, i);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            const char *o = kapi_value_cstr(kv_item(vers, j));
            dup = o && !strcmp(o, v);
        }
        if (dup) {
            kapi_ferr_invalid(c->pool, c->errs, f, v, "duplicate version");
            continue;
        }
        kv_name_msgs(c, f, v, kapi_is_dns1035_label);
        accepted = accepted || accepted_review_version(v);
    }
    if (require_recognized && !accepted)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_strings(c, vers),
                      "must include at least one of v1, v1beta1");
}

static void conversion_rules(struct kv_ctx *c, const struct kapi_value *conv, bool require_recognized)
{
    if (!conv)
        return;
    static const char *const strategies[] = {"None", "Webhook"};
    const char *strategy = kv_str0(conv, "strategy");
    kv_enum(c, "spec.conversion.strategy", strategy, strategies, 2);
    const struct kapi_value *hook = kv_get(conv, "webhook");
    const struct kapi_value *cc = kv_get(hook, "clientConfig");
    const struct kapi_value *crv = kv_get(hook, "conversionReviewVersions");
    if (!strcmp(strategy, "Webhook")) {
        if (!cc) {
            kapi_ferr_required(c->pool, c->errs, "spec.conversion.webhookClientConfig",
                               "required when strategy is set to Webhook");
        } else {
            const struct kapi_value *url = kv_get(cc, "url"), *svc = kv_get(cc, "service");
            if (!url == !svc) {
                kapi_ferr_required(c->pool, c->errs, "spec.conversion.webhookClientConfig",
                                   "exactly one of url or service is required");
            } else if (url) {
                const char *u = kapi_value_cstr(url);
                webhook_url(c, "spec.conversion.webhookClientConfig.url", u ? u : "");
            } else {
                webhook_service(c, "spec.conversion.webhookClientConfig.service", svc);
            }
            /* caBundle is only checked on updates of established CRDs whose
             * stored bundle was valid; not reproduced (see the design note). */
        }
        review_versions(c, crv, require_recognized, "spec.conversion.conversionReviewVersions");
    } else {
        if (cc)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.conversion.webhookClientConfig",
                                "should not be set when strategy is not set to Webhook");
        if (kv_len(crv) > 0)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.conversion.conversionReviewVersions",
                                "should not be set when strategy is not set to Webhook");
    }
}

/* ---- The spec. */

static void spec_rules(struct kv_ctx *c, const struct crd_view *w, const struct crd_opts *o)
{
    const struct kapi_value *spec = w->spec;
    const char *group = kv_str0(spec, "group");
    if (!*group) {
        kapi_ferr_required(c->pool, c->errs, "spec.group", "");
    } else {
        const char *m = joined(c, group, kapi_is_dns1123_subdomain);
        if (m)
            kapi_ferr_invalid(c->pool, c->errs, "spec.group", group, m);
        else if (!strchr(group, '.'))
            kapi_ferr_invalid(c->pool, c->errs, "spec.group", group, "should be a domain with at least one dot");
    }
    static const char *const scopes[] = {"Cluster", "Namespaced"};
    kv_enum(c, "spec.scope", kv_str(spec, "scope"), scopes, 2);

    bool have_top_schema = kv_get(w->validation, "openAPIV3Schema") != NULL;
    if (o->require_schema) {
        if (!have_top_schema)
            for (size_t i = 0; i < w->nver; i++)
                if (!kv_get(ver_schema(w, kv_item(w->versions, i)), "openAPIV3Schema"))
                    kapi_ferr_required(c->pool, c->errs, kv_path(c, "spec.versions[%zu].schema.openAPIV3Schema", i),
                                       "schemas are required");
    } else if (!w->preserve_unknown && !have_top_schema) {
        for (size_t i = 0; i < w->nver; i++) {
            const struct kapi_value *v = kv_item(w->versions, i);
            if (kv_bool(v, "served") && !kv_get(ver_schema(w, v), "openAPIV3Schema"))
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "spec.versions[%zu].schema.openAPIV3Schema", i),
                                   "because otherwise all fields are pruned");
        }
    }
    if (w->preserve_unknown && spec_has_defaults(w))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.preserveUnknownFields", "true",
                      "must be false in order to use defaults in the schema");

    size_t storage = 0;
    bool unique = true;
    for (size_t i = 0; i < w->nver; i++) {
        const struct kapi_value *v = kv_item(w->versions, i);
        const char *name = kv_str0(v, "name");
        if (kv_bool(v, "storage"))
            storage++;
        for (size_t j = 0; j < i && unique; j++)
            unique = strcmp(kv_str0(kv_item(w->versions, j), "name"), name) != 0;
        dns1035_joined(c, kv_path(c, "spec.versions[%zu].name", i), name, NULL);
        version_rules(c, w, v, kv_path(c, "spec.versions[%zu]", i));
    }
    if (!unique)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.versions", go_versions(c, w),
                      "must contain unique version names");
    if (storage != 1)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.versions", go_versions(c, w),
                      "must have exactly one version marked as storage version");
    /* spec.version is versions[0].name after conversion */
    if (w->nver > 0) {
        const char *v0 = kv_str0(kv_item(w->versions, 0), "name");
        if (*v0)
            dns1035_joined(c, "spec.version", v0, NULL);
    }

    const struct kapi_value *names = kv_get(spec, "names");
    if (!*kv_str0(names, "plural"))
        kapi_ferr_required(c->pool, c->errs, "spec.names.plural", "");
    if (!*kv_str0(names, "singular"))
        kapi_ferr_required(c->pool, c->errs, "spec.names.singular", "");
    if (!*kv_str0(names, "kind"))
        kapi_ferr_required(c->pool, c->errs, "spec.names.kind", "");
    if (!*kv_str0(names, "listKind"))
        kapi_ferr_required(c->pool, c->errs, "spec.names.listKind", "");
    names_rules(c, names, "spec.names");

    /* The lifted (identical in every version) members. */
    bool any_status = has_status(w->subresources);
    for (size_t i = 0; i < w->nver && !any_status; i++)
        any_status = has_status(ver_sub(w, kv_item(w->versions, i)));
    validation_rules(c, w->validation, any_status, "spec.validation");
    subresources_rules(c, w->subresources, "spec.subresources");
    for (size_t i = 0; i < kv_len(w->columns); i++)
        column_rules(c, kv_item(w->columns, i), kv_path(c, "spec.additionalPrinterColumns[%zu]", i));
    if (kv_len(w->selectable) > 0) {
        if (!w->validation)
            kapi_ferr_invalid(c->pool, c->errs, "spec.selectableFields", "",
                              "selectableFields may only be set when validations.schema is included");
        else
            selectable_rules(c, w->selectable, kv_get(w->validation, "openAPIV3Schema"), "spec.selectableFields");
    }

    const struct kapi_value *conv = kv_get(spec, "conversion");
    const char *strategy = kv_str0(conv, "strategy");
    if (conv && strcmp(strategy, "None") && w->preserve_unknown)
        kapi_ferr_invalid(c->pool, c->errs, "spec.conversion.strategy", strategy,
                          "must be None if spec.preserveUnknownFields is true");
    conversion_rules(c, conv, o->require_recognized_crv);
}

/* ---- status.storedVersions. */

static void stored_versions_rules(struct kv_ctx *c, const struct kapi_value *stored, const struct crd_view *w)
{
    const char *fld = "status.storedVersions";
    size_t n = kv_len(stored);
    if (n == 0) {
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_strings(c, stored),
                      "must have at least one stored version");
        return;
    }
    bool *matched = kapi_pool_alloc(c->pool, n * sizeof(*matched));
    memset(matched, 0, n * sizeof(*matched));
    for (size_t i = 0; i < w->nver; i++) {
        const struct kapi_value *v = kv_item(w->versions, i);
        const char *name = kv_str0(v, "name");
        bool found = false;
        for (size_t j = 0; j < n; j++) {
            const char *s = kapi_value_cstr(kv_item(stored, j));
            if (s && !strcmp(s, name))
                matched[j] = found = true;
        }
        if (kv_bool(v, "storage") && !found)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_strings(c, stored),
                          kapi_pool_printf(c->pool, "must have the storage version %s", name));
    }
    /* Upstream keeps the last index of each name and walks a map; report
     * each unmatched name once, at its last position, in index order. */
    for (size_t j = 0; j < n; j++) {
        const char *s = kapi_value_cstr(kv_item(stored, j));
        s = s ? s : "";
        if (matched[j])
            continue;
        bool later = false;
        for (size_t k = j + 1; k < n && !later; k++) {
            const char *t = kapi_value_cstr(kv_item(stored, k));
            later = t && !strcmp(t, s);
        }
        if (later)
            continue;
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s[%zu]", fld, j), s,
                          kapi_pool_printf(c->pool,
                                           "missing from spec.versions; %s was previously a storage version, and "
                                           "must remain in spec.versions until a storage migration ensures no "
                                           "data remains persisted in %s and removes %s from "
                                           "status.storedVersions",
                                           s, s, s));
    }
}

/* ---- The api-approved.kubernetes.io annotation of protected groups. */

enum approval { APPROVAL_INVALID, APPROVAL_APPROVED, APPROVAL_BYPASSED, APPROVAL_MISSING };

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static bool protected_group(const char *g)
{
    return !strcmp(g, "k8s.io") || has_suffix(g, ".k8s.io") || !strcmp(g, "kubernetes.io") ||
           has_suffix(g, ".kubernetes.io");
}

/* url.ParseRequestURI succeeding with a scheme and a host. */
static bool approval_url(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    const char *p = s;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':' || strncmp(p + 1, "//", 2))
        return false;
    p += 3;
    const char *at = NULL;
    for (const char *q = p; *q && *q != '/' && *q != '?'; q++)
        if (*q == '@')
            at = q;
    if (at)
        p = at + 1;
    for (const char *q = s; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == ' ')
            return false;
    return *p && *p != '/' && *p != '?';
}

static enum approval approval_state(const struct kapi_value *meta, const char **value)
{
    const char *a = kv_str0(kv_get(meta, "annotations"), ANN_APPROVED);
    *value = a;
    if (!*a)
        return APPROVAL_MISSING;
    if (!strncmp(a, "unapproved", 10))
        return APPROVAL_BYPASSED;
    if (approval_url(a))
        return APPROVAL_APPROVED;
    return APPROVAL_INVALID;
}

static void approval_rules(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (!protected_group(kv_str0(kv_get(obj, "spec"), "group")))
        return;
    const char *value, *old_value;
    enum approval st = approval_state(kv_get(obj, "metadata"), &value);
    if (old && approval_state(kv_get(old, "metadata"), &old_value) == st)
        return;
    const char *fld = "metadata.annotations[" ANN_APPROVED "]";
    if (st == APPROVAL_MISSING)
        kapi_ferr_required(c->pool, c->errs, fld,
                           "protected groups must have approval annotation \"" ANN_APPROVED
                           "\", see https://github.com/kubernetes/enhancements/pull/1111");
    else if (st == APPROVAL_INVALID)
        kapi_ferr_invalid(c->pool, c->errs, fld, value,
                          "protected groups must have approval annotation \"" ANN_APPROVED
                          "\" with either a URL or a reason starting with \"unapproved\", see "
                          "https://github.com/kubernetes/enhancements/pull/1111");
}

/* ---- Entry points. */

static bool established(const struct kapi_value *crd)
{
    const struct kapi_value *conds = kv_get(kv_get(crd, "status"), "conditions");
    for (size_t i = 0; i < kv_len(conds); i++) {
        const struct kapi_value *cd = kv_item(conds, i);
        if (!strcmp(kv_str0(cd, "type"), "Established"))
            return !strcmp(kv_str0(cd, "status"), "True");
    }
    return false;
}

static bool all_versions_have_schema(const struct kapi_value *crd)
{
    const struct kapi_value *vers = kv_get(kv_get(crd, "spec"), "versions");
    for (size_t i = 0; i < kv_len(vers); i++)
        if (!kv_get(kv_get(kv_item(vers, i), "schema"), "openAPIV3Schema"))
            return false;
    return true;
}

static void crd_validate(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    struct crd_view w;
    build_view(obj, &w);
    const struct kapi_value *meta = kv_get(obj, "metadata");
    const struct kapi_value *names = kv_get(w.spec, "names");
    struct crd_opts o = {.require_schema = true, .require_recognized_crv = true};

    if (!old) {
        /* The name rule upstream adds to ObjectMeta validation. */
        const char *name = kv_str0(meta, "name");
        const char *want = kapi_pool_printf(c->pool, "%s.%s", kv_str0(names, "plural"), kv_str0(w.spec, "group"));
        if (*name && strcmp(name, want))
            kapi_ferr_invalid(c->pool, c->errs, "metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
    } else {
        const struct kapi_value *ospec = kv_get(old, "spec");
        o.require_schema = all_versions_have_schema(old);
        const struct kapi_value *oconv = kv_get(ospec, "conversion");
        const struct kapi_value *ocrv = kv_get(kv_get(oconv, "webhook"), "conversionReviewVersions");
        bool ok = kv_len(ocrv) == 0;
        for (size_t i = 0; i < kv_len(ocrv) && !ok; i++)
            ok = accepted_review_version(kapi_value_cstr(kv_item(ocrv, i)));
        o.require_recognized_crv = !oconv || ok;
    }

    spec_rules(c, &w, &o);
    if (old) {
        const struct kapi_value *ospec = kv_get(old, "spec");
        const struct kapi_value *onames = kv_get(ospec, "names");
        if (established(old)) {
            kv_immutable(c, kv_get(w.spec, "scope"), kv_get(ospec, "scope"), "spec.scope",
                         kv_repr(c, kv_get(w.spec, "scope")));
            kv_immutable(c, kv_get(names, "kind"), kv_get(onames, "kind"), "spec.names.kind",
                         kapi_go_quote(c->pool, kv_str0(names, "kind"), strlen(kv_str0(names, "kind"))));
        }
        kv_immutable(c, kv_get(w.spec, "group"), kv_get(ospec, "group"), "spec.group",
                     kapi_go_quote(c->pool, kv_str0(w.spec, "group"), strlen(kv_str0(w.spec, "group"))));
        kv_immutable(c, kv_get(names, "plural"), kv_get(onames, "plural"), "spec.names.plural",
                     kapi_go_quote(c->pool, kv_str0(names, "plural"), strlen(kv_str0(names, "plural"))));
    }

    /* On create upstream has just reset status to the first storage
     * version; validate that, whatever the client sent. */
    const struct kapi_value *status = kv_get(obj, "status");
    const struct kapi_value *stored = kv_get(status, "storedVersions");
    /* The strategy records the storage version before validation: on
     * create in a fresh status, on update appended to the stored list. */
    struct kapi_value *sv = kapi_value_array(c->pool);
    for (size_t i = 0; old && i < kv_len(stored); i++)
        kapi_arr_push(c->pool, sv, kapi_value_clone(c->pool, kv_item(stored, i)));
    for (size_t i = 0; i < w.nver; i++) {
        const struct kapi_value *v = kv_item(w.versions, i);
        if (!kv_bool(v, "storage"))
            continue;
        bool have = false;
        for (size_t j = 0; j < sv->u.arr.len && !have; j++) {
            const char *s = kapi_value_cstr(sv->u.arr.items[j]);
            have = s && !strcmp(s, kv_str0(v, "name"));
        }
        if (!have)
            kapi_arr_push(c->pool, sv, kapi_value_str(c->pool, kv_str0(v, "name")));
        break;
    }
    if (sv->u.arr.len || !old)
        stored = sv->u.arr.len ? sv : NULL;
    if (old)
        names_rules(c, kv_get(status, "acceptedNames"), "status.acceptedNames");
    stored_versions_rules(c, stored, &w);
    approval_rules(c, obj, old);
    if (!(old && kv_bool(kv_get(old, "spec"), "preserveUnknownFields")) && w.preserve_unknown)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.preserveUnknownFields", "true",
                      "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in "
                      "spec.versions[*].schema instead");
}

bool kv_apiext(struct kv_ctx *c, const char *kind, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (strcmp(kind, "CustomResourceDefinition"))
        return false;
    /* A write through the status subresource keeps the stored spec and
     * changes status: upstream then only checks the accepted names (ObjectMeta
     * is checked by the caller). */
    if (old && kapi_value_equal(kv_get(obj, "spec") ? kv_get(obj, "spec") : kapi_value_null(c->pool),
                                kv_get(old, "spec") ? kv_get(old, "spec") : kapi_value_null(c->pool)) &&
        !same_ptr(kv_get(obj, "status"), kv_get(old, "status"))) {
        names_rules(c, kv_get(kv_get(obj, "status"), "acceptedNames"), "status.acceptedNames");
        return true;
    }
    crd_validate(c, obj, old);
    return true;
}
