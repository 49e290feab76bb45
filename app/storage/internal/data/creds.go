package data

import (
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// insecureCreds: services talk plain gRPC inside the cluster network; TLS
// is terminated at the gateway (mTLS between services is a deployment choice).
func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }
