/* registry/validation/service: upstream's ValidateService rules, each with
 * its exact field path and message, on objects shaped as the REST layer
 * hands them over (defaulted and run through kapi_svc_prepare). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/core/services.h"
#include "registry/validation.h"
#include "vtest.h"

static void check(const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "Service", parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

/* A defaulted ClusterIP service with spec members `extra` and ports `ports`. */
#define SVC(type, extra, ports)                                                                               \
    "{'metadata':{'name':'s','namespace':'default'},'spec':{'type':'" type "','sessionAffinity':'None'," \
    "'internalTrafficPolicy':'Cluster'" extra ",'ports':[" ports "]}}"
#define PORT(n) "{'port':" #n ",'protocol':'TCP','targetPort':" #n "}"
#define NPORT(name, n, np) "{'name':'" name "','port':" #n ",'protocol':'TCP','targetPort':" #n ",'nodePort':" #np "}"
#define ETP ",'externalTrafficPolicy':'Cluster'"

static void test_valid(void **state)
{
    (void)state;
    check(SVC("ClusterIP", ",'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10']", PORT(80)), NULL, "");
    check(SVC("ClusterIP", ",'clusterIP':'None','clusterIPs':['None']", ""), NULL, "");
    check(SVC("NodePort", ETP, NPORT("a", 80, 30080) "," NPORT("b", 81, 30081)), NULL, "");
    check(SVC("LoadBalancer", ETP ",'allocateLoadBalancerNodePorts':true,'loadBalancerClass':'example.com/lb',"
                                  "'loadBalancerSourceRanges':[' 10.0.0.0/8 ','192.168.1.0/24']",
              PORT(443)),
          NULL, "");
    check("{'spec':{'type':'ExternalName','sessionAffinity':'None','externalName':'db.example.com.'}}", NULL, "");
    /* same port number over two protocols is fine */
    check(SVC("ClusterIP", "", "{'name':'a','port':53,'protocol':'TCP','targetPort':53},"
                               "{'name':'b','port':53,'protocol':'UDP','targetPort':'dns'}"),
          NULL, "");
}

static void test_types_and_cluster_ips(void **state)
{
    (void)state;
    check(SVC("NodePort", ETP ",'clusterIP':'None','clusterIPs':['None']", PORT(80)), NULL,
          "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services");
    check(SVC("LoadBalancer", ETP ",'allocateLoadBalancerNodePorts':true,'clusterIP':'None','clusterIPs':['None']",
              PORT(80)),
          NULL, "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services");
    check("{'spec':{'type':'ExternalName','sessionAffinity':'None','externalName':'x.example',"
          "'clusterIP':'10.0.0.1','clusterIPs':['10.0.0.1'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack'}}",
          NULL,
          "[spec.clusterIPs: Forbidden: may not be set for ExternalName services, spec.ipFamilies: Forbidden: may not "
          "be set for ExternalName services, spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services]");
    check("{'spec':{'type':'ExternalName','sessionAffinity':'None','externalName':'Bad_Name.'}}", NULL,
          "spec.externalName: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    check(SVC("Sideways", "", PORT(80)), NULL,
          "spec.type: Unsupported value: \"Sideways\": supported values: \"ClusterIP\", \"ExternalName\", "
          "\"LoadBalancer\", \"NodePort\"");
}

static void test_ports(void **state)
{
    (void)state;
    check(SVC("ClusterIP", "", NPORT("web", 80, 30080)), NULL,
          "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
    check(SVC("NodePort", ETP, NPORT("a", 80, 30080) "," NPORT("b", 81, 30080)), NULL,
          "spec.ports[1].nodePort: Duplicate value: 30080");
    check(SVC("ClusterIP", "", "{'name':'a','port':80,'protocol':'TCP','targetPort':80},"
                               "{'name':'a','port':80,'protocol':'TCP','targetPort':8080}"),
          NULL,
          "[spec.ports[1].name: Duplicate value: \"a\", spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", "
          "Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
          "StrVal:\"\"}, NodePort:0}]");
    check(SVC("ClusterIP", "", "{'port':80,'protocol':'ICMP','targetPort':'Not_A_Port','appProtocol':'-bad'}"), NULL,
          "[spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\", "
          "spec.ports[0].targetPort: Invalid value: \"Not_A_Port\": must contain only alpha-numeric characters "
          "(a-z, 0-9), and hyphens (-), spec.ports[0].appProtocol: Invalid value: \"-bad\": name part must consist "
          "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
          "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]");
    check(SVC("ClusterIP", "", "{'port':80,'protocol':'TCP','targetPort':0}"), NULL,
          "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive");
}

static void test_affinity_and_ips(void **state)
{
    (void)state;
    check("{'spec':{'type':'ClusterIP','sessionAffinity':'ClientIP','internalTrafficPolicy':'Cluster',"
          "'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':86401}},'ports':[" PORT(80) "]}}",
          NULL,
          "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less "
          "than 86400");
    check("{'spec':{'type':'ClusterIP','sessionAffinity':'ClientIP','internalTrafficPolicy':'Cluster',"
          "'sessionAffinityConfig':{},'ports':[" PORT(80) "]}}",
          NULL, "spec.sessionAffinityConfig.clientIP: Required value: when session affinity type is ClientIP");
    check("{'spec':{'type':'ClusterIP','sessionAffinity':'Sticky','internalTrafficPolicy':'Cluster','ports':["
          PORT(80) "]}}",
          NULL, "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"");
    check(SVC("ClusterIP", ",'externalIPs':['1.2.3.4','127.0.0.1','nope'],'externalTrafficPolicy':'Cluster'",
              PORT(80)),
          NULL,
          "[spec.externalIPs[1]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, "
          "::1/128), spec.externalIPs[2]: Invalid value: \"nope\": must be a valid IP address, (e.g. 10.9.8.7 or "
          "2001:db8::ffff)]");
}

static void test_load_balancer_fields(void **state)
{
    (void)state;
    check(SVC("ClusterIP", ",'loadBalancerSourceRanges':['10.0.0.0/33'],'allocateLoadBalancerNodePorts':true,"
                           "'loadBalancerClass':'a/b'",
              PORT(80)),
          NULL,
          "[spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer', "
          "spec.LoadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. "
          "10.9.8.0/24 or 2001:db8::/64), spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when "
          "`type` is 'LoadBalancer', spec.loadBalancerClass: Forbidden: may only be used when `type` is "
          "'LoadBalancer']");
    check("{'metadata':{'annotations':{'service.beta.kubernetes.io/load-balancer-source-ranges':'10.0.0.0/8, x'}},"
          "'spec':{'type':'LoadBalancer','sessionAffinity':'None','internalTrafficPolicy':'Cluster'" ETP
          ",'allocateLoadBalancerNodePorts':false,'ports':[" PORT(80) "]}}",
          NULL,
          "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: \"x\": must "
          "be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    const char *lb = SVC("LoadBalancer", ETP ",'allocateLoadBalancerNodePorts':true,'loadBalancerClass':'a.io/one'",
                         PORT(80));
    const char *lb2 = SVC("LoadBalancer", ETP ",'allocateLoadBalancerNodePorts':true,'loadBalancerClass':'a.io/two'",
                          PORT(80));
    check(lb2, lb, "spec.loadBalancerClass: Invalid value: \"a.io/two\": may not change once set");
    check(SVC("LoadBalancer", ETP, PORT(80)), NULL, "allocateLoadBalancerNodePorts: Required value");
}

static void test_traffic_policies(void **state)
{
    (void)state;
    check(SVC("ClusterIP", ETP, PORT(80)), NULL,
          "spec.externalTrafficPolicy: Invalid value: \"Cluster\": may only be set for externally-accessible services");
    check(SVC("NodePort", ",'externalTrafficPolicy':'Nearby'", PORT(80)), NULL,
          "spec.externalTrafficPolicy: Unsupported value: \"Nearby\": supported values: \"Cluster\", \"Local\"");
    check(SVC("NodePort", ETP ",'healthCheckNodePort':30100", PORT(80)), NULL,
          "spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and "
          "`externalTrafficPolicy` is 'Local'");
    check("{'spec':{'type':'ClusterIP','sessionAffinity':'None','internalTrafficPolicy':'Everywhere',"
          "'trafficDistribution':'Anywhere','ports':[" PORT(80) "]}}",
          NULL,
          "[spec.internalTrafficPolicy: Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Local\", "
          "spec.trafficDistribution: Unsupported value: \"Anywhere\": supported values: \"PreferClose\"]");
    check("{'spec':{'type':'ClusterIP','sessionAffinity':'None','ports':[" PORT(80) "]}}", NULL,
          "spec.internalTrafficPolicy: Required value");
    const char *local = SVC("LoadBalancer", ",'externalTrafficPolicy':'Local','allocateLoadBalancerNodePorts':true,"
                                            "'healthCheckNodePort':30200",
                            PORT(80));
    const char *moved = SVC("LoadBalancer", ",'externalTrafficPolicy':'Local','allocateLoadBalancerNodePorts':true,"
                                            "'healthCheckNodePort':30201",
                            PORT(80));
    check(moved, local, "spec.healthCheckNodePort: Forbidden: field is immutable");
}

static void test_topology_annotations(void **state)
{
    (void)state;
    check("{'metadata':{'annotations':{'service.kubernetes.io/topology-mode':'Auto',"
          "'service.kubernetes.io/topology-aware-hints':'Disabled'}},'spec':{'type':'ClusterIP',"
          "'sessionAffinity':'None','internalTrafficPolicy':'Cluster','ports':[" PORT(80) "]}}",
          NULL,
          "metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: \"Auto\": must match "
          "annotations[service.kubernetes.io/topology-aware-hints] when both are specified");
}

/* The preparation step makes a type change valid: nodePorts and the
 * external traffic policy the client kept from the NodePort version are
 * dropped before validation, as upstream's PrepareForUpdate does. */
static void test_prepare_then_validate(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *old = parse(pool, SVC("NodePort", ETP ",'clusterIP':'10.96.0.9','clusterIPs':['10.96.0.9']",
                                             NPORT("a", 80, 30080)));
    struct kapi_value *svc = parse(pool, SVC("ClusterIP", ETP ",'clusterIP':'10.96.0.9','clusterIPs':['10.96.0.9']",
                                             NPORT("a", 80, 30080)));
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "Service", svc, old, &errs);
    assert_true(errs.len > 0); /* unprepared: the NodePort leftovers are invalid */
    errs.len = 0;
    kapi_svc_prepare(pool, svc, old);
    kapi_validate_kind(pool, "", "v1", "Service", svc, old, &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs), "");
    /* on create, clusterIP alone becomes clusterIPs, so "None" makes it headless */
    struct kapi_value *headless = parse(pool, "{'spec':{'type':'NodePort','clusterIP':'None','ports':[" PORT(80) "]}}");
    kapi_svc_prepare(pool, headless, NULL);
    kapi_validate_kind(pool, "", "v1", "Service", headless, NULL, &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs),
                        "[spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services, "
                        "spec.sessionAffinity: Required value]");
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_types_and_cluster_ips),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_affinity_and_ips),
        cmocka_unit_test(test_load_balancer_fields),
        cmocka_unit_test(test_traffic_policies),
        cmocka_unit_test(test_topology_annotations),
        cmocka_unit_test(test_prepare_then_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
