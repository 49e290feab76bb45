package v1

// UploadMessageSize is the payload clients put in one UploadChunks message
// (the CLI, the end-to-end tests). The server holds about one message per
// stream being decoded plus its flow-control window of frames, and the
// collector's headroom doubles what is live: with 1 MiB messages four
// streams raised the server's peak RSS by 23 to 26 MiB, with 256 KiB ones
// by 10 to 12 (issue 10's bound is 16), at the same throughput. Written by
// hand: the generator (tools/scripts/gen-api.sh) replaces *.pb.go only.
const UploadMessageSize = 256 << 10
