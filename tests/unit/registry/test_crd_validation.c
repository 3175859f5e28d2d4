/* registry: apiextensions.k8s.io/v1 CustomResourceDefinition validation and
 * defaulting. A valid CRD passes; each rule yields upstream's exact field
 * path and message (as the aggregate string of a 422 Status), including
 * the paths upstream's v1 -> internal conversion produces (spec.version,
 * spec.validation, spec.subresources, spec.additionalPrinterColumns,
 * spec.conversion.webhookClientConfig). Schemas are kept trivial: their
 * contents are the apiext schema engine's business. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/defaults/defaults_int.h"
#include "registry/validation.h"
#include "vtest.h"

static void check(const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "apiextensions.k8s.io", "v1", "CustomResourceDefinition", parse(pool, obj),
                       old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

/* For cases where the schema engine may add its own errors: want must be
 * one of the aggregated messages. */
static void check_has(const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "apiextensions.k8s.io", "v1", "CustomResourceDefinition", parse(pool, obj), NULL, &errs);
    bool found = false;
    for (size_t i = 0; i < errs.len && !found; i++)
        found = strcmp(kapi_field_error_string(pool, &errs.items[i]), want) == 0;
    if (!found)
        fail_msg("\n got: %s\nwant among them: %s", kapi_field_errors_aggregate(pool, &errs), want);
    kapi_pool_free(pool);
}

#define SCHEMA "'schema':{'openAPIV3Schema':{'type':'object'}}"
#define V1 "{'name':'v1','served':true,'storage':true," SCHEMA "}"
#define NAMES "'names':{'plural':'widgets','singular':'widget','kind':'Widget','listKind':'WidgetList'}"
/* A CRD named widgets.example.com with extra spec members and versions. */
#define CRDX(meta, group, extra, versions)                                                                   \
    "{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition','metadata':{'name':'widgets." \
    group "'" meta "},'spec':{'group':'" group "'," NAMES ",'scope':'Namespaced','versions':[" versions "]" \
    extra "}}"
#define CRD(extra, versions) CRDX("", "example.com", extra, versions)

#define DNS1035(v)                                                                                          \
    "Invalid value: \"" v "\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', " \
    "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "     \
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

#define GOVER(name, served, storage)                                                                         \
    "apiextensions.CustomResourceDefinitionVersion{Name:\"" name "\", Served:" served ", Storage:" storage     \
    ", Deprecated:false, DeprecationWarning:(*string)(nil), Schema:(*apiextensions.CustomResourceValidation)" \
    "(nil), Subresources:(*apiextensions.CustomResourceSubresources)(nil), "                                 \
    "AdditionalPrinterColumns:[]apiextensions.CustomResourceColumnDefinition(nil), "                         \
    "SelectableFields:[]apiextensions.SelectableField(nil)}"

static void test_valid(void **state)
{
    (void)state;
    check(CRD("", V1), NULL, "");
    check(CRD(",'preserveUnknownFields':false",
              V1 ",{'name':'v2beta1','served':false,'storage':false," SCHEMA "}"),
          NULL, "");
    check(CRD("",
              "{'name':'v1','served':true,'storage':true," SCHEMA ",'subresources':{'status':{},'scale':{"
              "'specReplicasPath':'.spec.replicas','statusReplicasPath':'.status.replicas',"
              "'labelSelectorPath':'.status.selector'}},'additionalPrinterColumns':[{'name':'Age','type':'date',"
              "'jsonPath':'.metadata.creationTimestamp'},{'name':'N','type':'integer','format':'int32',"
              "'jsonPath':'.spec.n','priority':1}]}"),
          NULL, "");
    /* webhook conversion, both client config forms */
    check(CRD(",'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'url':'https://conv.example.com/x'},"
              "'conversionReviewVersions':['v1','v1beta1']}}",
              V1),
          NULL, "");
    check(CRD(",'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{'namespace':'ns',"
              "'name':'conv','path':'/convert','port':8443}},'conversionReviewVersions':['v1']}}",
              V1),
          NULL, "");
}

static void test_name_and_group(void **state)
{
    (void)state;
    check("{'metadata':{'name':'gadgets.example.com'},'spec':{'group':'example.com'," NAMES
          ",'scope':'Namespaced','versions':[" V1 "],'conversion':{'strategy':'None'}}}",
          NULL, "metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group");
    check(CRDX("", "example", "", V1), NULL,
          "spec.group: Invalid value: \"example\": should be a domain with at least one dot");
    check(CRDX("", "Example.com", "", V1), NULL,
          "spec.group: Invalid value: \"Example.com\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    check("{'metadata':{'name':'widgets.'},'spec':{" NAMES ",'scope':'Namespaced','versions':[" V1
          "],'conversion':{'strategy':'None'}}}",
          NULL, "spec.group: Required value");
}

static void test_protected_group(void **state)
{
    (void)state;
    check(CRDX("", "stable.k8s.io", "", V1), NULL,
          "metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval "
          "annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111");
    check(CRDX(",'annotations':{'api-approved.kubernetes.io':'yes'}", "x.kubernetes.io", "", V1), NULL,
          "metadata.annotations[api-approved.kubernetes.io]: Invalid value: \"yes\": protected groups must have "
          "approval annotation \"api-approved.kubernetes.io\" with either a URL or a reason starting with "
          "\"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111");
    check(CRDX(",'annotations':{'api-approved.kubernetes.io':'https://github.com/kubernetes/kubernetes/pull/1'}",
               "stable.k8s.io", "", V1),
          NULL, "");
    check(CRDX(",'annotations':{'api-approved.kubernetes.io':'unapproved, experimental'}", "k8s.io", "", V1), NULL,
          "");
    /* not protected: a lookalike suffix */
    check(CRDX("", "notk8s.io", "", V1), NULL, "");
    /* an update that keeps the (missing) approval state is accepted */
    check(CRDX(",'resourceVersion':'2'", "stable.k8s.io", "", V1), CRDX("", "stable.k8s.io", "", V1), "");
}

static void test_scope_and_names(void **state)
{
    (void)state;
    check("{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com'," NAMES
          ",'scope':'Global','versions':[" V1 "],'conversion':{'strategy':'None'}}}",
          NULL, "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"");
    check("{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com'," NAMES
          ",'versions':[" V1 "],'conversion':{'strategy':'None'}}}",
          NULL, "spec.scope: Required value");
    check("{'metadata':{'name':'.example.com'},'spec':{'group':'example.com','names':{},'scope':'Cluster',"
          "'versions':[" V1 "],'conversion':{'strategy':'None'}}}",
          NULL,
          "[spec.names.plural: Required value, spec.names.singular: Required value, spec.names.kind: Required "
          "value, spec.names.listKind: Required value]");
    check("{'metadata':{'name':'Widgets.example.com'},'spec':{'group':'example.com','names':{'plural':'Widgets',"
          "'singular':'w_1','kind':'Wid get','listKind':'Wid get','shortNames':['ok','1x'],'categories':['all',"
          "'Bad']},'scope':'Cluster','versions':[" V1 "],'conversion':{'strategy':'None'}}}",
          NULL,
          "[spec.names.plural: " DNS1035("Widgets") ", spec.names.singular: " DNS1035("w_1")
          ", spec.names.kind: Invalid value: \"Wid get\": may have mixed case, but should otherwise match: a "
          "DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
          "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
          "validation is '[a-z]([-a-z0-9]*[a-z0-9])?'), spec.names.listKind: Invalid value: \"Wid get\": may "
          "have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric "
          "characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
          "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'), "
          "spec.names.shortNames[1]: " DNS1035("1x")
          ", spec.names.listKind: Invalid value: \"Wid get\": kind and listKind may not be the same, "
          "spec.names.categories[1]: " DNS1035("Bad") "]");
}

static void test_versions(void **state)
{
    (void)state;
    check(CRD("", "{'name':'v1','served':true,'storage':false," SCHEMA "}"), NULL,
          "[spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{" GOVER("v1", "true", "false")
          "}: must have exactly one version marked as storage version, status.storedVersions: Invalid value: "
          "[]string(nil): must have at least one stored version]");
    check(CRD("", V1 "," V1), NULL,
          "[spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{" GOVER("v1", "true", "true")
          ", " GOVER("v1", "true", "true") "}: must contain unique version names, spec.versions: Invalid value: "
          "[]apiextensions.CustomResourceDefinitionVersion{" GOVER("v1", "true", "true") ", " GOVER("v1", "true", "true")
          "}: must have exactly one version marked as storage version]");
    /* the first version name is also checked as spec.version */
    check(CRD("", "{'name':'V1','served':true,'storage':true," SCHEMA "}"), NULL,
          "[spec.versions[0].name: " DNS1035("V1") ", spec.version: " DNS1035("V1") "]");
    check(CRD("", "{'name':'v1','served':true,'storage':true}"), NULL,
          "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA ",'deprecationWarning':'old'}"), NULL,
          "spec.versions[0].deprecationWarning: Invalid value: \"old\": can only be set for deprecated versions");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA ",'deprecated':true,'deprecationWarning':''}"),
          NULL, "spec.versions[0].deprecationWarning: Invalid value: \"\": must not be an empty string");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA
                  ",'deprecated':true,'deprecationWarning':'a\\u0007b'}"),
          NULL,
          "spec.versions[0].deprecationWarning: Invalid value: \"a\\ab\": must only contain printable UTF-8 "
          "characters; non-printable character found at index 1");
}

static void test_subresources_and_columns(void **state)
{
    (void)state;
    /* identical in every version: reported under spec.subresources */
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA ",'subresources':{'scale':{"
                  "'specReplicasPath':'spec.replicas','statusReplicasPath':'.spec.replicas',"
                  "'labelSelectorPath':'.metadata.labels'}}}"),
          NULL,
          "[spec.subresources.scale.specReplicasPath: Invalid value: \"spec.replicas\": must be a simple json path "
          "starting with ., spec.subresources.scale.statusReplicasPath: Invalid value: \".spec.replicas\": should "
          "be a json path under .status, spec.subresources.scale.labelSelectorPath: Invalid value: "
          "\".metadata.labels\": should be a json path under either .spec or .status]");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA ",'subresources':{'scale':{}}}"), NULL,
          "[spec.subresources.scale.specReplicasPath: Required value, spec.subresources.scale.statusReplicasPath: "
          "Required value]");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SCHEMA ",'additionalPrinterColumns':[{'name':'',"
                  "'type':'int','format':'uint8','jsonPath':''},{'name':'x','type':'string','jsonPath':'spec.x'}]}"),
          NULL,
          "[spec.additionalPrinterColumns[0].name: Required value, spec.additionalPrinterColumns[0].type: Invalid "
          "value: \"int\": must be one of boolean,date,integer,number,string, "
          "spec.additionalPrinterColumns[0].format: Invalid value: \"uint8\": must be one of "
          "byte,date,date-time,double,float,int32,int64,password, spec.additionalPrinterColumns[0].JSONPath: "
          "Required value, spec.additionalPrinterColumns[1].JSONPath: Invalid value: \"spec.x\": must be a simple "
          "json path starting with .]");
    /* different per version: reported under each version */
    check(CRD("", V1 ",{'name':'v2','served':true,'storage':false," SCHEMA
                  ",'additionalPrinterColumns':[{'name':'x','jsonPath':'.spec.x'}]}"),
          NULL,
          "spec.versions[1].additionalPrinterColumns[0].type: Required value: must be one of "
          "boolean,date,integer,number,string");
}

static void test_status_root(void **state)
{
    (void)state;
    check_has(CRD("", "{'name':'v1','served':true,'storage':true,'schema':{'openAPIV3Schema':{'type':'array'}},"
                      "'subresources':{'status':{}}}"),
          "spec.validation.openAPIV3Schema.type: Invalid value: \"array\": only \"object\" is allowed as the type at "
          "the root of the schema if the status subresource is enabled");
}

static void test_openapi_rules(void **state)
{
    (void)state;
#define OAS(props) CRD("", "{'name':'v1','served':true,'storage':true,'schema':{'openAPIV3Schema':{'type':'object'," \
                       "'properties':{" props "}}}}")
#define P "spec.validation.openAPIV3Schema.properties"
    check_has(OAS("'a':{'type':'array','uniqueItems':true,'items':{'type':'string'}}"),
              P "[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes "
                "quadratic");
    check_has(OAS("'m':{'type':'object','properties':{'x':{'type':'string'}},'additionalProperties':false}"),
              P "[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive");
    check_has(OAS("'metadata':{'type':'object','default':{}}"),
              P "[metadata].default: Forbidden: must not be set in top-level metadata");
    check_has(OAS("'l':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['k'],"
                  "'items':{'type':'object','properties':{'k':{'type':'string'}}}}"),
              P "[l].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, "
                "so it must have a default or be a required property");
    check_has(OAS("'v':{'type':'string','x-kubernetes-validations':[{'rule':' '}]}"),
              P "[v].x-kubernetes-validations[0].rule: Required value: rule is not specified");
    check_has(OAS("'p':{'type':'object','x-kubernetes-preserve-unknown-fields':false}"),
              P "[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined");
    check_has(OAS("'t':{'type':'foo'}"),
              P "[t].type: Unsupported value: \"foo\": supported values: \"array\", \"boolean\", \"integer\", "
                "\"number\", \"object\", \"string\"");
    check_has(OAS("'s':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'object'}}"),
              P "[s].items.x-kubernetes-map-type: Invalid value: \"null\": must be atomic as item of a list with "
                "x-kubernetes-list-type=set");
#undef P
#undef OAS
}

static void test_selectable_fields(void **state)
{
    (void)state;
#define SEL_SCHEMA                                                                                        \
    "'schema':{'openAPIV3Schema':{'type':'object','properties':{'spec':{'type':'object','properties':{" \
    "'color':{'type':'string'},'size':{'type':'integer'},'tags':{'type':'array','items':{'type':'string'}}}}}}}"
    check(CRD("", "{'name':'v1','served':true,'storage':true," SEL_SCHEMA
                  ",'selectableFields':[{'jsonPath':'.spec.color'},{'jsonPath':'.spec.size'}]}"),
          NULL, "");
    check(CRD("", "{'name':'v1','served':true,'storage':true," SEL_SCHEMA
                  ",'selectableFields':[{'jsonPath':'.spec.tags'},{'jsonPath':'.spec.nope'},{'jsonPath':''},"
                  "{'jsonPath':'spec.color'},{'jsonPath':'.spec.color'},{'jsonPath':'.spec.color'}]}"),
          NULL,
          "[spec.selectableFields[0].jsonPath: Invalid value: \".spec.tags\": must point to a field of type string, "
          "boolean or integer. Enum string fields and strings with formats are allowed., "
          "spec.selectableFields[1].jsonPath: Invalid value: \".spec.nope\": is an invalid path: does not refer to "
          "a valid field, spec.selectableFields[2].jsonPath: Required value, spec.selectableFields[3].jsonPath: "
          "Invalid value: \"spec.color\": is an invalid path: expected [ or . but got: spec, "
          "spec.selectableFields[5].jsonPath: Duplicate value: \".spec.color\"]");
    /* identical selectable fields but different schemas: no top-level schema */
    check(CRD("", "{'name':'v1','served':true,'storage':true," SEL_SCHEMA
                  ",'selectableFields':[{'jsonPath':'.spec.color'}]},{'name':'v2','served':true,'storage':false,"
                  SCHEMA ",'selectableFields':[{'jsonPath':'.spec.color'}]}"),
          NULL,
          "spec.selectableFields: Invalid value: \"\": selectableFields may only be set when validations.schema is "
          "included");
}

static void test_conversion(void **state)
{
    (void)state;
    check(CRD(",'conversion':{'strategy':'Webhook'}", V1), NULL,
          "[spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook, "
          "spec.conversion.conversionReviewVersions: Required value]");
    check(CRD(",'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'url':'http://u:p@h/x?q=1#f'},"
              "'conversionReviewVersions':['v2','v2']}}",
              V1),
          NULL,
          "[spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL "
          "scheme; desired format: https://host[/path], spec.conversion.webhookClientConfig.url: Invalid value: "
          "\"u:p\": user information is not permitted in the URL, spec.conversion.webhookClientConfig.url: "
          "Invalid value: \"f\": fragments are not permitted in the URL, spec.conversion.webhookClientConfig.url: "
          "Invalid value: \"q=1\": query parameters are not permitted in the URL, "
          "spec.conversion.conversionReviewVersions[1]: Invalid value: \"v2\": duplicate version, "
          "spec.conversion.conversionReviewVersions: Invalid value: []string{\"v2\", \"v2\"}: must include at least "
          "one of v1, v1beta1]");
    /* upstream swaps name and namespace in these messages, and splits the
     * path after its first byte even when that is not a '/' */
    check(CRD(",'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{'namespace':'ns',"
              "'port':0,'path':'x//Y'}},'conversionReviewVersions':['v1']}}",
              V1),
          NULL,
          "[spec.conversion.webhookClientConfig.service.namespace: Required value, "
          "spec.conversion.webhookClientConfig.service.port: Invalid value: 0: port is not valid: must be between "
          "1 and 65535, inclusive, spec.conversion.webhookClientConfig.service.path: Invalid value: \"x//Y\": must "
          "start with a '/', spec.conversion.webhookClientConfig.service.path: Invalid value: \"x//Y\": segment[0] "
          "may not be empty, spec.conversion.webhookClientConfig.service.path: Invalid value: \"x//Y\": segment[1] "
          "may not be empty, spec.conversion.webhookClientConfig.service.path: Invalid value: \"x//Y\": "
          "segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
          "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
    check(CRD(",'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{},'conversionReviewVersions':['v1']}}",
              V1),
          NULL, "spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required");
    check(CRD(",'conversion':{'strategy':'None','webhook':{'clientConfig':{'url':'https://x'},"
              "'conversionReviewVersions':['v1']}}",
              V1),
          NULL,
          "[spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook, "
          "spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to "
          "Webhook]");
    check(CRD(",'conversion':{'strategy':'Magic'}", V1), NULL,
          "spec.conversion.strategy: Unsupported value: \"Magic\": supported values: \"None\", \"Webhook\"");
    check(CRD(",'conversion':{}", V1), NULL, "spec.conversion.strategy: Required value");
}

static void test_preserve_unknown_fields(void **state)
{
    (void)state;
    check(CRD(",'preserveUnknownFields':true", V1), NULL,
          "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set "
          "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead");
    check(CRD(",'preserveUnknownFields':true,'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'url':"
              "'https://x'},'conversionReviewVersions':['v1']}}",
              V1),
          NULL,
          "[spec.conversion.strategy: Invalid value: \"Webhook\": must be None if spec.preserveUnknownFields is "
          "true, spec.preserveUnknownFields: Invalid value: true: cannot set to true, set "
          "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead]");
    /* an existing CRD with preserveUnknownFields true may keep it */
    check(CRD(",'preserveUnknownFields':true", V1), CRD(",'preserveUnknownFields':true", V1), "");
}

/* ---- updates */

#define STATUS(stored) ",'status':{'acceptedNames':{'plural':'widgets','kind':'Widget'},'storedVersions':[" stored "]"
#define CRDS(group, plural, scope, versions, status)                                                           \
    "{'metadata':{'name':'" plural "." group "','resourceVersion':'5'},'spec':{'group':'" group "','names':{" \
    "'plural':'" plural "','singular':'w','kind':'Widget','listKind':'WidgetList'},'scope':'" scope           \
    "','versions':[" versions "],'conversion':{'strategy':'None'}}" status "}"

static void test_update(void **state)
{
    (void)state;
    const char *old = CRDS("example.com", "widgets", "Namespaced", V1, STATUS("'v1'") "}");
    const char *old_est = CRDS("example.com", "widgets", "Namespaced", V1,
                               STATUS("'v1'") ",'conditions':[{'type':'Established','status':'True'}]}");
    check(CRDS("example.com", "widgets", "Namespaced", V1 ",{'name':'v2','served':true,'storage':false," SCHEMA "}",
               STATUS("'v1'") "}"),
          old, "");
    check(CRDS("example.org", "gadgets", "Namespaced", V1, STATUS("'v1'") "}"), old,
          "[spec.group: Invalid value: \"example.org\": field is immutable, spec.names.plural: Invalid value: "
          "\"gadgets\": field is immutable]");
    /* scope is mutable until the CRD is established */
    check(CRDS("example.com", "widgets", "Cluster", V1, STATUS("'v1'") "}"), old, "");
    check(CRDS("example.com", "widgets", "Cluster", V1,
               STATUS("'v1'") ",'conditions':[{'type':'Established','status':'True'}]}"),
          old_est, "spec.scope: Invalid value: \"Cluster\": field is immutable");
    /* a stored version may not be dropped from spec.versions */
    check(CRDS("example.com", "widgets", "Namespaced", "{'name':'v2','served':true,'storage':true," SCHEMA "}",
               STATUS("'v1'") "}"),
          old,
          "status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage "
          "version, and must remain in spec.versions until a storage migration ensures no data remains persisted "
          "in v1 and removes v1 from status.storedVersions");
    /* an old CRD without schemas is not held to the schema requirement */
    const char *noschema = CRDS("example.com", "widgets", "Namespaced", "{'name':'v1','served':true,'storage':true}",
                                STATUS("'v1'") "}");
    check(CRDS("example.com", "widgets", "Namespaced",
               "{'name':'v1','served':true,'storage':true},{'name':'v2','served':false,'storage':false}",
               STATUS("'v1'") "}"),
          noschema, "spec.versions[0].schema.openAPIV3Schema: Required value: because otherwise all fields are pruned");
}

static void test_status_update(void **state)
{
    (void)state;
    const char *old = CRDS("example.com", "widgets", "Namespaced", V1, STATUS("'v1'") "}");
    /* spec unchanged, status changed: only the accepted names are checked */
    check(CRDS("example.com", "widgets", "Namespaced", V1,
               ",'status':{'acceptedNames':{'plural':'Widgets','kind':'Widget'},'storedVersions':['v0']}"),
          old, "status.acceptedNames.plural: " DNS1035("Widgets"));
}

/* ---- defaults */

static char *to_json(const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    char *s = strdup(b.data);
    kapi_buf_dispose(&b);
    return s;
}

static void check_defaults(const char *in, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *obj = parse(pool, in);
    kapi_defaults_apply(pool, "apiextensions.k8s.io", "v1", "CustomResourceDefinition", obj);
    char *got = to_json(obj);
    struct kapi_value *w = parse(pool, want);
    char *wants = to_json(w);
    if (strcmp(got, wants) != 0)
        fail_msg("\n got: %s\nwant: %s", got, wants);
    kapi_defaults_apply(pool, "apiextensions.k8s.io", "v1", "CustomResourceDefinition", obj);
    char *again = to_json(obj);
    if (strcmp(again, wants) != 0)
        fail_msg("not idempotent:\n got: %s\nwant: %s", again, wants);
    free(got);
    free(wants);
    free(again);
    kapi_pool_free(pool);
}

static void test_defaults(void **state)
{
    (void)state;
    /* listKind and singular from kind, conversion None, storedVersions */
    check_defaults("{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com','names':{'plural':"
                   "'widgets','kind':'Widget'},'scope':'Namespaced','versions':[{'name':'v1beta1','served':true,"
                   "'storage':false},{'name':'v1','served':true,'storage':true}]}}",
                   "{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com','names':{'plural':"
                   "'widgets','singular':'widget','kind':'Widget','listKind':'WidgetList'},'scope':'Namespaced',"
                   "'versions':[{'name':'v1beta1','served':true,'storage':false},{'name':'v1','served':true,"
                   "'storage':true}],'conversion':{'strategy':'None'}},'status':{'storedVersions':['v1']}}");
    /* given values are kept; a webhook service gets port 443 */
    check_defaults("{'spec':{'group':'example.com','names':{'plural':'widgets','singular':'thing','kind':'Widget',"
                   "'listKind':'Things'},'scope':'Cluster','versions':[{'name':'v1','served':true,'storage':true}],"
                   "'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{'namespace':'n',"
                   "'name':'s'}},'conversionReviewVersions':['v1']}}},'status':{'storedVersions':['v0']}}",
                   "{'spec':{'group':'example.com','names':{'plural':'widgets','singular':'thing','kind':'Widget',"
                   "'listKind':'Things'},'scope':'Cluster','versions':[{'name':'v1','served':true,'storage':true}],"
                   "'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{'namespace':'n',"
                   "'name':'s','port':443}},'conversionReviewVersions':['v1']}}},'status':{'storedVersions':['v0',"
                   "'v1']}}");
    /* no kind: nothing derived from it; no storage version: no status */
    check_defaults("{'spec':{'names':{'plural':'widgets'},'versions':[{'name':'v1','served':true,'storage':false}]}}",
                   "{'spec':{'names':{'plural':'widgets'},'versions':[{'name':'v1','served':true,'storage':false}],"
                   "'conversion':{'strategy':'None'}}}");
}

/* The create strategy: the client's status is replaced. */
static void test_prepare_create(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *obj = parse(pool, "{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com',"
                                         "'names':{'plural':'widgets','kind':'Widget'},'scope':'Cluster','versions':["
                                         "{'name':'v1','served':true,'storage':true}]},'status':{'storedVersions':"
                                         "['v0'],'conditions':[{'type':'Established','status':'True'}]}}");
    kapi_dflt_crd_prepare_create(pool, obj);
    char *got = to_json(obj);
    char *want = to_json(parse(pool, "{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com',"
                                     "'names':{'plural':'widgets','singular':'widget','kind':'Widget','listKind':"
                                     "'WidgetList'},'scope':'Cluster','versions':[{'name':'v1','served':true,"
                                     "'storage':true}],'conversion':{'strategy':'None'}},'status':{'acceptedNames':"
                                     "{'plural':'','kind':''},'storedVersions':['v1']}}"));
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    free(got);
    free(want);
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_name_and_group),
        cmocka_unit_test(test_protected_group),
        cmocka_unit_test(test_scope_and_names),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_subresources_and_columns),
        cmocka_unit_test(test_status_root),
        cmocka_unit_test(test_openapi_rules),
        cmocka_unit_test(test_selectable_fields),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_preserve_unknown_fields),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_status_update),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_prepare_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
