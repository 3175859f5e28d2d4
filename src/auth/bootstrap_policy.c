/* Upstream's bootstrap RBAC policy as data, and the code that turns it into
 * objects in the store. The policy is a line-oriented text (one object
 * header line, then its lines):
 *   C name                         a ClusterRole
 *   R ns name                      a Role
 *   L key=value                    an extra label of the current role
 *   A key=value                    aggregationRule selector (matchLabels key=value)
 *   r verbs groups resources [names]  a resource rule; lists are comma-separated,
 *                                  the core group is written ""
 *   u verbs urls                   a nonResourceURLs rule
 *   B name clusterrole subjects... a ClusterRoleBinding
 *   b ns name Role|ClusterRole role subjects...  a RoleBinding
 * Subjects are G=group, U=user, S=namespace/serviceaccount. */
#include <string.h>

#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"
#include "rbac.h"
#include "rbac_escalation.h"
#include "../codec/json.h"

const char kapi_rbac_bootstrap_text[] =
    /* ClusterRoles */
    "C admin\n"
    "A rbac.authorization.k8s.io/aggregate-to-admin=true\n"
    "C cluster-admin\n"
    "r * * *\n"
    "u * *\n"
    "C edit\n"
    "L rbac.authorization.k8s.io/aggregate-to-admin=true\n"
    "A rbac.authorization.k8s.io/aggregate-to-edit=true\n"
    "C system:aggregate-to-admin\n"
    "L rbac.authorization.k8s.io/aggregate-to-admin=true\n"
    "r create authorization.k8s.io localsubjectaccessreviews\n"
    "r create,delete,deletecollection,get,list,patch,update,watch rbac.authorization.k8s.io rolebindings,roles\n"
    "C system:aggregate-to-edit\n"
    "L rbac.authorization.k8s.io/aggregate-to-edit=true\n"
    "r get,list,watch \"\" pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy\n"
    "r impersonate \"\" serviceaccounts\n"
    "r create,delete,deletecollection,patch,update \"\" pods,pods/attach,pods/exec,pods/portforward,pods/proxy\n"
    "r create \"\" pods/eviction\n"
    "r create,delete,deletecollection,patch,update \"\" configmaps,events,persistentvolumeclaims,"
    "replicationcontrollers,replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy\n"
    "r create \"\" serviceaccounts/token\n"
    "r create,delete,deletecollection,patch,update apps daemonsets,deployments,deployments/rollback,"
    "deployments/scale,replicasets,replicasets/scale,statefulsets,statefulsets/scale\n"
    "r create,delete,deletecollection,patch,update autoscaling horizontalpodautoscalers\n"
    "r create,delete,deletecollection,patch,update batch cronjobs,jobs\n"
    "r create,delete,deletecollection,patch,update extensions daemonsets,deployments,deployments/rollback,"
    "deployments/scale,ingresses,networkpolicies,replicasets,replicasets/scale,replicationcontrollers/scale\n"
    "r create,delete,deletecollection,patch,update policy poddisruptionbudgets\n"
    "r create,delete,deletecollection,patch,update networking.k8s.io ingresses,networkpolicies\n"
    "r create,delete,deletecollection,get,list,patch,update,watch coordination.k8s.io leases\n"
    "C system:aggregate-to-view\n"
    "L rbac.authorization.k8s.io/aggregate-to-view=true\n"
    "r get,list,watch \"\" configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,"
    "replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status\n"
    "r get,list,watch \"\" bindings,events,limitranges,namespaces/status,pods/log,pods/status,"
    "replicationcontrollers/status,resourcequotas,resourcequotas/status\n"
    "r get,list,watch \"\" namespaces\n"
    "r get,list,watch discovery.k8s.io endpointslices\n"
    "r get,list,watch apps controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,"
    "deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,"
    "statefulsets/status\n"
    "r get,list,watch autoscaling horizontalpodautoscalers,horizontalpodautoscalers/status\n"
    "r get,list,watch batch cronjobs,cronjobs/status,jobs,jobs/status\n"
    "r get,list,watch extensions daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,"
    "ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,"
    "replicationcontrollers/scale\n"
    "r get,list,watch policy poddisruptionbudgets,poddisruptionbudgets/status\n"
    "r get,list,watch networking.k8s.io ingresses,ingresses/status,networkpolicies\n"
    "C system:auth-delegator\n"
    "r create authentication.k8s.io tokenreviews\n"
    "r create authorization.k8s.io subjectaccessreviews\n"
    "C system:basic-user\n"
    "r create authorization.k8s.io selfsubjectaccessreviews,selfsubjectrulesreviews\n"
    "r create authentication.k8s.io selfsubjectreviews\n"
    "C system:certificates.k8s.io:certificatesigningrequests:nodeclient\n"
    "r create certificates.k8s.io certificatesigningrequests/nodeclient\n"
    "C system:certificates.k8s.io:certificatesigningrequests:selfnodeclient\n"
    "r create certificates.k8s.io certificatesigningrequests/selfnodeclient\n"
    "C system:certificates.k8s.io:kube-apiserver-client-approver\n"
    "r approve certificates.k8s.io signers kubernetes.io/kube-apiserver-client\n"
    "C system:certificates.k8s.io:kube-apiserver-client-kubelet-approver\n"
    "r approve certificates.k8s.io signers kubernetes.io/kube-apiserver-client-kubelet\n"
    "C system:certificates.k8s.io:kubelet-serving-approver\n"
    "r approve certificates.k8s.io signers kubernetes.io/kubelet-serving\n"
    "C system:certificates.k8s.io:legacy-unknown-approver\n"
    "r approve certificates.k8s.io signers kubernetes.io/legacy-unknown\n"
    /* system:controller:* ClusterRoles (controller-roles.yaml, 1.33 default feature gates) */
    "C system:controller:attachdetach-controller\n"
    "r list,watch \"\" persistentvolumeclaims,persistentvolumes\n"
    "r get,list,watch \"\" nodes\n"
    "r patch,update \"\" nodes/status\n"
    "r list,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r create,delete,get,list,watch storage.k8s.io volumeattachments\n"
    "r get,list,watch storage.k8s.io csidrivers\n"
    "r get,list,watch storage.k8s.io csinodes\n"
    "C system:controller:certificate-controller\n"
    "r delete,get,list,watch certificates.k8s.io certificatesigningrequests\n"
    "r update certificates.k8s.io certificatesigningrequests/approval,certificatesigningrequests/status\n"
    "r approve certificates.k8s.io signers kubernetes.io/kube-apiserver-client-kubelet\n"
    "r sign certificates.k8s.io signers kubernetes.io/kube-apiserver-client,"
    "kubernetes.io/kube-apiserver-client-kubelet,kubernetes.io/kubelet-serving,kubernetes.io/legacy-unknown\n"
    "r create authorization.k8s.io subjectaccessreviews\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:clusterrole-aggregation-controller\n"
    "r escalate,get,list,patch,update,watch rbac.authorization.k8s.io clusterroles\n"
    "C system:controller:cronjob-controller\n"
    "r get,list,update,watch batch cronjobs\n"
    "r create,delete,get,list,patch,update,watch batch jobs\n"
    "r update batch cronjobs/status\n"
    "r update batch cronjobs/finalizers\n"
    "r delete,list,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:daemon-set-controller\n"
    "r get,list,watch apps,extensions daemonsets\n"
    "r update apps,extensions daemonsets/status\n"
    "r update apps,extensions daemonsets/finalizers\n"
    "r list,watch \"\" nodes\n"
    "r create,delete,list,patch,watch \"\" pods\n"
    "r create \"\" pods/binding\n"
    "r create,delete,get,list,patch,update,watch apps controllerrevisions\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:deployment-controller\n"
    "r get,list,update,watch apps,extensions deployments\n"
    "r update apps,extensions deployments/status\n"
    "r update apps,extensions deployments/finalizers\n"
    "r create,delete,get,list,patch,update,watch apps,extensions replicasets\n"
    "r get,list,update,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:disruption-controller\n"
    "r get,list,watch apps,extensions deployments\n"
    "r get,list,watch apps,extensions replicasets\n"
    "r get,list,watch \"\" replicationcontrollers\n"
    "r get,list,watch policy poddisruptionbudgets\n"
    "r get,list,watch apps statefulsets\n"
    "r update policy poddisruptionbudgets/status\n"
    "r patch,update \"\" pods/status\n"
    "r get * */scale\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:endpoint-controller\n"
    "r get,list,watch \"\" pods,services\n"
    "r create,delete,get,list,update,watch \"\" endpoints\n"
    "r create \"\" endpoints/restricted\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:endpointslice-controller\n"
    "r get,list,watch \"\" nodes,pods,services\n"
    "r update \"\" services/finalizers\n"
    "r create,delete,get,list,update,watch discovery.k8s.io endpointslices\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:endpointslicemirroring-controller\n"
    "r get,list,watch \"\" endpoints,services\n"
    "r update \"\" services/finalizers\n"
    "r update \"\" endpoints/finalizers\n"
    "r create,delete,get,list,update,watch discovery.k8s.io endpointslices\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:ephemeral-volume-controller\n"
    "r get,list,watch \"\" pods\n"
    "r update \"\" pods/finalizers\n"
    "r create,get,list,watch \"\" persistentvolumeclaims\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:expand-controller\n"
    "r get,list,patch,update,watch \"\" persistentvolumes\n"
    "r patch,update \"\" persistentvolumeclaims/status\n"
    "r get,list,watch \"\" persistentvolumeclaims\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r get \"\" services\n"
    "C system:controller:generic-garbage-collector\n"
    "r delete,get,list,patch,update,watch * *\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:horizontal-pod-autoscaler\n"
    "r get,list,watch autoscaling horizontalpodautoscalers\n"
    "r update autoscaling horizontalpodautoscalers/status\n"
    "r get,update * */scale\n"
    "r list,watch \"\" pods\n"
    "r list,watch metrics.k8s.io pods\n"
    "r get,list,watch custom.metrics.k8s.io *\n"
    "r get,list,watch external.metrics.k8s.io *\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:job-controller\n"
    "r get,list,patch,update,watch batch jobs\n"
    "r update batch jobs/status\n"
    "r update batch jobs/finalizers\n"
    "r create,delete,list,patch,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:legacy-service-account-token-cleaner\n"
    "r get \"\" configmaps kube-apiserver-legacy-service-account-token-tracking\n"
    "r delete,patch \"\" secrets\n"
    "C system:controller:namespace-controller\n"
    "r delete,get,list,watch \"\" namespaces\n"
    "r update \"\" namespaces/finalize,namespaces/status\n"
    "r delete,deletecollection,get,list,watch * *\n"
    "C system:controller:node-controller\n"
    "r delete,get,list,patch,update,watch \"\" nodes\n"
    "r patch,update \"\" nodes/status\n"
    "r patch,update \"\" pods/status\n"
    "r delete,get,list,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:persistent-volume-binder\n"
    "r create,delete,get,list,update,watch \"\" persistentvolumes\n"
    "r update \"\" persistentvolumes/status\n"
    "r get,list,update,watch \"\" persistentvolumeclaims\n"
    "r update \"\" persistentvolumeclaims/status\n"
    "r create,delete,get,list,watch \"\" pods\n"
    "r get,list,watch storage.k8s.io storageclasses\n"
    "r list,watch \"\" nodes\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r watch \"\" events\n"
    "r get \"\" services\n"
    "C system:controller:pod-garbage-collector\n"
    "r delete,list,watch \"\" pods\n"
    "r get,list,watch \"\" nodes\n"
    "r patch \"\" pods/status\n"
    "C system:controller:pv-protection-controller\n"
    "r get,list,update,watch \"\" persistentvolumes\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:pvc-protection-controller\n"
    "r get,list,update,watch \"\" persistentvolumeclaims\n"
    "r get,list,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:replicaset-controller\n"
    "r get,list,update,watch apps,extensions replicasets\n"
    "r update apps,extensions replicasets/status\n"
    "r update apps,extensions replicasets/finalizers\n"
    "r create,delete,list,patch,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:replication-controller\n"
    "r get,list,update,watch \"\" replicationcontrollers\n"
    "r update \"\" replicationcontrollers/status\n"
    "r update \"\" replicationcontrollers/finalizers\n"
    "r create,delete,list,patch,watch \"\" pods\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:resourcequota-controller\n"
    "r list,watch * *\n"
    "r update \"\" resourcequotas/status\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:root-ca-cert-publisher\n"
    "r create,update \"\" configmaps\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:route-controller\n"
    "r list,watch \"\" nodes\n"
    "r patch \"\" nodes/status\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:selinux-warning-controller\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r get,list,watch \"\" persistentvolumes\n"
    "r get,list,watch \"\" persistentvolumeclaims\n"
    "r get,list,watch \"\" pods\n"
    "r get,list,watch storage.k8s.io csidrivers\n"
    "C system:controller:service-account-controller\n"
    "r create \"\" serviceaccounts\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:service-cidrs-controller\n"
    "r get,list,patch,update,watch networking.k8s.io servicecidrs\n"
    "r patch,update networking.k8s.io servicecidrs/finalizers\n"
    "r patch,update networking.k8s.io servicecidrs/status\n"
    "r get,list,watch networking.k8s.io ipaddresses\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:service-controller\n"
    "r get,list,watch \"\" services\n"
    "r patch,update \"\" services/status\n"
    "r list,watch \"\" nodes\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:statefulset-controller\n"
    "r list,watch \"\" pods\n"
    "r get,list,watch apps statefulsets\n"
    "r update apps statefulsets/status\n"
    "r update apps statefulsets/finalizers\n"
    "r create,delete,get,patch,update \"\" pods\n"
    "r create,delete,get,list,patch,update,watch apps controllerrevisions\n"
    "r create,get,list,watch \"\" persistentvolumeclaims\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r delete,update \"\" persistentvolumeclaims\n"
    "r update \"\" pods/finalizers\n"
    "C system:controller:ttl-after-finished-controller\n"
    "r delete,get,list,watch batch jobs\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:ttl-controller\n"
    "r list,patch,update,watch \"\" nodes\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:controller:validatingadmissionpolicy-status-controller\n"
    "r get,list,watch admissionregistration.k8s.io validatingadmissionpolicies\n"
    "r get,patch,update admissionregistration.k8s.io validatingadmissionpolicies/status\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:discovery\n"
    "u get /api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/\n"
    "C system:heapster\n"
    "r get,list,watch \"\" events,namespaces,nodes,pods\n"
    "r get,list,watch extensions deployments\n"
    "C system:kube-aggregator\n"
    "r get,list,watch \"\" endpoints,services\n"
    "C system:kube-controller-manager\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r create coordination.k8s.io leases\n"
    "r get,update coordination.k8s.io leases kube-controller-manager\n"
    "r create \"\" secrets,serviceaccounts\n"
    "r delete \"\" secrets\n"
    "r get \"\" configmaps,namespaces,secrets,serviceaccounts\n"
    "r update \"\" secrets,serviceaccounts\n"
    "r create authentication.k8s.io tokenreviews\n"
    "r create authorization.k8s.io subjectaccessreviews\n"
    "r list,watch * *\n"
    "r create \"\" serviceaccounts/token\n"
    "C system:kube-dns\n"
    "r list,watch \"\" endpoints,services\n"
    "C system:kube-scheduler\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r create coordination.k8s.io leases\n"
    "r get,update coordination.k8s.io leases kube-scheduler\n"
    "r get,list,watch \"\" nodes\n"
    "r delete,get,list,watch \"\" pods\n"
    "r create \"\" bindings,pods/binding\n"
    "r patch,update \"\" pods/status\n"
    "r get,list,watch \"\" replicationcontrollers,services\n"
    "r get,list,watch apps,extensions replicasets\n"
    "r get,list,watch apps statefulsets\n"
    "r get,list,watch policy poddisruptionbudgets\n"
    "r get,list,watch \"\" persistentvolumeclaims,persistentvolumes\n"
    "r create authentication.k8s.io tokenreviews\n"
    "r create authorization.k8s.io subjectaccessreviews\n"
    "r get,list,watch storage.k8s.io csinodes\n"
    "r get,list,watch \"\" namespaces\n"
    "r get,list,watch storage.k8s.io csidrivers\n"
    "r get,list,watch storage.k8s.io csistoragecapacities\n"
    "C system:kubelet-api-admin\n"
    "r get,list,watch \"\" nodes\n"
    "r proxy \"\" nodes\n"
    "r * \"\" nodes/log,nodes/metrics,nodes/proxy,nodes/stats\n"
    "C system:monitoring\n"
    "u get /healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*\n"
    "C system:node\n"
    "r create authentication.k8s.io tokenreviews\n"
    "r create authorization.k8s.io localsubjectaccessreviews,subjectaccessreviews\n"
    "r get,list,watch \"\" services\n"
    "r create,get,list,watch \"\" nodes\n"
    "r patch,update \"\" nodes/status\n"
    "r patch,update \"\" nodes\n"
    "r create,patch,update \"\" events\n"
    "r get,list,watch \"\" pods\n"
    "r create,delete \"\" pods\n"
    "r patch,update \"\" pods/status\n"
    "r create \"\" pods/eviction\n"
    "r get,list,watch \"\" configmaps,secrets\n"
    "r get \"\" persistentvolumeclaims,persistentvolumes\n"
    "r get \"\" endpoints\n"
    "r create,get,list,watch certificates.k8s.io certificatesigningrequests\n"
    "r create,delete,get,patch,update coordination.k8s.io leases\n"
    "r get storage.k8s.io volumeattachments\n"
    "r create \"\" serviceaccounts/token\n"
    "r get,patch,update \"\" persistentvolumeclaims/status\n"
    "r get,list,watch storage.k8s.io csidrivers\n"
    "r create,delete,get,patch,update storage.k8s.io csinodes\n"
    "r get,list,watch node.k8s.io runtimeclasses\n"
    "C system:node-bootstrapper\n"
    "r create,get,list,watch certificates.k8s.io certificatesigningrequests\n"
    "C system:node-problem-detector\n"
    "r get \"\" nodes\n"
    "r patch \"\" nodes/status\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:node-proxier\n"
    "r list,watch \"\" endpoints,services\n"
    "r get,list,watch \"\" nodes\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "r list,watch discovery.k8s.io endpointslices\n"
    "C system:persistent-volume-provisioner\n"
    "r create,delete,get,list,watch \"\" persistentvolumes\n"
    "r get,list,update,watch \"\" persistentvolumeclaims\n"
    "r get,list,watch storage.k8s.io storageclasses\n"
    "r watch \"\" events\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "C system:public-info-viewer\n"
    "u get /healthz,/livez,/readyz,/version,/version/\n"
    "C system:service-account-issuer-discovery\n"
    "u get /.well-known/openid-configuration,/openid/v1/jwks\n"
    "C system:volume-scheduler\n"
    "r get,list,patch,update,watch \"\" persistentvolumes\n"
    "r get,list,watch storage.k8s.io storageclasses\n"
    "r get,list,patch,update,watch \"\" persistentvolumeclaims\n"
    "C view\n"
    "L rbac.authorization.k8s.io/aggregate-to-edit=true\n"
    "A rbac.authorization.k8s.io/aggregate-to-view=true\n"
    /* ClusterRoleBindings */
    "B cluster-admin cluster-admin G=system:masters\n"
    "B system:basic-user system:basic-user G=system:authenticated\n"
    /* their ClusterRoleBindings (controller-role-bindings.yaml) */
    "B system:controller:attachdetach-controller system:controller:attachdetach-controller "
    "S=kube-system/attachdetach-controller\n"
    "B system:controller:certificate-controller system:controller:certificate-controller "
    "S=kube-system/certificate-controller\n"
    "B system:controller:clusterrole-aggregation-controller system:controller:clusterrole-aggregation-controller "
    "S=kube-system/clusterrole-aggregation-controller\n"
    "B system:controller:cronjob-controller system:controller:cronjob-controller "
    "S=kube-system/cronjob-controller\n"
    "B system:controller:daemon-set-controller system:controller:daemon-set-controller "
    "S=kube-system/daemon-set-controller\n"
    "B system:controller:deployment-controller system:controller:deployment-controller "
    "S=kube-system/deployment-controller\n"
    "B system:controller:disruption-controller system:controller:disruption-controller "
    "S=kube-system/disruption-controller\n"
    "B system:controller:endpoint-controller system:controller:endpoint-controller "
    "S=kube-system/endpoint-controller\n"
    "B system:controller:endpointslice-controller system:controller:endpointslice-controller "
    "S=kube-system/endpointslice-controller\n"
    "B system:controller:endpointslicemirroring-controller system:controller:endpointslicemirroring-controller "
    "S=kube-system/endpointslicemirroring-controller\n"
    "B system:controller:ephemeral-volume-controller system:controller:ephemeral-volume-controller "
    "S=kube-system/ephemeral-volume-controller\n"
    "B system:controller:expand-controller system:controller:expand-controller "
    "S=kube-system/expand-controller\n"
    "B system:controller:generic-garbage-collector system:controller:generic-garbage-collector "
    "S=kube-system/generic-garbage-collector\n"
    "B system:controller:horizontal-pod-autoscaler system:controller:horizontal-pod-autoscaler "
    "S=kube-system/horizontal-pod-autoscaler\n"
    "B system:controller:job-controller system:controller:job-controller "
    "S=kube-system/job-controller\n"
    "B system:controller:legacy-service-account-token-cleaner system:controller:legacy-service-account-token-cleaner "
    "S=kube-system/legacy-service-account-token-cleaner\n"
    "B system:controller:namespace-controller system:controller:namespace-controller "
    "S=kube-system/namespace-controller\n"
    "B system:controller:node-controller system:controller:node-controller "
    "S=kube-system/node-controller\n"
    "B system:controller:persistent-volume-binder system:controller:persistent-volume-binder "
    "S=kube-system/persistent-volume-binder\n"
    "B system:controller:pod-garbage-collector system:controller:pod-garbage-collector "
    "S=kube-system/pod-garbage-collector\n"
    "B system:controller:pv-protection-controller system:controller:pv-protection-controller "
    "S=kube-system/pv-protection-controller\n"
    "B system:controller:pvc-protection-controller system:controller:pvc-protection-controller "
    "S=kube-system/pvc-protection-controller\n"
    "B system:controller:replicaset-controller system:controller:replicaset-controller "
    "S=kube-system/replicaset-controller\n"
    "B system:controller:replication-controller system:controller:replication-controller "
    "S=kube-system/replication-controller\n"
    "B system:controller:resourcequota-controller system:controller:resourcequota-controller "
    "S=kube-system/resourcequota-controller\n"
    "B system:controller:root-ca-cert-publisher system:controller:root-ca-cert-publisher "
    "S=kube-system/root-ca-cert-publisher\n"
    "B system:controller:route-controller system:controller:route-controller "
    "S=kube-system/route-controller\n"
    "B system:controller:selinux-warning-controller system:controller:selinux-warning-controller "
    "S=kube-system/selinux-warning-controller\n"
    "B system:controller:service-account-controller system:controller:service-account-controller "
    "S=kube-system/service-account-controller\n"
    "B system:controller:service-cidrs-controller system:controller:service-cidrs-controller "
    "S=kube-system/service-cidrs-controller\n"
    "B system:controller:service-controller system:controller:service-controller "
    "S=kube-system/service-controller\n"
    "B system:controller:statefulset-controller system:controller:statefulset-controller "
    "S=kube-system/statefulset-controller\n"
    "B system:controller:ttl-after-finished-controller system:controller:ttl-after-finished-controller "
    "S=kube-system/ttl-after-finished-controller\n"
    "B system:controller:ttl-controller system:controller:ttl-controller "
    "S=kube-system/ttl-controller\n"
    "B system:controller:validatingadmissionpolicy-status-controller system:controller:validatingadmissionpolicy-status-controller "
    "S=kube-system/validatingadmissionpolicy-status-controller\n"
    "B system:discovery system:discovery G=system:authenticated\n"
    "B system:kube-controller-manager system:kube-controller-manager U=system:kube-controller-manager\n"
    "B system:kube-dns system:kube-dns S=kube-system/kube-dns\n"
    "B system:kube-scheduler system:kube-scheduler U=system:kube-scheduler\n"
    "B system:monitoring system:monitoring G=system:monitoring\n"
    "B system:node system:node\n"
    "B system:node-proxier system:node-proxier U=system:kube-proxy\n"
    "B system:public-info-viewer system:public-info-viewer G=system:authenticated G=system:unauthenticated\n"
    "B system:service-account-issuer-discovery system:service-account-issuer-discovery G=system:serviceaccounts\n"
    "B system:volume-scheduler system:volume-scheduler U=system:kube-scheduler\n"
    /* Roles in kube-public and kube-system */
    "R kube-public system:controller:bootstrap-signer\n"
    "r get,list,watch \"\" configmaps\n"
    "r update \"\" configmaps cluster-info\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    "R kube-system extension-apiserver-authentication-reader\n"
    "r get,list,watch \"\" configmaps extension-apiserver-authentication\n"
    "R kube-system system::leader-locking-kube-controller-manager\n"
    "r create,get,list,update,watch coordination.k8s.io leases\n"
    "r create,get,list,update,watch coordination.k8s.io leasecandidates\n"
    "R kube-system system::leader-locking-kube-scheduler\n"
    "r create,get,list,update,watch coordination.k8s.io leases\n"
    "r create,get,list,update,watch coordination.k8s.io leasecandidates\n"
    "R kube-system system:controller:bootstrap-signer\n"
    "r get,list,watch \"\" secrets\n"
    "R kube-system system:controller:cloud-provider\n"
    "r create,get,list,watch \"\" configmaps\n"
    "R kube-system system:controller:token-cleaner\n"
    "r delete,get,list,watch \"\" secrets\n"
    "r create,patch,update \"\",events.k8s.io events\n"
    /* RoleBindings */
    "b kube-public system:controller:bootstrap-signer Role system:controller:bootstrap-signer "
    "S=kube-system/bootstrap-signer\n"
    "b kube-system system::extension-apiserver-authentication-reader Role extension-apiserver-authentication-reader "
    "U=system:kube-controller-manager U=system:kube-scheduler\n"
    "b kube-system system::leader-locking-kube-controller-manager Role system::leader-locking-kube-controller-manager "
    "U=system:kube-controller-manager S=kube-system/kube-controller-manager "
    "S=kube-system/leader-election-controller\n"
    "b kube-system system::leader-locking-kube-scheduler Role system::leader-locking-kube-scheduler "
    "U=system:kube-scheduler S=kube-system/kube-scheduler\n"
    "b kube-system system:controller:bootstrap-signer Role system:controller:bootstrap-signer "
    "S=kube-system/bootstrap-signer\n"
    "b kube-system system:controller:cloud-provider Role system:controller:cloud-provider "
    "S=kube-system/cloud-provider\n"
    "b kube-system system:controller:token-cleaner Role system:controller:token-cleaner "
    "S=kube-system/token-cleaner\n";

/* ---- turning the text into objects ---- */

#define MAX_FIELDS 64

/* Splits line (modified in place) at spaces; returns the field count. */
static size_t split(char *line, char **f)
{
    size_t n = 0;
    char *save = NULL;
    for (char *s = strtok_r(line, " ", &save); s && n < MAX_FIELDS; s = strtok_r(NULL, " ", &save))
        f[n++] = s;
    return n;
}

static struct kapi_value *csv_array(struct kapi_pool *p, const char *csv)
{
    struct kapi_value *arr = kapi_value_array(p);
    char *copy = kapi_pool_strdup(p, csv), *save = NULL;
    for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save))
        kapi_arr_push(p, arr, kapi_value_str(p, strcmp(s, "\"\"") == 0 ? "" : s));
    return arr;
}

static struct kapi_value *new_object(struct kapi_pool *p, const char *kind, const char *ns, const char *name)
{
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, kind));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "rbac.authorization.k8s.io/v1"));
    struct kapi_value *md = kapi_obj_ensure_obj(p, o, "metadata");
    kapi_obj_set(p, md, "name", kapi_value_str(p, name));
    if (ns)
        kapi_obj_set(p, md, "namespace", kapi_value_str(p, ns));
    struct kapi_value *labels = kapi_obj_ensure_obj(p, md, "labels");
    kapi_obj_set(p, labels, "kubernetes.io/bootstrapping", kapi_value_str(p, "rbac-defaults"));
    struct kapi_value *ann = kapi_obj_ensure_obj(p, md, "annotations");
    kapi_obj_set(p, ann, "rbac.authorization.kubernetes.io/autoupdate", kapi_value_str(p, "true"));
    return o;
}

static void add_subjects(struct kapi_pool *p, struct kapi_value *o, char **f, size_t n)
{
    struct kapi_value *subs = kapi_value_array(p);
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *s = kapi_value_object(p);
        const char *v = f[i] + 2;
        if (f[i][0] == 'S') {
            const char *slash = strchr(v, '/');
            kapi_obj_set(p, s, "kind", kapi_value_str(p, "ServiceAccount"));
            kapi_obj_set(p, s, "name", kapi_value_str(p, slash + 1));
            kapi_obj_set(p, s, "namespace", kapi_value_strn(p, v, (size_t)(slash - v)));
        } else {
            kapi_obj_set(p, s, "kind", kapi_value_str(p, f[i][0] == 'G' ? "Group" : "User"));
            kapi_obj_set(p, s, "apiGroup", kapi_value_str(p, "rbac.authorization.k8s.io"));
            kapi_obj_set(p, s, "name", kapi_value_str(p, v));
        }
        kapi_arr_push(p, subs, s);
    }
    /* upstream's system:node binding has no subjects (the Node authorizer
     * took over); it is stored as subjects: null */
    kapi_obj_set(p, o, "subjects", n ? subs : kapi_value_null(p));
}

static void set_role_ref(struct kapi_pool *p, struct kapi_value *o, const char *kind, const char *name)
{
    struct kapi_value *ref = kapi_obj_ensure_obj(p, o, "roleRef");
    kapi_obj_set(p, ref, "apiGroup", kapi_value_str(p, "rbac.authorization.k8s.io"));
    kapi_obj_set(p, ref, "kind", kapi_value_str(p, kind));
    kapi_obj_set(p, ref, "name", kapi_value_str(p, name));
}

struct pending {
    struct kapi_value *obj;
    const struct kapi_kind *kind;
    const char *ns;
};

/* Sets every member of want's map at key (labels, annotations) in have's. */
static bool merge_map(struct kapi_pool *p, struct kapi_value *have_md, const struct kapi_value *want_md, const char *key)
{
    const struct kapi_value *want = kapi_obj_get(want_md, key);
    if (!want || want->type != KAPI_V_OBJECT || !want->u.obj.len)
        return false;
    struct kapi_value *have = kapi_obj_get(have_md, key);
    if (!have || have->type != KAPI_V_OBJECT) {
        have = kapi_value_object(p);
        kapi_obj_set(p, have_md, key, have);
    }
    bool changed = false;
    for (size_t i = 0; i < want->u.obj.len; i++) {
        const struct kapi_member *m = &want->u.obj.members[i];
        if (!kapi_value_equal(kapi_obj_get(have, m->key), m->val)) {
            kapi_obj_set(p, have, m->key, kapi_value_clone(p, m->val));
            changed = true;
        }
    }
    return changed;
}

/* Adds to have's array at key the entries of want's it lacks. */
static bool merge_list(struct kapi_pool *p, struct kapi_value *have_obj, const struct kapi_value *want_obj,
                       const char *key)
{
    const struct kapi_value *want = kapi_obj_get(want_obj, key);
    if (!want || want->type != KAPI_V_ARRAY || !want->u.arr.len)
        return false;
    struct kapi_value *have = kapi_obj_get(have_obj, key);
    if (!have || have->type != KAPI_V_ARRAY) {
        have = kapi_value_array(p);
        kapi_obj_set(p, have_obj, key, have);
    }
    bool changed = false;
    for (size_t i = 0; i < want->u.arr.len; i++) {
        bool present = false;
        for (size_t j = 0; j < have->u.arr.len && !present; j++)
            present = kapi_value_equal(have->u.arr.items[j], want->u.arr.items[i]);
        if (!present) {
            kapi_arr_push(p, have, kapi_value_clone(p, want->u.arr.items[i]));
            changed = true;
        }
    }
    return changed;
}

/* Upstream's reconciliation at start for a bootstrap object that already
 * exists and does not say rbac.authorization.kubernetes.io/autoupdate:
 * "false": its labels and annotations are set, a role gets the rules it
 * lacks (an aggregated one the selectors) appended, a binding the subjects
 * it lacks; a binding whose roleRef differs is replaced. Nothing is removed. */
static int reconcile(struct kapi_store *store, struct kapi_pool *p, const struct pending *pd, const char *key,
                     const struct kapi_kv *kv)
{
    struct kapi_json_error je;
    struct kapi_value *have = kapi_json_parse(p, kv->value->data, kv->value->len, NULL, &je);
    if (!have || have->type != KAPI_V_OBJECT)
        return 0;
    struct kapi_value *md = kapi_obj_ensure_obj(p, have, "metadata");
    const char *au = kapi_value_cstr(kapi_value_path(md, "annotations", "rbac.authorization.kubernetes.io/autoupdate", NULL));
    if (au && strcmp(au, "false") == 0)
        return 0;
    const struct kapi_value *want_md = kapi_obj_get(pd->obj, "metadata");
    const char *kind = kapi_obj_get_str(pd->obj, "kind");
    bool binding = kind && strstr(kind, "Binding");
    if (binding && !kapi_value_equal(kapi_obj_get(have, "roleRef"), kapi_obj_get(pd->obj, "roleRef"))) {
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = kv->mod_rev};
        struct kapi_write_result res = {0};
        int rc = kapi_store_write(store, &w, &res);
        kapi_write_result_dispose(&res);
        return rc ? rc : kapi_meta_create_if_missing(store, p, pd->kind, pd->ns, pd->obj);
    }
    bool changed = merge_map(p, md, want_md, "labels");
    changed |= merge_map(p, md, want_md, "annotations");
    if (binding) {
        changed |= merge_list(p, have, pd->obj, "subjects");
    } else if (kapi_obj_get(pd->obj, "aggregationRule")) {
        struct kapi_value *ar = kapi_obj_ensure_obj(p, have, "aggregationRule");
        changed |= merge_list(p, ar, kapi_obj_get(pd->obj, "aggregationRule"), "clusterRoleSelectors");
    } else {
        /* rules the role lacks: upstream appends what the existing ones do not cover */
        struct kapi_rbac_rule *hr = NULL, *wr = NULL;
        size_t nh = kapi_rbac_parse_rules(p, have, &hr), nw = kapi_rbac_parse_rules(p, pd->obj, &wr);
        const struct kapi_value *want_rules = kapi_obj_get(pd->obj, "rules");
        struct kapi_value *rules = kapi_obj_get(have, "rules");
        for (size_t i = 0; i < nw && want_rules && want_rules->type == KAPI_V_ARRAY; i++) {
            struct kapi_rbac_rule *missing = NULL;
            size_t nmissing = 0;
            if (kapi_rbac_covers(p, hr, nh, &wr[i], 1, &missing, &nmissing))
                continue;
            if (!rules || rules->type != KAPI_V_ARRAY) {
                rules = kapi_value_array(p);
                kapi_obj_set(p, have, "rules", rules);
            }
            kapi_arr_push(p, rules, kapi_value_clone(p, want_rules->u.arr.items[i]));
            changed = true;
        }
    }
    if (!changed)
        return 0;
    kapi_log(1, "rbac bootstrap: reconciled %s", key);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(have, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len,
                           .expect_mod_rev = kv->mod_rev};
    struct kapi_write_result res = {0};
    int rc = kapi_store_write(store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    return rc == KAPI_STORE_CONFLICT ? 0 : rc;
}

static int flush(struct kapi_store *store, struct kapi_pool *p, struct pending *pd)
{
    if (!pd->obj)
        return 0;
    int rc = 0;
    if (pd->kind) {
        const char *name = kapi_value_cstr(kapi_value_path(pd->obj, "metadata", "name", NULL));
        char *key = kapi_registry_key(p, pd->kind, pd->ns, name);
        struct kapi_kv kv = {0};
        int g = kapi_store_get(store, key, &kv);
        if (g == 0 && kv.value)
            rc = reconcile(store, p, pd, key, &kv);
        else
            rc = kapi_meta_create_if_missing(store, p, pd->kind, pd->ns, pd->obj);
        kapi_kv_dispose(&kv);
    }
    if (rc)
        kapi_log(0, "rbac bootstrap: %s: error %d",
                 kapi_value_cstr(kapi_value_path(pd->obj, "metadata", "name", NULL)), rc);
    pd->obj = NULL;
    return rc;
}

int kapi_rbac_bootstrap(struct kapi_store *store, const struct kapi_registry *reg)
{
    const char *g = "rbac.authorization.k8s.io";
    const struct kapi_kind *k_cr = kapi_registry_find(reg, g, "v1", "clusterroles");
    const struct kapi_kind *k_r = kapi_registry_find(reg, g, "v1", "roles");
    const struct kapi_kind *k_crb = kapi_registry_find(reg, g, "v1", "clusterrolebindings");
    const struct kapi_kind *k_rb = kapi_registry_find(reg, g, "v1", "rolebindings");
    struct kapi_pool *p = kapi_pool_new();
    struct pending pd = {0};
    int first_err = 0;
    const char *s = kapi_rbac_bootstrap_text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char *line = kapi_pool_strndup(p, s, len);
        s += len + (nl ? 1 : 0);
        char *f[MAX_FIELDS];
        size_t n = split(line, f);
        if (!n)
            continue;
        char tag = f[0][0];
        if (tag == 'C' || tag == 'R' || tag == 'B' || tag == 'b') {
            int rc = flush(store, p, &pd);
            if (rc && !first_err)
                first_err = rc;
        }
        if (tag == 'C' && n >= 2) {
            pd = (struct pending){new_object(p, "ClusterRole", NULL, f[1]), k_cr, NULL};
            kapi_obj_set(p, pd.obj, "rules", kapi_value_null(p));
        } else if (tag == 'R' && n >= 3) {
            pd = (struct pending){new_object(p, "Role", f[1], f[2]), k_r, f[1]};
            kapi_obj_set(p, pd.obj, "rules", kapi_value_null(p));
        } else if (tag == 'B' && n >= 3) {
            pd = (struct pending){new_object(p, "ClusterRoleBinding", NULL, f[1]), k_crb, NULL};
            add_subjects(p, pd.obj, f + 3, n - 3);
            set_role_ref(p, pd.obj, "ClusterRole", f[2]);
        } else if (tag == 'b' && n >= 5) {
            pd = (struct pending){new_object(p, "RoleBinding", f[1], f[2]), k_rb, f[1]};
            add_subjects(p, pd.obj, f + 5, n - 5);
            set_role_ref(p, pd.obj, f[3], f[4]);
        } else if (pd.obj && (tag == 'L' || tag == 'A') && n >= 2) {
            char *eq = strchr(f[1], '=');
            if (!eq)
                continue;
            *eq = '\0';
            struct kapi_value *target;
            if (tag == 'L') {
                target = kapi_value_path(pd.obj, "metadata", "labels", NULL);
            } else {
                struct kapi_value *ar = kapi_obj_ensure_obj(p, pd.obj, "aggregationRule");
                struct kapi_value *sels = kapi_obj_get(ar, "clusterRoleSelectors");
                if (!sels) {
                    sels = kapi_value_array(p);
                    kapi_obj_set(p, ar, "clusterRoleSelectors", sels);
                }
                struct kapi_value *sel = kapi_value_object(p);
                kapi_arr_push(p, sels, sel);
                target = kapi_obj_ensure_obj(p, sel, "matchLabels");
            }
            kapi_obj_set(p, target, f[1], kapi_value_str(p, eq + 1));
        } else if (pd.obj && (tag == 'r' || tag == 'u') && n >= 3) {
            struct kapi_value *rules = kapi_obj_get(pd.obj, "rules");
            if (!rules || rules->type != KAPI_V_ARRAY) {
                rules = kapi_value_array(p);
                kapi_obj_set(p, pd.obj, "rules", rules);
            }
            struct kapi_value *r = kapi_value_object(p);
            kapi_obj_set(p, r, "verbs", csv_array(p, f[1]));
            if (tag == 'u') {
                kapi_obj_set(p, r, "nonResourceURLs", csv_array(p, f[2]));
            } else if (n >= 4) {
                kapi_obj_set(p, r, "apiGroups", csv_array(p, f[2]));
                kapi_obj_set(p, r, "resources", csv_array(p, f[3]));
                if (n >= 5)
                    kapi_obj_set(p, r, "resourceNames", csv_array(p, f[4]));
            }
            kapi_arr_push(p, rules, r);
        }
    }
    int rc = flush(store, p, &pd);
    if (rc && !first_err)
        first_err = rc;
    kapi_pool_free(p);
    return first_err;
}
