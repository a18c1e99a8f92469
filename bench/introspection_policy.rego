# The OPA peer of the introspection benchmark: the decision apigw makes for the benchmark's
# v1beta1 rule (GET /orders/.* on orders.bench.local, oauth2_introspection with client Basic
# auth, active token, scope orders:read), with OPA's http.send cache standing in for apigw's
# introspection cache (force_cache for 30 s, keyed by the whole request, so per token).
package introspect

import rego.v1

default allow := false

token := t if {
	startswith(input.headers.authorization, "Bearer ")
	t := substring(input.headers.authorization, 7, -1)
}

answer := response.body if {
	response := http.send({
		"method": "POST",
		"url": data.introspection_url,
		"headers": {
			"content-type": "application/x-www-form-urlencoded",
			"authorization": data.basic,
		},
		"raw_body": concat("", ["token=", urlquery.encode(token), "&token_type_hint=access_token"]),
		"force_cache": true,
		"force_cache_duration_seconds": 30,
		"timeout": "500ms",
	})
	response.status_code == 200
}

allow if {
	input.host == "orders.bench.local"
	input.method == "GET"
	regex.match(`^/orders/.*$`, input.path)
	answer.active == true
	"orders:read" in split(answer.scope, " ")
}
