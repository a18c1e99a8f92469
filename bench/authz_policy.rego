# The OPA peer of the authz benchmark: the same decision apigw makes for the benchmark's APIRule
# rule (GET /orders/{*} on orders.bench.local, JWT from one issuer, scope orders:read, exp with
# 60 s leeway, RS256 only), over OPA's REST data API. The JWKS is inlined as data, so OPA does no
# fetching either.
package authz

import rego.v1

default allow := false

token := t if {
	startswith(input.headers.authorization, "Bearer ")
	t := substring(input.headers.authorization, 7, -1)
}

claims := payload if {
	[valid, _, payload] := io.jwt.decode_verify(token, {
		"cert": json.marshal(data.jwks),
		"alg": "RS256",
		"iss": data.issuer,
		"time": (time.now_ns() - 60000000000),
	})
	valid
}

scopes contains s if some s in split(claims.scope, " ")

allow if {
	input.method == "GET"
	input.host == "orders.bench.local"
	regex.match(`^/orders/([A-Za-z0-9-._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$`, input.path)
	"orders:read" in scopes
}
