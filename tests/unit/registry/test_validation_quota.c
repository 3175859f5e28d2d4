/* registry/validation: ResourceQuota create/update (spec.hard, scopes,
 * scopeSelector, immutable scopes) and the Job status options that 1.33's
 * status strategy turns on when the related fields change (Failed without
 * FailureTarget, Complete without SuccessCriteriaMet, terminating on a
 * finished job, ready above active), each with kube-apiserver 1.33's field
 * path and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/validation.h"
#include "vtest.h"

/* ResourceQuota through the main rules (old NULL: create); n: the number of
 * errors (the aggregate message shows repeated ones once), 0 to skip. */
static void quota_n(const char *spec, const char *old_spec, const char *want, size_t n)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    const char *obj = kapi_pool_printf(pool, "{'metadata':{'name':'q'},'spec':%s}", spec);
    const char *old = old_spec ? kapi_pool_printf(pool, "{'metadata':{'name':'q'},'spec':%s}", old_spec) : NULL;
    kapi_validate_kind(pool, "", "v1", "ResourceQuota", parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", spec, got, want);
    if (n)
        assert_int_equal(errs.len, n);
    kapi_pool_free(pool);
}

static void quota(const char *spec, const char *old_spec, const char *want)
{
    quota_n(spec, old_spec, want, 0);
}

#define SCOPES(list) "spec.scopes: Invalid value: []core.ResourceQuotaScope{" list "}: "
#define ME "spec.scopeSelector.matchExpressions"

static void test_quota_hard(void **state)
{
    (void)state;
    quota("{'hard':{'pods':'10','requests.cpu':'1','limits.memory':'1Gi','count/deployments.apps':'2',"
          "'requests.hugepages-2Mi':'2Mi','example.com/gpu':'1','configmaps':'5'}}",
          NULL, "");
    /* the same resource name rules as the status strategy, under spec.hard */
    quota("{'hard':{'foo':'1','storage':'1Gi','pods':'-1'}}", NULL,
          "[spec.hard[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified, "
          "spec.hard[foo]: Invalid value: \"foo\": must be a standard resource for quota, "
          "spec.hard[storage]: Invalid value: \"storage\": must be a standard resource for quota, "
          "spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0]");
    /* a create also checks the status lists */
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "ResourceQuota",
                       parse(pool, "{'metadata':{'name':'q'},'spec':{},'status':{'used':{'secrets':'-2'}}}"), NULL,
                       &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs),
                        "status.used[secrets]: Invalid value: \"-2\": must be greater than or equal to 0");
    kapi_pool_free(pool);
}

static void test_quota_scopes(void **state)
{
    (void)state;
    quota("{'hard':{'pods':'10','cpu':'1','limits.memory':'1Gi'},'scopes':['NotTerminating','NotBestEffort']}",
          NULL, "");
    quota("{'hard':{'pods':'1'},'scopes':['BestEffort','Terminating','PriorityClass','CrossNamespacePodAffinity']}",
          NULL, "");
    /* BestEffort counts pods only; an unknown scope; a conflicting pair */
    quota("{'hard':{'cpu':'1','pods':'2','count/secrets':'1'},'scopes':['BestEffort','NotBestEffort','Weird']}", NULL,
          "[" SCOPES("\"BestEffort\", \"NotBestEffort\", \"Weird\"") "unsupported scope applied to resource, "
          SCOPES("\"BestEffort\", \"NotBestEffort\", \"Weird\"") "unsupported scope, "
          SCOPES("\"BestEffort\", \"NotBestEffort\", \"Weird\"") "conflicting scopes]");
    /* one error per resource the scope does not apply to; both pairs, BestEffort's first */
    quota_n("{'hard':{'services':'1','secrets':'1','pods':'1'},'scopes':['Terminating']}", NULL,
            SCOPES("\"Terminating\"") "unsupported scope applied to resource", 2);
    quota_n("{'hard':{'pods':'1'},'scopes':['NotTerminating','Terminating','NotBestEffort','BestEffort']}", NULL,
            SCOPES("\"NotTerminating\", \"Terminating\", \"NotBestEffort\", \"BestEffort\"") "conflicting scopes",
            2);
    /* each listed scope is checked against every resource */
    quota_n("{'hard':{'cpu':'1'},'scopes':['BestEffort','BestEffort']}", NULL,
            SCOPES("\"BestEffort\", \"BestEffort\"") "unsupported scope applied to resource", 2);
    /* VolumeAttributesClass is not a scope in 1.33 */
    quota("{'hard':{'requests.storage':'1Gi'},'scopes':['VolumeAttributesClass']}", NULL,
          SCOPES("\"VolumeAttributesClass\"") "unsupported scope");
}

static void test_quota_scope_selector(void **state)
{
    (void)state;
    quota("{'hard':{'pods':'10','requests.memory':'1Gi'},'scopeSelector':{'matchExpressions':["
          "{'scopeName':'PriorityClass','operator':'In','values':['high','low']},"
          "{'scopeName':'PriorityClass','operator':'DoesNotExist'},"
          "{'scopeName':'CrossNamespacePodAffinity','operator':'Exists'},"
          "{'scopeName':'NotTerminating','operator':'Exists'}]}}",
          NULL, "");
    quota("{'hard':{'cpu':'1'},'scopeSelector':{'matchExpressions':["
          "{'scopeName':'Foo','operator':'In'},"
          "{'scopeName':'BestEffort','operator':'In','values':['x']},"
          "{'scopeName':'PriorityClass','operator':'Exists','values':['a','b']},"
          "{'scopeName':'PriorityClass','operator':'Bad'}]}}",
          NULL,
          "[" ME ".scopeName: Invalid value: \"Foo\": unsupported scope, "
          ME ".values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope "
          "selector, "
          ME ": Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{"
          "core.ScopedResourceSelectorRequirement{ScopeName:\"Foo\", Operator:\"In\", Values:[]string(nil)}, "
          "core.ScopedResourceSelectorRequirement{ScopeName:\"BestEffort\", Operator:\"In\", Values:[]string{\"x\"}}, "
          "core.ScopedResourceSelectorRequirement{ScopeName:\"PriorityClass\", Operator:\"Exists\", "
          "Values:[]string{\"a\", \"b\"}}, "
          "core.ScopedResourceSelectorRequirement{ScopeName:\"PriorityClass\", Operator:\"Bad\", "
          "Values:[]string(nil)}}}: unsupported scope applied to resource, "
          ME ".operator: Invalid value: \"In\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, "
          "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
          "ResourceQuotaScopeCrossNamespacePodAffinity, "
          ME ".values: Invalid value: []string{\"a\", \"b\"}: must be no value when `operator` is 'Exist' or "
          "'DoesNotExist' for scope selector, "
          ME ".operator: Invalid value: \"Bad\": not a valid selector operator]");
    /* CrossNamespacePodAffinity takes Exists only and applies to pod resources */
    quota("{'hard':{'services':'1'},'scopeSelector':{'matchExpressions':["
          "{'scopeName':'CrossNamespacePodAffinity','operator':'DoesNotExist'}]}}",
          NULL,
          "[" ME ": Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{"
          "core.ScopedResourceSelectorRequirement{ScopeName:\"CrossNamespacePodAffinity\", Operator:\"DoesNotExist\", "
          "Values:[]string(nil)}}}: unsupported scope applied to resource, "
          ME ".operator: Invalid value: \"DoesNotExist\": must be 'Exists' when scope is any of "
          "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
          "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity]");
    /* conflicting selector scopes print spec.scopes as the bad value */
    quota("{'hard':{'pods':'1'},'scopeSelector':{'matchExpressions':["
          "{'scopeName':'Terminating','operator':'Exists'},{'scopeName':'NotTerminating','operator':'Exists'}]}}",
          NULL, ME ": Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes");
    quota("{'hard':{'pods':'1'},'scopes':['Terminating'],'scopeSelector':{'matchExpressions':["
          "{'scopeName':'NotBestEffort','operator':'Exists'},{'scopeName':'BestEffort','operator':'Exists'}]}}",
          NULL, ME ": Invalid value: []core.ResourceQuotaScope{\"Terminating\"}: conflicting scopes");
    /* only the selector's own scopes count for its conflicts */
    quota("{'hard':{'pods':'1'},'scopes':['BestEffort'],'scopeSelector':{'matchExpressions':["
          "{'scopeName':'NotBestEffort','operator':'Exists'}]}}",
          NULL, "");
}

static void test_quota_update(void **state)
{
    (void)state;
    /* hard may change; the set of scopes may not (order and repeats aside) */
    quota("{'hard':{'pods':'20'},'scopes':['NotBestEffort','Terminating','Terminating']}",
          "{'hard':{'pods':'10'},'scopes':['Terminating','NotBestEffort']}", "");
    quota("{'hard':{'pods':'1'},'scopes':[]}", "{'hard':{'pods':'1'}}", "");
    quota("{'hard':{'pods':'1'},'scopes':['NotBestEffort']}", "{'hard':{'pods':'1'},'scopes':['BestEffort']}",
          SCOPES("\"NotBestEffort\"") "field is immutable");
    quota("{'hard':{'pods':'1'}}", "{'hard':{'pods':'1'},'scopes':['BestEffort']}",
          "spec.scopes: Invalid value: []core.ResourceQuotaScope(nil): field is immutable");
    /* the spec rules run first; the stored status is not checked again */
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "ResourceQuota",
                       parse(pool, "{'metadata':{'name':'q'},'spec':{'hard':{'cpu':'1'},'scopes':['BestEffort']},"
                                   "'status':{'used':{'bad':'1'}}}"),
                       parse(pool, "{'metadata':{'name':'q'},'spec':{'hard':{'pods':'1'}}}"), &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs),
                        "[" SCOPES("\"BestEffort\"") "unsupported scope applied to resource, "
                        SCOPES("\"BestEffort\"") "field is immutable]");
    kapi_pool_free(pool);
}

/* ---- Job status. */

static void job(const char *spec, const char *status, const char *old_status, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    const char *obj = kapi_pool_printf(pool, "{'metadata':{'name':'j'},'spec':%s,'status':%s}", spec, status);
    const char *old = kapi_pool_printf(pool, "{'metadata':{'name':'j'},'spec':%s,'status':%s}", spec, old_status);
    assert_true(kapi_validate_subresource(pool, "batch", "v1", "Job", "status", parse(pool, obj), parse(pool, old),
                                          &errs));
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", status, got, want);
    kapi_pool_free(pool);
}

#define NI "{'completions':3,'parallelism':1,'completionMode':'NonIndexed'}"
#define IX "{'completions':4,'parallelism':2,'completionMode':'Indexed','backoffLimitPerIndex':1}"
#define START "'startTime':'2024-01-01T00:00:00Z'"
#define DONE "'completionTime':'2024-01-01T00:01:00Z'"
#define C(t) "{'type':'" t "','status':'True'}"
#define NO_FT "status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition"
#define NO_SCM                                                                                                        \
    "status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true "       \
    "condition"

static void test_job_terminal_conditions(void **state)
{
    (void)state;
    const char *running = "{'active':1," START "}";
    job(NI, "{" START ",'conditions':[" C("FailureTarget") "," C("Failed") "]}", running, "");
    job(NI, "{" START ",'conditions':[" C("Failed") "]}", running, NO_FT);
    job(NI, "{'succeeded':3," START "," DONE ",'conditions':[" C("Complete") "]}", running, NO_SCM);
    /* a job stored that way is left alone while those fields do not change */
    job(NI, "{'failed':3," START ",'conditions':[" C("Failed") "]}", "{'failed':2," START ",'conditions':[" C("Failed") "]}",
        "");
    job(NI, "{'succeeded':3," START "," DONE ",'ready':0,'conditions':[" C("Complete") "]}",
        "{'succeeded':3," START "," DONE ",'conditions':[" C("Complete") "]}", "");
    /* a change of failedIndexes turns the Failed check on */
    job(IX, "{" START ",'failedIndexes':'1','conditions':[" C("Failed") "]}", "{" START ",'conditions':[" C("Failed") "]}",
        NO_FT);
    /* dropping SuccessCriteriaMet from a complete job */
    job(NI, "{'succeeded':3," START "," DONE ",'conditions':[" C("Complete") "]}",
        "{'succeeded':3," START "," DONE ",'conditions':[" C("SuccessCriteriaMet") "," C("Complete") "]}",
        "[" NO_SCM ", status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition]");
}

static void test_job_pod_counts(void **state)
{
    (void)state;
    job(NI, "{'active':2,'ready':2," START "}", "{'active':1," START "}", "");
    job(NI, "{'active':1,'ready':2," START "}", "{'active':1," START "}",
        "status.ready: Invalid value: 2: cannot set more ready pods than active");
    /* active dropping below ready counts as a change too */
    job(NI, "{'active':1,'ready':2," START "}", "{'active':3,'ready':2," START "}",
        "status.ready: Invalid value: 2: cannot set more ready pods than active");
    /* neither changed: not checked */
    job(NI, "{'active':1,'ready':2,'failed':1," START "}", "{'active':1,'ready':2," START "}", "");
    job(NI, "{" START ",'terminating':1,'conditions':[" C("FailureTarget") "," C("Failed") "]}",
        "{" START ",'terminating':1,'conditions':[" C("FailureTarget") "]}",
        "status.terminating: Invalid value: 1: terminating>0 is invalid for finished job");
    job(NI, "{" START ",'terminating':0,'conditions':[" C("FailureTarget") "," C("Failed") "]}",
        "{" START ",'terminating':1,'conditions':[" C("FailureTarget") "]}", "");
    job(NI, "{'failed':2," START ",'terminating':1,'conditions':[" C("FailureTarget") "," C("Failed") "]}",
        "{'failed':1," START ",'terminating':1,'conditions':[" C("FailureTarget") "," C("Failed") "]}", "");
    /* the order: conditions, then the active/startTime rules, then terminating and ready */
    job(NI, "{'active':1,'ready':2,'terminating':1,'conditions':[" C("Failed") "]}", "{'active':1," START "}",
        "[" NO_FT ", status.active: Invalid value: 1: active>0 is invalid for finished job, "
        "status.startTime: Required value: startTime is required for finished job, "
        "status.terminating: Invalid value: 1: terminating>0 is invalid for finished job, "
        "status.ready: Invalid value: 2: cannot set more ready pods than active, "
        "status.startTime: Required value: startTime cannot be removed for unsuspended job]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota_hard),
        cmocka_unit_test(test_quota_scopes),
        cmocka_unit_test(test_quota_scope_selector),
        cmocka_unit_test(test_quota_update),
        cmocka_unit_test(test_job_terminal_conditions),
        cmocka_unit_test(test_job_pod_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
