package main

import (
	"cmp"
	"fmt"
	"os"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
)

// target is the server a command talks to and the credential it uses.
type target struct {
	server, token, ca, context string
}

// resolve picks the server and the token: --server (or GENNAKER_SERVER),
// else the --context (or GENNAKER_CONTEXT, or current) context's server,
// else cliconfig.DefaultServer; --token (or GENNAKER_TOKEN), else the token
// of the context for that server (see cliconfig.File.Pick).
func (g *globals) resolve() (target, error) {
	server := cmp.Or(g.server, os.Getenv("GENNAKER_SERVER"))
	t := target{token: cmp.Or(g.token, os.Getenv("GENNAKER_TOKEN")), ca: os.Getenv("GENNAKER_CA_CERT")}
	path, err := cliconfig.Path()
	if err != nil {
		t.server = cmp.Or(server, cliconfig.DefaultServer)
		return t, nil
	}
	f, err := cliconfig.Load(path)
	if err != nil {
		return t, err
	}
	ctx, server, err := f.Pick(cmp.Or(g.context, os.Getenv("GENNAKER_CONTEXT")), server)
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	t.server = server
	if ctx != nil {
		t.context = ctx.Name
		t.token = cmp.Or(t.token, ctx.Token)
		t.ca = cmp.Or(t.ca, ctx.CA)
	}
	return t, nil
}

func (g *globals) client() *client.Client {
	t, err := g.resolve()
	c := client.New(t.server, t.token)
	if err != nil {
		c.Err = err
		return c
	}
	if t.ca != "" {
		if err := c.WithCA(t.ca); err != nil {
			c.Err = err
		}
	}
	return c
}
