package telemetry

import "google.golang.org/grpc"

// StreamBytes counts the bytes of gRPC byte streams as CountBytes counts
// the HTTP byte routes: the data of each message received (an upload
// chunk) as upload bytes, of each message sent (a piece of a download) as
// download bytes. Messages without data (control, replies) count nothing.
func StreamBytes(service string) grpc.StreamServerInterceptor {
	up, down := UploadBytes.WithLabelValues(service), DownloadBytes.WithLabelValues(service)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &countingStream{ServerStream: ss, up: up.Add, down: down.Add})
	}
}

type withData interface{ GetData() []byte }

type countingStream struct {
	grpc.ServerStream
	up, down func(float64)
}

func (s *countingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if d, ok := m.(withData); ok && err == nil {
		s.up(float64(len(d.GetData())))
	}
	return err
}

func (s *countingStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if d, ok := m.(withData); ok && err == nil {
		s.down(float64(len(d.GetData())))
	}
	return err
}
