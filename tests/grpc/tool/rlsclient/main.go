// Command rlsclient is the Go test client of apigw's gRPC rate limit service: it reads one
// RateLimitRequest a line (protojson) from stdin, sends each with go-control-plane's generated
// client to the address given as its only argument, in order, and prints one JSON line a
// request: {"response": <RateLimitResponse as protojson>} or {"code": "<gRPC code>", "message": …}.
package main

import (
	"bufio"
	"context"
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
