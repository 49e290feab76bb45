// Package service turns the file API's messages into calls on the use
// cases. The owner is always the caller from the context; ids a client
// sends that are not its own come back as "not found".
package service

import (
	"github.com/google/wire"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/apimsg"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewFileService, NewFileAdminService, NewFileInternalService)

// The helpers every service layer shares (pkg/apimsg).
var (
	owner     = apimsg.Owner
	timestamp = apimsg.Timestamp
)

func toNode(n *biz.Node) *v1.Node {
	out := &v1.Node{}
	fillNode(out, n)
	return out
}

func fillNode(out *v1.Node, n *biz.Node) {
	out.Id, out.ParentId, out.Name, out.Kind = biz.FormatID(n.ID), biz.FormatID(n.ParentID), n.Name, n.Kind.String()
	out.Size, out.ContentHash, out.Mime, out.Version = n.Size, n.ContentHash, n.Mime, n.Version
	out.CreatedAt, out.UpdatedAt = timestamp(n.CreatedAt), timestamp(n.UpdatedAt)
	if n.TrashedAt != nil {
		out.TrashedAt = timestamp(*n.TrashedAt)
	}
}

// toNodes fills one array of messages: a page of 1,000 entries is one
// allocation, not a thousand.
func toNodes(ns []*biz.Node) []*v1.Node {
	out := make([]*v1.Node, len(ns))
	all := make([]v1.Node, len(ns))
	for i, n := range ns {
		fillNode(&all[i], n)
		out[i] = &all[i]
	}
	return out
}

func nodeID(s string) (int64, error) {
	id, ok := biz.ParseID(s)
	if !ok {
		return 0, v1.ErrorNodeNotFound("no such file or folder")
	}
	return id, nil
}

func nodeIDs(ss []string) ([]int64, error) {
	out := make([]int64, len(ss))
	for i, s := range ss {
		id, err := nodeID(s)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

func parentID(s string) (int64, error) {
	id, ok := biz.ParseParentID(s)
	if !ok {
		return 0, v1.ErrorParentNotFound("the destination folder does not exist")
	}
	return id, nil
}

func renameOnConflict(s string) bool { return s == "rename" }

// versionOnConflict: a file written onto an existing file's name makes a
// new version of it unless the caller said "fail" or "rename".
func versionOnConflict(s string) bool { return s == "" || s == "version" }
