//go:build tools

// The peers the gRPC tests run, pinned by this module's go.mod: envoyproxy/ratelimit's service
// (the differential test) and grpcurl (health and smoke calls with the committed protoset).
package tools

import (
	_ "github.com/envoyproxy/ratelimit/src/service_cmd"
	_ "github.com/fullstorydev/grpcurl/cmd/grpcurl"
)
