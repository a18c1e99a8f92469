//go:build tools

// envoyproxy/ratelimit's service, the peer of the differential test, in a module of its own:
// its go.mod pins an otelgrpc that the other peers' dependencies would raise past its API.
package tools

import _ "github.com/envoyproxy/ratelimit/src/service_cmd"
