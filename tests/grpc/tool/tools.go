//go:build tools

// grpcurl, pinned by this module's go.mod: the tests' health and smoke calls with the
// committed protoset. (envoyproxy/ratelimit has a module of its own, ../ratelimit.)
package tools

import _ "github.com/fullstorydev/grpcurl/cmd/grpcurl"
