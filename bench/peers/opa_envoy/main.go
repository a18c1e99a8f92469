// Command opa_envoy is the stand-in for OPA-Envoy (github.com/open-policy-agent/opa-envoy-plugin)
// in bench/grpc_authz.ts, benchmark-only, written here because the Go module proxy does not
// serve the plugin. It does per Check what the plugin's gRPC server does: the CheckRequest as
// protojson, decoded into the input document with `version`, `parsed_path`, `parsed_query`,
// `parsed_body` and `truncated_body` added, evaluated through OPA's Go SDK with a query prepared
// once (`data.envoy.authz.allow`), in a read transaction on an in-memory store holding the data
// file, with the inter-query builtin caches at OPA's default configuration (so `io.jwt.*` reuses
// parsed keys; its verified-token cache is off by default, as in `opa run`). `true` allows
// (status OK), anything else denies (PERMISSION_DENIED, HTTP 403).
//
//	opa_envoy -addr 127.0.0.1:9191 -data data.json policy.rego envoy.rego
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/url"
	"os"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown/cache"
	"github.com/open-policy-agent/opa/v1/util"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

type server struct {
	authv3.UnimplementedAuthorizationServer
	store      storage.Store
	query      rego.PreparedEvalQuery
	cache      cache.InterQueryCache
	valueCache cache.InterQueryValueCache
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9191", "gRPC listen address (h2c)")
	dataFile := flag.String("data", "", "JSON data document (optional)")
	query := flag.String("query", "data.envoy.authz.allow", "decision query")
	flag.Parse()

	data := map[string]any{}
	if *dataFile != "" {
		raw, err := os.ReadFile(*dataFile)
		if err != nil {
			log.Fatal(err)
		}
		if err := util.UnmarshalJSON(raw, &data); err != nil {
			log.Fatal(err)
		}
	}
	store := inmem.NewFromObject(data)
	options := []func(*rego.Rego){rego.Query(*query), rego.Store(store)}
	for _, file := range flag.Args() {
		source, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		options = append(options, rego.Module(file, string(source)))
	}
	prepared, err := rego.New(options...).PrepareForEval(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	config, err := cache.ParseCachingConfig(nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	grpcServer := grpc.NewServer()
	authv3.RegisterAuthorizationServer(grpcServer, &server{
		store:      store,
		query:      prepared,
		cache:      cache.NewInterQueryCacheWithContext(ctx, config),
		valueCache: cache.NewInterQueryValueCache(ctx, config),
	})
	log.Printf("serving ext_authz on %s", listener.Addr())
	log.Fatal(grpcServer.Serve(listener))
}

// Check evaluates the query for one request.
func (s *server) Check(ctx context.Context, request *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	input, err := toInput(request)
	if err != nil {
		return nil, err
	}
	txn, err := s.store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer s.store.Abort(ctx, txn)
	results, err := s.query.Eval(ctx,
		rego.EvalParsedInput(input),
		rego.EvalTransaction(txn),
		rego.EvalInterQueryBuiltinCache(s.cache),
		rego.EvalInterQueryBuiltinValueCache(s.valueCache),
	)
	if err != nil {
		return nil, err
	}
	if len(results) == 1 && results[0].Expressions[0].Value == true {
		return &authv3.CheckResponse{
			Status:       &status.Status{Code: int32(code.Code_OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{}},
		}, nil
	}
	return &authv3.CheckResponse{
		Status: &status.Status{Code: int32(code.Code_PERMISSION_DENIED)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode_Forbidden},
		}},
	}, nil
}

// toInput builds the input document OPA-Envoy gives policies for a v3 CheckRequest.
func toInput(request *authv3.CheckRequest) (ast.Value, error) {
	encoded, err := protojson.Marshal(request)
	if err != nil {
		return nil, err
	}
	var input map[string]any
	if err := util.UnmarshalJSON(encoded, &input); err != nil {
		return nil, err
	}
	input["version"] = map[string]any{"ext_authz": "v3", "encoding": "protojson"}
	parsed, err := url.Parse(request.GetAttributes().GetRequest().GetHttp().GetPath())
	if err != nil {
		return nil, err
	}
	segments := strings.Split(strings.TrimLeft(parsed.Path, "/"), "/")
	parsedPath := make([]any, len(segments))
	for i, segment := range segments {
		parsedPath[i] = segment
	}
	parsedQuery := map[string]any{}
	for name, values := range parsed.Query() {
		list := make([]any, len(values))
		for i, value := range values {
			list[i] = value
		}
		parsedQuery[name] = list
	}
	input["parsed_path"] = parsedPath
	input["parsed_query"] = parsedQuery
	// The benchmark's checks carry no body (OPA-Envoy parses JSON and gRPC bodies only).
	input["parsed_body"] = nil
	input["truncated_body"] = false
	return ast.InterfaceToValue(input)
}
