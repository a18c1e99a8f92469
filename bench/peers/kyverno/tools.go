//go:build tools

// Package tools pins github.com/kyverno/kyverno-authz, the gRPC ext_authz peer of
// bench/grpc_authz.ts (benchmark-only; bench/_grpc_peer.ts says how to build it).
package tools

import _ "github.com/kyverno/kyverno-authz"
