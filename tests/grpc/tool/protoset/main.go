// Command protoset writes the FileDescriptorSet of Envoy's ext_authz and rate limit services,
// the gRPC health service and every file they import, as go-control-plane compiled them, to the
// path given as its only argument. Files come in dependency order (a file after its imports),
// which is what protoc's --include_imports writes and what grpcurl's -protoset expects.
package main

import (
	"fmt"
	"os"
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	_ "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	_ "google.golang.org/grpc/health/grpc_health_v1"
)

var roots = []string{
	"envoy/service/auth/v3/external_auth.proto",
	"envoy/service/ratelimit/v3/rls.proto",
	"grpc/health/v1/health.proto",
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protoset OUTPUT")
		os.Exit(2)
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(file protoreflect.FileDescriptor)
	add = func(file protoreflect.FileDescriptor) {
		if seen[file.Path()] {
			return
		}
		seen[file.Path()] = true
		imports := file.Imports()
		paths := make([]string, 0, imports.Len())
		for i := 0; i < imports.Len(); i++ {
			paths = append(paths, imports.Get(i).Path())
		}
		sort.Strings(paths)
		for _, path := range paths {
			add(find(path))
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(file))
	}
	for _, root := range roots {
		add(find(root))
	}
	bytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Cannot encode the FileDescriptorSet:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], bytes, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "Cannot write the FileDescriptorSet:", err)
		os.Exit(1)
	}
}

func find(path string) protoreflect.FileDescriptor {
	file, err := protoregistry.GlobalFiles.FindFileByPath(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Cannot find %q in the Go registry: %v\n", path, err)
		os.Exit(1)
	}
	return file
}
