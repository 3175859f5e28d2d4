/* registry/validation: probes, security contexts, affinity, tolerations,
 * topology spread, NetworkPolicy, EndpointSlice and Node, each with
 * kube-apiserver 1.33's field path and message (through the aggregate
 * string the REST layer puts into a 422 Status). */
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

static void check(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, group, "v1", kind, parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}

#define CTR(extra) "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{},'schedulerName':'default-scheduler'" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"
#define PROBE(h) "{" h ",'timeoutSeconds':1,'periodSeconds':10,'successThreshold':1,'failureThreshold':3}"
#define PODC(extra) POD(SPEC(CTR(extra), ""))
#define PODS(extra) POD(SPEC(CTR(""), extra))

static void test_valid_pods(void **state)
{
    (void)state;
    check("", "Pod",
          PODC(",'livenessProbe':" PROBE("'httpGet':{'path':'/','port':8080,'scheme':'HTTP'}")
               ",'readinessProbe':" PROBE("'tcpSocket':{'port':'http'}")
               ",'startupProbe':" PROBE("'exec':{'command':['true']}")
               ",'lifecycle':{'preStop':{'sleep':{'seconds':5}},'postStart':{'exec':{'command':['x']}}}"
               ",'securityContext':{'runAsUser':1000,'allowPrivilegeEscalation':false,'privileged':false,"
               "'capabilities':{'drop':['ALL']},'seccompProfile':{'type':'RuntimeDefault'}}"),
          NULL, "");
    check("", "Pod",
          PODS(",'securityContext':{'runAsUser':0,'fsGroup':2000,'supplementalGroups':[1,2],"
               "'seccompProfile':{'type':'Localhost','localhostProfile':'profiles/a.json'},"
               "'sysctls':[{'name':'kernel.shm_rmid_forced','value':'0'}]},"
               "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"
               "[{'matchExpressions':[{'key':'kubernetes.io/os','operator':'In','values':['linux']},"
               "{'key':'n','operator':'Gt','values':['3']}]}]},"
               "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':100,'preference':{'matchFields':"
               "[{'key':'metadata.name','operator':'In','values':['node-1']}]}}]},"
               "'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'podAffinityTerm':"
               "{'labelSelector':{'matchLabels':{'app':'x'}},'topologyKey':'kubernetes.io/hostname'}}]}},"
               "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone','whenUnsatisfiable':'DoNotSchedule',"
               "'labelSelector':{'matchLabels':{'app':'x'}},'minDomains':2}],"
               "'tolerations':[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute',"
               "'tolerationSeconds':300},{'operator':'Exists'},{'key':'k','value':'v','effect':'NoSchedule'}]"),
          NULL, "");
    /* sidecar init container may carry probes */
    check("", "Pod",
          POD(SPEC(CTR(""), ",'initContainers':[{'name':'side','image':'x','terminationMessagePolicy':'File',"
                            "'imagePullPolicy':'Always','restartPolicy':'Always','readinessProbe':"
                            PROBE("'grpc':{'port':9000}") "}]")),
          NULL, "");
}

static void test_probes(void **state)
{
    (void)state;
    check("", "Pod", PODC(",'livenessProbe':" PROBE("'httpGet':{'path':'/','port':80,'scheme':'HTTP'},'tcpSocket':{'port':80}")),
          NULL, "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type");
    check("", "Pod", PODC(",'readinessProbe':" PROBE("'initialDelaySeconds':0")), NULL,
          "spec.containers[0].readinessProbe: Required value: must specify a handler type");
    check("", "Pod",
          PODC(",'livenessProbe':{'exec':{'command':['x']},'timeoutSeconds':-1,'periodSeconds':10,"
               "'successThreshold':2,'failureThreshold':-3}"),
          NULL,
          "[spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: -1: must be greater than or equal to 0, "
          "spec.containers[0].livenessProbe.failureThreshold: Invalid value: -3: must be greater than or equal to 0, "
          "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1]");
    check("", "Pod", PODC(",'startupProbe':" PROBE("'exec':{'command':[]}")), NULL,
          "spec.containers[0].startupProbe.exec.command: Required value");
    check("", "Pod", PODC(",'readinessProbe':" PROBE("'httpGet':{'path':'/','port':0,'scheme':'FTP'}")), NULL,
          "[spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive, "
          "spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", "
          "\"HTTPS\"]");
    check("", "Pod", PODC(",'readinessProbe':" PROBE("'tcpSocket':{'port':'Bad_Port'}")), NULL,
          "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"Bad_Port\": must contain only "
          "alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    check("", "Pod", PODC(",'readinessProbe':" PROBE("'grpc':{'port':70000}")), NULL,
          "spec.containers[0].readinessProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive");
    check("", "Pod", PODC(",'lifecycle':{'preStop':{'sleep':{'seconds':60}}}"), NULL,
          "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than "
          "terminationGracePeriodSeconds (30)");
    check("", "Pod",
          POD(SPEC(CTR(""), ",'initContainers':[{'name':'i','image':'x','terminationMessagePolicy':'File',"
                            "'imagePullPolicy':'Always','livenessProbe':" PROBE("'exec':{'command':['x']}") "}]")),
          NULL,
          "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without "
          "restartPolicy=Always");
    check("", "Pod", PODC(",'restartPolicy':'Always'"), NULL,
          "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers");
}

static void test_security_context(void **state)
{
    (void)state;
    check("", "Pod", PODC(",'securityContext':{'privileged':true,'allowPrivilegeEscalation':false}"), NULL,
          "spec.containers[0].securityContext: Invalid value: core.SecurityContext{Capabilities:(*core.Capabilities)(nil), "
          "Privileged:(*bool)(0xc000000000), SELinuxOptions:(*core.SELinuxOptions)(nil), "
          "WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(nil), RunAsGroup:(*int64)(nil), "
          "RunAsNonRoot:(*bool)(nil), ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(0xc000000000), "
          "ProcMount:(*core.ProcMountType)(nil), SeccompProfile:(*core.SeccompProfile)(nil), "
          "AppArmorProfile:(*core.AppArmorProfile)(nil)}: cannot set `allowPrivilegeEscalation` to false and "
          "`privileged` to true");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "Pod",
                       parse(pool, PODC(",'securityContext':{'allowPrivilegeEscalation':false,'capabilities':{'add':['CAP_SYS_ADMIN']}}")),
                       NULL, &errs);
    assert_int_equal(errs.len, 1);
    assert_string_equal(errs.items[0].detail,
                        "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN");
    kapi_pool_free(pool);
    check("", "Pod", PODC(",'securityContext':{'runAsUser':-1,'runAsGroup':-2,'procMount':'Weird'}"), NULL,
          "[spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive, "
          "spec.containers[0].securityContext.runAsGroup: Invalid value: -2: must be between 0 and 2147483647, inclusive, "
          "spec.containers[0].securityContext.procMount: Unsupported value: \"Weird\": supported values: \"Default\", "
          "\"Unmasked\"]");
    check("", "Pod", PODC(",'securityContext':{'procMount':'Unmasked'}"), NULL,
          "spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use "
          "`Unmasked`");
    check("", "Pod", PODC(",'securityContext':{'seccompProfile':{'type':'Localhost'}}"), NULL,
          "spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp "
          "type is Localhost");
    check("", "Pod", PODC(",'securityContext':{'seccompProfile':{'type':''}}"), NULL,
          "spec.containers[0].securityContext.seccompProfile.type: Required value: type is required when seccompProfile "
          "is set");
    check("", "Pod", PODS(",'securityContext':{'seccompProfile':{'type':'Localhost','localhostProfile':'/abs/../x'}}"),
          NULL,
          "[spec.securityContext.seccompProfile.localhostProfile: Invalid value: \"/abs/../x\": must be a relative path, "
          "spec.securityContext.seccompProfile.localhostProfile: Invalid value: \"/abs/../x\": must not contain '..']");
    check("", "Pod", PODS(",'securityContext':{'runAsUser':-5,'supplementalGroups':[-1],'fsGroupChangePolicy':'Sometimes'}"),
          NULL,
          "[spec.securityContext.runAsUser: Invalid value: -5: must be between 0 and 2147483647, inclusive, "
          "spec.securityContext.supplementalGroups[0]: Invalid value: -1: must be between 0 and 2147483647, inclusive, "
          "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
          "\"OnRootMismatch\"]");
    check("", "Pod", PODS(",'hostPID':true,'shareProcessNamespace':true"), NULL,
          "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot "
          "both be enabled");
    check("", "Pod", PODS(",'hostNetwork':true,'securityContext':{'sysctls':[{'name':'net.core.somaxconn','value':'1'},{'name':'Bad!'}]}"),
          NULL,
          "[spec.securityContext.sysctls[0].name: Invalid value: \"net.core.somaxconn\": may not be specified when "
          "'hostNetwork' is true, spec.securityContext.sysctls[1].name: Invalid value: \"Bad!\": must have at most 253 "
          "characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$]");
}

static void test_affinity(void **state)
{
    (void)state;
    check("", "Pod",
          PODS(",'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':[]}}}"),
          NULL,
          "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: "
          "must have at least one node selector term");
    check("", "Pod",
          PODS(",'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"
               "[{'matchExpressions':[{'key':'a','operator':'In'},{'key':'b','operator':'Exists','values':['x']},"
               "{'key':'c','operator':'Lt','values':['1','2']},{'key':'d','operator':'Near'}]}]}}}"),
          NULL,
          "[spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: "
          "Required value: must be specified when `operator` is 'In' or 'NotIn', "
          "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: "
          "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist', "
          "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].values: "
          "Required value: must be specified single value when `operator` is 'Lt' or 'Gt', "
          "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].operator: "
          "Invalid value: \"Near\": not a valid selector operator]");
    check("", "Pod",
          PODS(",'affinity':{'nodeAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':0,'preference':{}}]}}"),
          NULL,
          "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must "
          "be in the range 1-100");
    check("", "Pod",
          PODS(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{},"
               "'topologyKey':''}]},'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':101,"
               "'podAffinityTerm':{'topologyKey':'zone'}}]}}"),
          NULL,
          "[spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can "
          "not be empty, spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid "
          "value: \"\": name part must be non-empty, "
          "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": "
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
          "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
          "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: "
          "must be in the range 1-100]");
}

static void test_topology_tolerations(void **state)
{
    (void)state;
    check("", "Pod",
          PODS(",'topologySpreadConstraints':[{'maxSkew':0,'topologyKey':'','whenUnsatisfiable':'Sometimes'},"
               "{'maxSkew':1,'topologyKey':'z','whenUnsatisfiable':'ScheduleAnyway','minDomains':3},"
               "{'maxSkew':1,'topologyKey':'z','whenUnsatisfiable':'ScheduleAnyway'}]"),
          NULL,
          "[spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero, "
          "spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty, "
          "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Sometimes\": supported values: "
          "\"DoNotSchedule\", \"ScheduleAnyway\", "
          "spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{z, ScheduleAnyway}\", "
          "spec.topologySpreadConstraints[1].minDomains: Invalid value: 3: can only use minDomains if "
          "whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway]");
    check("", "Pod",
          PODS(",'tolerations':[{'operator':'Equal','value':'v'},{'key':'k','operator':'Exists','value':'v'},"
               "{'key':'k','operator':'Maybe','effect':'NoRun'},{'key':'k','tolerationSeconds':5,'effect':'NoSchedule'}]"),
          NULL,
          "[spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which "
          "means \"match all values and all keys\", spec.tolerations[1].operator: Invalid value: \"v\": value must be "
          "empty when `operator` is 'Exists', spec.tolerations[2].operator: Unsupported value: \"Maybe\": supported "
          "values: \"Equal\", \"Exists\", spec.tolerations[2].effect: Unsupported value: \"NoRun\": supported values: "
          "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\", spec.tolerations[3].effect: Invalid value: "
          "\"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set]");
}

/* Workloads reach the same checks through their pod template. */
static void test_template_paths(void **state)
{
    (void)state;
    check("apps", "Deployment",
          "{'metadata':{'name':'d'},'spec':{'replicas':1,'selector':{'matchLabels':{'app':'x'}},'template':{'metadata':"
          "{'labels':{'app':'x'}},'spec':" SPEC(CTR(",'livenessProbe':" PROBE("'exec':{'command':['x']},'tcpSocket':{'port':1}")), "")
          "},'strategy':{'type':'Recreate'},'revisionHistoryLimit':10,'progressDeadlineSeconds':600}}",
          NULL,
          "spec.template.spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type");
}

#define NP(spec) "{'metadata':{'name':'np','namespace':'default'},'spec':" spec "}"

static void test_network_policy(void **state)
{
    (void)state;
    const char *net = "networking.k8s.io";
    check(net, "NetworkPolicy",
          NP("{'podSelector':{'matchLabels':{'app':'x'}},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8',"
             "'except':['10.1.0.0/16']}},{'namespaceSelector':{},'podSelector':{}}],'ports':[{'protocol':'TCP','port':80,"
             "'endPort':90},{'protocol':'UDP','port':'dns'}]}],'egress':[{'to':[{'ipBlock':{'cidr':'fd00::/8'}}]}],"
             "'policyTypes':['Ingress','Egress']}"),
          NULL, "");
    check(net, "NetworkPolicy",
          NP("{'podSelector':{},'ingress':[{'ports':[{'protocol':'ICMP','port':70000},{'protocol':'TCP','port':100,"
             "'endPort':90},{'protocol':'TCP','port':'http','endPort':90},{'protocol':'TCP','endPort':5}]}],"
             "'policyTypes':['Ingress','Sideways']}"),
          NULL,
          "[spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\", "
          "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, "
          "spec.ingress[0].ports[1].endPort: Invalid value: 90: must be greater than or equal to `port`, "
          "spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is non-numeric, "
          "spec.ingress[0].ports[3].endPort: Invalid value: 5: may not be specified when `port` is not specified, "
          "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"]");
    check(net, "NetworkPolicy",
          NP("{'podSelector':{},'egress':[{'to':[{},{'ipBlock':{'cidr':'10.0.0.0/33'}},{'ipBlock':{'cidr':''}},"
             "{'ipBlock':{'cidr':'10.0.0.0/16','except':['10.0.0.0/8','192.168.0.0/24','x']},'podSelector':{}}]}],"
             "'policyTypes':['Egress']}"),
          NULL,
          "[spec.egress[0].to[0]: Required value: must specify a peer, spec.egress[0].to[1].ipBlock.cidr: Invalid value: "
          "\"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64), "
          "spec.egress[0].to[2].ipBlock.cidr: Required value, spec.egress[0].to[3].ipBlock.except[0]: Invalid value: "
          "\"10.0.0.0/8\": must be a strict subset of `cidr`, spec.egress[0].to[3].ipBlock.except[1]: Invalid value: "
          "\"192.168.0.0/24\": must be a strict subset of `cidr`, spec.egress[0].to[3].ipBlock.except[2]: Invalid value: "
          "\"x\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64), spec.egress[0].to[3]: Forbidden: may "
          "not specify both ipBlock and another peer]");
    check(net, "NetworkPolicy", NP("{'podSelector':{},'policyTypes':['Ingress','Egress','Ingress']}"), NULL,
          "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", \"Ingress\"}: may not "
          "specify more than two policyTypes");
    /* an invalid CIDR kept from the stored object is accepted on update */
    const char *bad = NP("{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/99'}}]}],'policyTypes':['Ingress']}");
    check(net, "NetworkPolicy", bad, bad, "");
}

static void test_endpoint_slice(void **state)
{
    (void)state;
    const char *d = "discovery.k8s.io";
    check(d, "EndpointSlice",
          "{'metadata':{'name':'s'},'addressType':'IPv4','endpoints':[{'addresses':['10.1.2.3'],'hostname':'h',"
          "'conditions':{'ready':true}}],'ports':[{'name':'http','protocol':'TCP','port':80}]}",
          NULL, "");
    check(d, "EndpointSlice", "{'metadata':{'name':'s'},'addressType':'IP'}", NULL,
          "addressType: Unsupported value: \"IP\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"");
    check(d, "EndpointSlice",
          "{'metadata':{'name':'s'},'addressType':'IPv4','endpoints':[{'addresses':[]},{'addresses':['fd00::1','127.0.0.1']}],"
          "'ports':[{'name':'a','protocol':'TCP'},{'name':'a','protocol':'ICMP'},{'name':'b'}]}",
          NULL,
          "[endpoints[0].addresses: Required value: must contain at least 1 address, endpoints[1].addresses[0]: Invalid "
          "value: \"fd00::1\": must be a valid IPv4 address, endpoints[1].addresses[1]: Invalid value: \"127.0.0.1\": may "
          "not be in the loopback range (127.0.0.0/8, ::1/128), ports[1].name: Duplicate value: \"a\", ports[1].protocol: "
          "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\", ports[2].protocol: Required value]");
    check(d, "EndpointSlice", "{'metadata':{'name':'s'},'addressType':'FQDN','endpoints':[{'addresses':['single']}]}", NULL,
          "endpoints[0].addresses[0]: Invalid value: \"single\": should be a domain with at least two segments separated "
          "by dots");
    check(d, "EndpointSlice", "{'metadata':{'name':'s'},'addressType':'IPv6'}",
          "{'metadata':{'name':'s'},'addressType':'IPv4'}", "addressType: Invalid value: \"IPv6\": field is immutable");
}

static void test_node(void **state)
{
    (void)state;
    check("", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.244.0.0/24','podCIDRs':['10.244.0.0/24','fd00:1::/64'],"
                      "'taints':[{'key':'k','value':'v','effect':'NoSchedule'},{'key':'k','effect':'NoExecute'}]}}",
          NULL, "");
    check("", "Node",
          "{'metadata':{'name':'n'},'spec':{'podCIDRs':['10.244.0.1/24','10.1.0.0/16'],'taints':[{'key':'k','effect':''},"
          "{'key':'k','value':'a b','effect':'Never'},{'key':'k2','effect':'NoSchedule'},"
          "{'key':'k2','value':'x','effect':'NoSchedule'}]}}",
          NULL,
          "[metadata.taints[0].effect: Required value, metadata.taints[1].value: Invalid value: \"a b\": a valid label "
          "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), metadata.taints[1].effect: Unsupported value: \"Never\": "
          "supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\", metadata.taints[3]: Duplicate value: "
          "core.Taint{Key:\"k2\", Value:\"x\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by "
          "key and effect pair, spec.podCIDRs[0]: Invalid value: \"10.244.0.1/24\": must not have bits set beyond the "
          "prefix length, spec.podCIDRs: Invalid value: []string{\"10.244.0.1/24\", \"10.1.0.0/16\"}: may specify no "
          "more than one CIDR for each IP family]");
    check("", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDRs':['bogus','fd00:0:0::/64']}}", NULL,
          "[spec.podCIDRs[0]: Invalid value: \"bogus\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64), "
          "spec.podCIDRs[1]: Invalid value: \"fd00:0:0::/64\": must be in canonical form (\"fd00::/64\"), "
          "spec.podCIDRs: Invalid value: []string{\"bogus\", \"fd00:0:0::/64\"}: may specify no more than one CIDR "
          "for each IP family]");
    const char *old = "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.0.0.0/24','podCIDRs':['10.0.0.0/24'],'providerID':'aws://a'}}";
    check("", "Node", old, old, "");
    check("", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDRs':['10.0.1.0/24'],'providerID':'aws://b'}}", old,
          "[spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid, spec.providerID: "
          "Forbidden: node updates may not change providerID except from \"\" to valid]");
    check("", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDRs':['10.0.0.0/24'],'providerID':'aws://a','configSource':{}}}",
          old,
          "spec.configSource: Invalid value: core.NodeConfigSource{ConfigMap:(*core.ConfigMapNodeConfigSource)(nil)}: "
          "exactly one reference subfield must be non-nil");
    check("", "Node", "{'metadata':{'name':'n'},'spec':{'providerID':'x'}}", "{'metadata':{'name':'n'},'spec':{}}", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_pods),     cmocka_unit_test(test_probes),
        cmocka_unit_test(test_security_context), cmocka_unit_test(test_affinity),
        cmocka_unit_test(test_topology_tolerations), cmocka_unit_test(test_template_paths),
        cmocka_unit_test(test_network_policy), cmocka_unit_test(test_endpoint_slice),
        cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
