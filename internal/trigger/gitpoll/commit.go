package gitpoll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// maxCommitSize bounds one commit object (its message above all).
const maxCommitSize = 1 << 20

// maxObjectsBeforeCommit bounds how many objects of the pack are skipped
// looking for the commit (git sends the commit first).
const maxObjectsBeforeCommit = 64

// errTooLarge is a pack that gave up its commit only past the limit.
var errTooLarge = errors.New("too large")

// fetchCommit asks the server for commit want alone, shallow (depth 1) and,
// where the server allows partial clone, without its trees and files
// (filter tree:0), and reads the commit object from the start of the pack
// stream, never storing the pack.
func fetchCommit(ctx context.Context, sess transport.UploadPackSession, adv *packp.AdvRefs, want plumbing.Hash) (*object.Commit, error) {
	req := packp.NewUploadPackRequestFromCapabilities(adv.Capabilities)
	req.Wants = []plumbing.Hash{want}
	if adv.Capabilities.Supports(capability.Shallow) {
		req.Depth = packp.DepthCommits(1)
		_ = req.Capabilities.Set(capability.Shallow)
	}
	if adv.Capabilities.Supports(capability.Filter) {
		req.Filter = packp.FilterTreeDepth(0)
		_ = req.Capabilities.Set(capability.Filter)
	}
	if adv.Capabilities.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Close()
	var pack io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		pack = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		pack = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	return readCommit(pack, want)
}

// readCommit scans a pack stream for the commit want.
func readCommit(pack io.Reader, want plumbing.Hash) (*object.Commit, error) {
	sc := packfile.NewScanner(pack)
	_, count, err := sc.Header()
	if err != nil {
		return nil, fmt.Errorf("reading the pack: %w", err)
	}
	for i := uint32(0); i < count && i < maxObjectsBeforeCommit; i++ {
		oh, err := sc.NextObjectHeader()
		if err != nil {
			return nil, fmt.Errorf("reading the pack: %w", err)
		}
		if oh.Type != plumbing.CommitObject {
			if _, _, err := sc.NextObject(io.Discard); err != nil {
				return nil, fmt.Errorf("reading the pack: %w", err)
			}
			continue
		}
		if oh.Length > maxCommitSize {
			return nil, fmt.Errorf("commit of %d bytes: %w", oh.Length, errTooLarge)
		}
		var buf bytes.Buffer
		if _, _, err := sc.NextObject(&buf); err != nil {
			return nil, fmt.Errorf("reading the pack: %w", err)
		}
		obj := &plumbing.MemoryObject{}
		obj.SetType(plumbing.CommitObject)
		if _, err := obj.Write(buf.Bytes()); err != nil {
			return nil, err
		}
		if obj.Hash() != want {
			continue
		}
		c := &object.Commit{}
		if err := c.Decode(obj); err != nil {
			return nil, fmt.Errorf("decoding commit %s: %w", want, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("commit %s is not among the first %d objects of the pack: %w", want, maxObjectsBeforeCommit, errTooLarge)
}
