/* apiext/schema: compiled CRD schemas prune, default and validate custom
 * resources with upstream's paths and message texts (checked through the
 * aggregate string a 422 Status carries), and kapi_crd_schema_check gives
 * the CRD validator's structural errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiext/schema.h"
#include "codec/json.h"

/* Test JSON uses ' for " to stay readable. */
static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    char *s = kapi_pool_strdup(pool, json);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, s, strlen(s), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s in %s", err.msg, s);
    return v;
}

static char *to_json(struct kapi_pool *pool, const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    char *s = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    for (char *p = s; *p; p++)
        if (*p == '"')
            *p = '\'';
    return s;
}

static struct kapi_crd_schema *compile(struct kapi_pool *pool, const char *schema)
{
    char *err = NULL;
    struct kapi_crd_schema *s = kapi_crd_schema_compile(parse(pool, schema), &err);
    if (!s)
        fail_msg("compile failed: %s", err);
    return s;
}

/* Validates obj against a schema whose root holds spec: <spec_schema>. */
static void check(const char *spec_schema, const char *spec, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    char *schema = kapi_pool_printf(pool, "{'type':'object','properties':{'spec':%s}}", spec_schema);
    struct kapi_crd_schema *s = compile(pool, schema);
    struct kapi_field_errors errs = {0};
    char *obj = kapi_pool_printf(pool, "{'apiVersion':'x.io/v1','kind':'X','metadata':{'name':'a'},'spec':%s}", spec);
    kapi_crd_schema_validate(pool, s, parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("schema %s, spec %s\n got: %s\nwant: %s", spec_schema, spec, got, want);
    kapi_crd_schema_free(s);
    kapi_pool_free(pool);
}

static void test_type(void **state)
{
    (void)state;
    check("{'type':'object','properties':{'replicas':{'type':'integer'}}}", "{'replicas':3}", "");
    check("{'type':'object','properties':{'replicas':{'type':'integer'}}}", "{'replicas':'x'}",
          "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
    /* An integral float is an integer for kube-openapi. */
    check("{'type':'object','properties':{'replicas':{'type':'integer'}}}", "{'replicas':2.0}", "");
    check("{'type':'object','properties':{'replicas':{'type':'integer'}}}", "{'replicas':2.5}",
          "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"");
    check("{'type':'object','properties':{'r':{'type':'number'}}}", "{'r':2}", "");
    check("{'type':'object','properties':{'b':{'type':'boolean'}}}", "{'b':'true'}",
          "spec.b: Invalid value: \"string\": spec.b in body must be of type boolean: \"string\"");
    check("{'type':'object','properties':{'o':{'type':'object'}}}", "{'o':[]}",
          "spec.o: Invalid value: \"array\": spec.o in body must be of type object: \"array\"");
    check("{'type':'object','properties':{'p':{'x-kubernetes-int-or-string':true}}}", "{'p':'80%'}", "");
    check("{'type':'object','properties':{'p':{'x-kubernetes-int-or-string':true}}}", "{'p':80}", "");
    check("{'type':'object','properties':{'p':{'x-kubernetes-int-or-string':true}}}", "{'p':true}",
          "spec.p: Invalid value: \"boolean\": spec.p in body must be of type integer,string: \"boolean\"");
}

static void test_nullable(void **state)
{
    (void)state;
    check("{'type':'object','properties':{'s':{'type':'string'}}}", "{'s':null}",
          "spec.s: Invalid value: \"null\": spec.s in body must be of type string: \"null\"");
    check("{'type':'object','properties':{'s':{'type':'string','nullable':true}}}", "{'s':null}", "");
}

static void test_required(void **state)
{
    (void)state;
    check("{'type':'object','required':['name'],'properties':{'name':{'type':'string'}}}", "{'name':'x'}", "");
    check("{'type':'object','required':['name'],'properties':{'name':{'type':'string'}}}", "{}",
          "spec.name: Required value");
}

static void test_enum(void **state)
{
    (void)state;
    check("{'type':'object','properties':{'size':{'type':'string','enum':['small','large']}}}", "{'size':'small'}", "");
    check("{'type':'object','properties':{'size':{'type':'string','enum':['small','large']}}}", "{'size':'huge'}",
          "spec.size: Unsupported value: \"huge\": supported values: \"small\", \"large\"");
    check("{'type':'object','properties':{'n':{'type':'integer','enum':[1,2]}}}", "{'n':3}",
          "spec.n: Unsupported value: 3: supported values: \"1\", \"2\"");
}

static void test_pattern(void **state)
{
    (void)state;
    check("{'type':'object','properties':{'n':{'type':'string','pattern':'^[a-z]+$'}}}", "{'n':'abc'}", "");
    check("{'type':'object','properties':{'n':{'type':'string','pattern':'^[a-z]+$'}}}", "{'n':'ABC'}",
          "spec.n: Invalid value: \"ABC\": spec.n in body should match '^[a-z]+$'");
    check("{'type':'object','properties':{'n':{'type':'string','pattern':'^\\\\d{3}$'}}}", "{'n':'123'}", "");
    check("{'type':'object','properties':{'n':{'type':'string','pattern':'^\\\\d{3}$'}}}", "{'n':'12a'}",
          "spec.n: Invalid value: \"12a\": spec.n in body should match '^\\d{3}$'");
}

static void test_numbers(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'n':{'type':'integer','minimum':1,'maximum':10}}}";
    check(sch, "{'n':5}", "");
    check(sch, "{'n':0}", "spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1");
    check(sch, "{'n':11}", "spec.n: Invalid value: 11: spec.n in body should be less than or equal to 10");
    const char *ex = "{'type':'object','properties':{'n':{'type':'number','minimum':1,'exclusiveMinimum':true,"
                     "'maximum':10,'exclusiveMaximum':true}}}";
    check(ex, "{'n':1}", "spec.n: Invalid value: 1: spec.n in body should be greater than 1");
    check(ex, "{'n':10.5}", "spec.n: Invalid value: 10.5: spec.n in body should be less than 10");
    check(ex, "{'n':1.5}", "");
    const char *big = "{'type':'object','properties':{'n':{'type':'number','maximum':1000000}}}";
    check(big, "{'n':1000000.5}", "spec.n: Invalid value: 1.0000005e+06: spec.n in body should be less than or equal to 1e+06");
    const char *mul = "{'type':'object','properties':{'n':{'type':'integer','multipleOf':5}}}";
    check(mul, "{'n':15}", "");
    check(mul, "{'n':7}", "spec.n: Invalid value: 7: spec.n in body should be a multiple of 5");
    const char *fmul = "{'type':'object','properties':{'n':{'type':'number','multipleOf':0.5}}}";
    check(fmul, "{'n':1.5}", "");
    check(fmul, "{'n':1.2}", "spec.n: Invalid value: 1.2: spec.n in body should be a multiple of 0.5");
}

static void test_strings(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'s':{'type':'string','minLength':2,'maxLength':3}}}";
    check(sch, "{'s':'ab'}", "");
    /* Lengths count code points, not bytes. */
    check(sch, "{'s':'\xc3\xa9\xc3\xa9\xc3\xa9'}", "");
    check(sch, "{'s':'abcd'}", "spec.s: Too long: may not be more than 3 bytes");
    check(sch, "{'s':'a'}", "spec.s: Invalid value: \"a\": spec.s in body should be at least 2 chars long");
}

static void test_formats(void **state)
{
    (void)state;
    check("{'type':'object','properties':{'t':{'type':'string','format':'date-time'}}}", "{'t':'2024-01-02T03:04:05Z'}", "");
    check("{'type':'object','properties':{'t':{'type':'string','format':'date-time'}}}", "{'t':'yesterday'}",
          "spec.t: Invalid value: \"yesterday\": spec.t in body must be of type date-time: \"yesterday\"");
    check("{'type':'object','properties':{'t':{'type':'string','format':'date'}}}", "{'t':'2024-02-30'}",
          "spec.t: Invalid value: \"2024-02-30\": spec.t in body must be of type date: \"2024-02-30\"");
    check("{'type':'object','properties':{'u':{'type':'string','format':'uuid'}}}",
          "{'u':'123e4567-e89b-12d3-a456-426614174000'}", "");
    check("{'type':'object','properties':{'u':{'type':'string','format':'uuid'}}}", "{'u':'nope'}",
          "spec.u: Invalid value: \"nope\": spec.u in body must be of type uuid: \"nope\"");
    check("{'type':'object','properties':{'i':{'type':'string','format':'ipv4'}}}", "{'i':'10.0.0.1'}", "");
    check("{'type':'object','properties':{'i':{'type':'string','format':'ipv4'}}}", "{'i':'10.0.0.256'}",
          "spec.i: Invalid value: \"10.0.0.256\": spec.i in body must be of type ipv4: \"10.0.0.256\"");
    check("{'type':'object','properties':{'i':{'type':'string','format':'ipv6'}}}", "{'i':'fe80::1'}", "");
    check("{'type':'object','properties':{'c':{'type':'string','format':'cidr'}}}", "{'c':'10.0.0.0/8'}", "");
    check("{'type':'object','properties':{'c':{'type':'string','format':'cidr'}}}", "{'c':'10.0.0.0/33'}",
          "spec.c: Invalid value: \"10.0.0.0/33\": spec.c in body must be of type cidr: \"10.0.0.0/33\"");
    check("{'type':'object','properties':{'b':{'type':'string','format':'byte'}}}", "{'b':'aGVsbG8='}", "");
    check("{'type':'object','properties':{'h':{'type':'string','format':'hostname'}}}", "{'h':'a.example.com'}", "");
    check("{'type':'object','properties':{'h':{'type':'string','format':'hostname'}}}", "{'h':'-bad-'}",
          "spec.h: Invalid value: \"-bad-\": spec.h in body must be of type hostname: \"-bad-\"");
    check("{'type':'object','properties':{'d':{'type':'string','format':'duration'}}}", "{'d':'1h30m'}", "");
    check("{'type':'object','properties':{'e':{'type':'string','format':'email'}}}", "{'e':'a@b.io'}", "");
    check("{'type':'object','properties':{'e':{'type':'string','format':'uri'}}}", "{'e':'https://x.io/a'}", "");
    /* Formats upstream strips (int32, ...) are not checked. */
    check("{'type':'object','properties':{'n':{'type':'integer','format':'int32'}}}", "{'n':99999999999}", "");
}

static void test_arrays(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'l':{'type':'array','minItems':1,'maxItems':2,"
                      "'items':{'type':'object','properties':{'name':{'type':'string'}}}}}}";
    check(sch, "{'l':[{'name':'a'}]}", "");
    check(sch, "{'l':[]}", "spec.l: Invalid value: 0: spec.l in body should have at least 1 items");
    check(sch, "{'l':[{},{},{}]}", "spec.l: Too many: 3: must have at most 2 items");
    check(sch, "{'l':[{'name':1}]}",
          "spec.l[0].name: Invalid value: \"integer\": spec.l[0].name in body must be of type string: \"integer\"");
    check("{'type':'object','properties':{'l':{'type':'array','uniqueItems':true,'items':{'type':'string'}}}}",
          "{'l':['a','a']}", "spec.l: Invalid value: \"\": spec.l in body shouldn't contain duplicates");
}

static void test_objects(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'m':{'type':'object','minProperties':1,'maxProperties':2,"
                      "'additionalProperties':{'type':'integer'}}}}";
    check(sch, "{'m':{'a':1}}", "");
    check(sch, "{'m':{}}", "spec.m: Invalid value: 0: spec.m in body should have at least 1 properties");
    check(sch, "{'m':{'a':1,'b':2,'c':3}}", "spec.m: Too many: 3: must have at most 2 items");
    check(sch, "{'m':{'a':'x'}}",
          "spec.m.a: Invalid value: \"string\": spec.m.a in body must be of type integer: \"string\"");
}

static void test_junctors(void **state)
{
    (void)state;
    const char *any = "{'type':'object','properties':{'n':{'type':'integer','anyOf':[{'minimum':5},{'maximum':1}]}}}";
    check(any, "{'n':7}", "");
    check(any, "{'n':3}",
          "[<nil>: Invalid value: \"\": \"spec.n\" must validate at least one schema (anyOf), "
          "spec.n: Invalid value: 3: spec.n in body should be greater than or equal to 5]");
    const char *one = "{'type':'object','properties':{'n':{'type':'integer','oneOf':[{'minimum':5},{'minimum':6}]}}}";
    check(one, "{'n':5}", "");
    check(one, "{'n':7}",
          "<nil>: Invalid value: \"\": \"spec.n\" must validate one and only one schema (oneOf). Found 2 valid alternatives");
    const char *all = "{'type':'object','properties':{'n':{'type':'integer','allOf':[{'minimum':5},{'maximum':9}]}}}";
    check(all, "{'n':6}", "");
    check(all, "{'n':10}",
          "[spec.n: Invalid value: 10: spec.n in body should be less than or equal to 9, "
          "<nil>: Invalid value: \"\": \"spec.n\" must validate all the schemas (allOf)]");
    const char *not_ = "{'type':'object','properties':{'n':{'type':'integer','not':{'minimum':5}}}}";
    check(not_, "{'n':1}", "");
    check(not_, "{'n':6}", "<nil>: Invalid value: \"\": \"spec.n\" must not validate the schema (not)");
}

static void test_list_types(void **state)
{
    (void)state;
    const char *set = "{'type':'object','properties':{'l':{'type':'array','x-kubernetes-list-type':'set',"
                      "'items':{'type':'string'}}}}";
    check(set, "{'l':['a','b']}", "");
    check(set, "{'l':['a','b','a','a']}", "spec.l[2]: Duplicate value: \"a\"");
    const char *map = "{'type':'object','properties':{'l':{'type':'array','x-kubernetes-list-type':'map',"
                      "'x-kubernetes-list-map-keys':['name'],'items':{'type':'object','properties':"
                      "{'name':{'type':'string'},'v':{'type':'integer'}}}}}}";
    check(map, "{'l':[{'name':'a'},{'name':'b'}]}", "");
    check(map, "{'l':[{'name':'a','v':1},{'name':'a','v':2}]}",
          "spec.l[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}");
    check(map, "{'l':['x']}",
          "[spec.l[0]: Invalid value: \"string\": spec.l[0] in body must be of type object: \"string\", "
          "spec.l[0]: Invalid value: \"x\": must be an object for an array of list-type map]");
}

static void test_embedded(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'t':{'type':'object','x-kubernetes-embedded-resource':true,"
                      "'x-kubernetes-preserve-unknown-fields':true}}}";
    check(sch, "{'t':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'}}}", "");
    check(sch, "{'t':{}}", "[spec.t.apiVersion: Required value, spec.t.kind: Required value]");
    check(sch, "{'t':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'a/b'}}}",
          "spec.t.metadata.name: Invalid value: \"a/b\": may not contain '/'");
}

/* ---- pruning ---- */

static void prune(const char *schema, const char *obj, const char *want, const char *want_unknown)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_crd_schema *s = compile(pool, schema);
    struct kapi_value *v = parse(pool, obj);
    struct kapi_strlist unknown = {0};
    kapi_crd_schema_prune(pool, s, v, &unknown);
    const char *got = to_json(pool, v);
    if (strcmp(got, want) != 0)
        fail_msg("prune %s\n got: %s\nwant: %s", obj, got, want);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < unknown.len; i++) {
        if (i)
            kapi_buf_putc(&b, ',');
        kapi_buf_puts(&b, unknown.items[i]);
    }
    kapi_buf_putc(&b, ']');
    if (strcmp(b.data, want_unknown) != 0)
        fail_msg("unknown paths\n got: %s\nwant: %s", b.data, want_unknown);
    kapi_buf_dispose(&b);
    kapi_crd_schema_free(s);
    kapi_pool_free(pool);
}

static void test_prune(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'spec':{'type':'object','properties':{'a':{'type':'string'},"
                      "'l':{'type':'array','items':{'type':'object','properties':{'n':{'type':'string'}}}},"
                      "'keep':{'type':'object','x-kubernetes-preserve-unknown-fields':true,"
                      "'properties':{'inner':{'type':'object','properties':{'x':{'type':'string'}}}}},"
                      "'m':{'type':'object','additionalProperties':{'type':'object','properties':{'y':{'type':'string'}}}},"
                      "'t':{'type':'object','x-kubernetes-embedded-resource':true,'properties':{'z':{'type':'string'}}}}}}}";
    prune(sch,
          "{'apiVersion':'x/v1','kind':'X','metadata':{'name':'a','bogus':1},'extra':1,"
          "'spec':{'a':'1','b':2,'l':[{'n':'x','o':1}],'keep':{'free':1,'inner':{'x':'1','w':2}},"
          "'m':{'k':{'y':'1','q':2}},'t':{'apiVersion':'v1','kind':'K','metadata':{'name':'n','junk':1},'z':'1','u':1}}}",
          "{'apiVersion':'x/v1','kind':'X','metadata':{'name':'a'},"
          "'spec':{'a':'1','l':[{'n':'x'}],'keep':{'free':1,'inner':{'x':'1'}},"
          "'m':{'k':{'y':'1'}},'t':{'apiVersion':'v1','kind':'K','metadata':{'name':'n'},'z':'1'}}}",
          "[metadata.bogus,extra,spec.b,spec.l[0].o,spec.keep.inner.w,spec.m.k.q,spec.t.u,spec.t.metadata.junk]");
    /* No schema: everything is kept. */
    struct kapi_crd_schema *s = kapi_crd_schema_compile(NULL, NULL);
    assert_non_null(s);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse(pool, "{'a':{'b':1}}");
    kapi_crd_schema_prune(pool, s, v, NULL);
    assert_string_equal(to_json(pool, v), "{'a':{'b':1}}");
    kapi_crd_schema_free(s);
    kapi_pool_free(pool);
}

/* ---- defaulting ---- */

static void defaults(const char *schema, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_crd_schema *s = compile(pool, schema);
    struct kapi_value *v = parse(pool, obj);
    kapi_crd_schema_default(pool, s, v);
    const char *got = to_json(pool, v);
    if (strcmp(got, want) != 0)
        fail_msg("default %s\n got: %s\nwant: %s", obj, got, want);
    kapi_crd_schema_free(s);
    kapi_pool_free(pool);
}

static void test_default(void **state)
{
    (void)state;
    const char *sch = "{'type':'object','properties':{'spec':{'type':'object','default':{},'properties':{"
                      "'r':{'type':'integer','default':1},"
                      "'n':{'type':'string','nullable':true,'default':'d'},"
                      "'x':{'type':'string'},"
                      "'o':{'type':'object','default':{'a':'b','junk':1},'properties':{'a':{'type':'string'}}},"
                      "'l':{'type':'array','items':{'type':'object','default':{'k':'v'},'properties':{'k':{'type':'string'},'z':{'type':'integer','default':0}}}},"
                      "'m':{'type':'object','additionalProperties':{'type':'object','properties':{'q':{'type':'string','default':'Q'}}}}}}}}";
    /* Defaults are added in property-name order (upstream ranges over a map). */
    defaults(sch, "{}", "{'spec':{'n':'d','o':{'a':'b'},'r':1}}");
    defaults(sch, "{'spec':{'r':5,'n':null,'x':null}}", "{'spec':{'r':5,'n':null,'o':{'a':'b'}}}");
    defaults(sch, "{'spec':{'r':null}}", "{'spec':{'r':1,'n':'d','o':{'a':'b'}}}");
    defaults(sch, "{'spec':{'l':[{},null,{'k':'w'}],'m':{'a':{},'b':{'q':'x'}}}}",
             "{'spec':{'l':[{'z':0},{'k':'v','z':0},{'k':'w','z':0}],'m':{'a':{'q':'Q'},'b':{'q':'x'}},'n':'d','o':{'a':'b'},'r':1}}");
}

/* ---- CRD-time check ---- */

static void crdcheck(const char *schema, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_crd_schema_check(pool, parse(pool, schema), "spec.versions[0].schema.openAPIV3Schema", &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("check %s\n got: %s\nwant: %s", schema, got, want);
    kapi_pool_free(pool);
}

static void test_check(void **state)
{
    (void)state;
    crdcheck("{'type':'object','properties':{'spec':{'type':'object','properties':{'a':{'type':'string'}}}}}", "");
    crdcheck("{'type':'object','properties':{'spec':{'properties':{'a':{'type':'string'}}}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for "
             "specified object fields");
    crdcheck("{'properties':{'spec':{'type':'object'}}}",
             "spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root");
    crdcheck("{'type':'object','properties':{'l':{'type':'array'}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[l].items: Required value: must be specified");
    crdcheck("{'type':'object','properties':{'metadata':{'type':'object','properties':{'name':{'type':'string','maxLength':10}}}}}", "");
    crdcheck("{'type':'object','properties':{'metadata':{'type':'object','properties':{'labels':{'type':'object'}}}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything "
             "other than name and generateName, but metadata is implicitly specified");
    crdcheck("{'type':'object','properties':{'a':{'type':'string','anyOf':[{'type':'string'}]}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[a].anyOf[0].type: Forbidden: must be empty to be structural");
    crdcheck("{'type':'object','properties':{'a':{'x-kubernetes-int-or-string':true,'anyOf':[{'type':'integer'},{'type':'string'}]}}}", "");
    crdcheck("{'type':'object','properties':{'a':{'type':'integer','default':'x'}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[a].default: Invalid value: \"string\":  in body must "
             "be of type integer: \"string\"");
    crdcheck("{'type':'object','properties':{'a':{'type':'object','default':{'b':1},'properties':{'c':{'type':'string'}}}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[a].default: Invalid value: map[string]interface "
             "{}{\"b\":1}: must not have unknown fields");
    crdcheck("{'type':'object','properties':{'a':{'type':'string','minLength':3,'default':'x'}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[a].default: Invalid value: \"x\":  in body should be "
             "at least 3 chars long");
    crdcheck("{'type':'object','properties':{'a':{'type':'string','pattern':'(a*)\\\\1'}}}",
             "spec.versions[0].schema.openAPIV3Schema.properties[a].pattern: Invalid value: \"(a*)\\\\1\": must be a "
             "valid regular expression, but isn't: error parsing regexp: invalid escape sequence: `\\1`");
    crdcheck("{'type':'string'}", "spec.versions[0].schema.openAPIV3Schema.type: Invalid value: \"string\": must be "
                                  "object at the root");
}

static void test_lookup_and_bounds(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_crd_schema *s =
        compile(pool, "{'type':'object','properties':{'spec':{'type':'object','properties':{'replicas':{'type':'integer'}}}}}");
    assert_string_equal(kapi_crd_schema_type(kapi_crd_schema_at(s, ".spec.replicas")), "integer");
    assert_string_equal(kapi_crd_schema_type(kapi_crd_schema_at(s, "spec")), "object");
    assert_null(kapi_crd_schema_at(s, ".spec.nope"));
    kapi_crd_schema_free(s);
    /* Too deep a schema is refused at compile time. */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (int i = 0; i < 80; i++)
        kapi_buf_puts(&b, "{\"type\":\"object\",\"properties\":{\"a\":");
    kapi_buf_puts(&b, "{}");
    for (int i = 0; i < 80; i++)
        kapi_buf_puts(&b, "}}");
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, b.data, b.len, NULL, &jerr);
    kapi_buf_dispose(&b);
    if (v) {
        char *err = NULL;
        assert_null(kapi_crd_schema_compile(v, &err));
        assert_non_null(err);
        free(err);
    }
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),       cmocka_unit_test(test_nullable),  cmocka_unit_test(test_required),
        cmocka_unit_test(test_enum),       cmocka_unit_test(test_pattern),   cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),    cmocka_unit_test(test_formats),   cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_objects),    cmocka_unit_test(test_junctors),  cmocka_unit_test(test_list_types),
        cmocka_unit_test(test_embedded),   cmocka_unit_test(test_prune),     cmocka_unit_test(test_default),
        cmocka_unit_test(test_check),      cmocka_unit_test(test_lookup_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
