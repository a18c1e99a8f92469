// Command rlsclient is the Go test client of apigw's gRPC rate limit service: it reads one
// RateLimitRequest a line (protojson) from stdin, sends each with go-control-plane's generated
// client to the address given as its only argument, in order, and prints one JSON line a
// request: {"response": <RateLimitResponse as protojson>} or {"code": "<gRPC code>", "message": …}.
// A line {"raw": "<base64>"} sends those bytes as the request message, unchecked: how the tests
// send malformed protobuf.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"

	rls "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

type result struct {
	Response json.RawMessage `json:"response,omitempty"`
	Code     string          `json:"code,omitempty"`
	Message  string          `json:"message,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rlsclient HOST:PORT < requests.jsonl")
		os.Exit(2)
	}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "Cannot create the gRPC client:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := rls.NewRateLimitServiceClient(conn)
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
			_ = out.Encode(sendRaw(conn, *raw.Raw))
			continue
		}
		request := &rls.RateLimitRequest{}
		if err := protojson.Unmarshal(scanner.Bytes(), request); err != nil {
			fmt.Fprintln(os.Stderr, "Cannot parse a request line:", err)
			os.Exit(1)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		response, err := client.ShouldRateLimit(ctx, request)
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

func sendRaw(conn *grpc.ClientConn, encoded string) result {
	request, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Cannot decode a raw line:", err)
		os.Exit(1)
	}
	var response []byte
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = conn.Invoke(ctx, "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit",
		&request, &response, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		s := status.Convert(err)
		return result{Code: s.Code().String(), Message: s.Message()}
	}
	return result{Code: "OK", Message: base64.StdEncoding.EncodeToString(response)}
}
