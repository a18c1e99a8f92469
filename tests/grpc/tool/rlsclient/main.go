// Command rlsclient is the Go test client of apigw's gRPC rate limit service: it reads one
// RateLimitRequest a line (protojson) from stdin, sends each with go-control-plane's generated
// client to the address given as its only argument, in order, and prints one JSON line a
// request: {"response": <RateLimitResponse as protojson>} or {"code": "<gRPC code>", "message": …}.
// A line {"raw": "<base64>"} sends those bytes as the request message, unchecked: how the tests
// send malformed protobuf.
//
// With -authz as its first argument it is the test client of apigw's gRPC ext_authz instead:
// each line is a CheckRequest (protojson, as Envoy's ext_authz filter fills it) sent to
// envoy.service.auth.v3.Authorization/Check, and {"response": …} holds the CheckResponse.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"

	auth "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	rls "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type result struct {
	Response json.RawMessage `json:"response,omitempty"`
	Code     string          `json:"code,omitempty"`
	Message  string          `json:"message,omitempty"`
}

const (
	rlsMethod   = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit"
	authzMethod = "/envoy.service.auth.v3.Authorization/Check"
)

func main() {
	args := os.Args[1:]
	authz := len(args) == 2 && args[0] == "-authz"
	if authz {
		args = args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: rlsclient [-authz] HOST:PORT < requests.jsonl")
		os.Exit(2)
	}
	conn, err := grpc.NewClient(args[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "Cannot create the gRPC client:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := rls.NewRateLimitServiceClient(conn)
	checker := auth.NewAuthorizationClient(conn)
	method := rlsMethod
	if authz {
		method = authzMethod
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 0, 1<<20), 16<<20)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		var raw struct {
			Raw *string `json:"raw"`
		}
		if json.Unmarshal(scanner.Bytes(), &raw) == nil && raw.Raw != nil {
			_ = out.Encode(sendRaw(conn, method, *raw.Raw))
			continue
		}
		var request, response proto.Message = &rls.RateLimitRequest{}, nil
		if authz {
			request = &auth.CheckRequest{}
		}
		if err := protojson.Unmarshal(scanner.Bytes(), request); err != nil {
			fmt.Fprintln(os.Stderr, "Cannot parse a request line:", err)
			os.Exit(1)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if authz {
			response, err = checker.Check(ctx, request.(*auth.CheckRequest))
		} else {
			response, err = client.ShouldRateLimit(ctx, request.(*rls.RateLimitRequest))
		}
		cancel()
		if err != nil {
			s := status.Convert(err)
			_ = out.Encode(result{Code: s.Code().String(), Message: s.Message()})
			continue
		}
		bytes, err := protojson.MarshalOptions{EmitUnpopulated: false}.Marshal(response)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Cannot encode a response:", err)
			os.Exit(1)
		}
		_ = out.Encode(result{Response: bytes})
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "Cannot read stdin:", err)
		os.Exit(1)
	}
}

// rawCodec sends and receives message bytes as they are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error { *(v.(*[]byte)) = data; return nil }
func (rawCodec) Name() string                       { return "proto" }

func sendRaw(conn *grpc.ClientConn, method string, encoded string) result {
	request, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Cannot decode a raw line:", err)
		os.Exit(1)
	}
	var response []byte
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = conn.Invoke(ctx, method, &request, &response, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		s := status.Convert(err)
		return result{Code: s.Code().String(), Message: s.Message()}
	}
	return result{Code: "OK", Message: base64.StdEncoding.EncodeToString(response)}
}
