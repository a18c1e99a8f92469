# The OPA-Envoy stand-in's entry (bench/peers/opa_envoy/main.go queries data.envoy.authz.allow,
# OPA-Envoy's default decision): the input OPA-Envoy builds from a CheckRequest
# (input.attributes.request.http) handed to the authz benchmark's own policy,
# bench/authz_policy.rego, in the input shape it reads. The decision is that policy's.
package envoy.authz

import rego.v1

request := input.attributes.request.http

default allow := false

allow if {
	data.authz.allow with input as {
		"method": request.method,
		"host": request.host,
		"path": split(request.path, "?")[0],
		"headers": request.headers,
	}
}
