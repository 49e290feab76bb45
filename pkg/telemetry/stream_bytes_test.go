package telemetry

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"

	storagev1 "clouddrive/api/storage/v1"
)

// fakeStream hands out one upload chunk and takes what is sent.
type fakeStream struct{ grpc.ServerStream }

func (fakeStream) Context() context.Context { return context.Background() }
func (fakeStream) RecvMsg(m any) error {
	m.(*storagev1.ChunkData).Data = make([]byte, 1000)
	return nil
}
func (fakeStream) SendMsg(any) error { return nil }

func TestStreamBytesCountsDataBothWays(t *testing.T) {
	const svc = "stream-bytes-test"
	up0, down0 := value(UploadBytes.WithLabelValues(svc)), value(DownloadBytes.WithLabelValues(svc))
	err := StreamBytes(svc)(nil, fakeStream{}, &grpc.StreamServerInfo{}, func(_ any, ss grpc.ServerStream) error {
		if err := ss.RecvMsg(&storagev1.ChunkData{}); err != nil {
			return err
		}
		if err := ss.SendMsg(&storagev1.DownloadData{Data: make([]byte, 300)}); err != nil {
			return err
		}
		return ss.SendMsg(&storagev1.UploadSession{}) // no data: counts nothing
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := value(UploadBytes.WithLabelValues(svc)) - up0; got != 1000 {
		t.Fatalf("upload bytes +%v, want +1000", got)
	}
	if got := value(DownloadBytes.WithLabelValues(svc)) - down0; got != 300 {
		t.Fatalf("download bytes +%v, want +300", got)
	}
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}
