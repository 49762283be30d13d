package main

import (
	"fmt"
	"os"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
)

const defaultServer = "http://127.0.0.1:7070"

// target is the server a command talks to and the credential it uses.
type target struct {
	server, token, ca, context string
}

// resolve picks the server and the token: --server (or GENNAKER_SERVER),
// else the --context (or GENNAKER_CONTEXT, or current) context's server,
// else 127.0.0.1:7070; --token (or GENNAKER_TOKEN), else the token of the
// context for that server.
func (g *globals) resolve() (target, error) {
	t := target{server: g.server, token: g.token}
	if t.server == "" {
		t.server = os.Getenv("GENNAKER_SERVER")
	}
	if t.token == "" {
		t.token = os.Getenv("GENNAKER_TOKEN")
	}
	t.ca = os.Getenv("GENNAKER_CA_CERT")
	path, err := cliconfig.Path()
	if err != nil {
		if t.server == "" {
			t.server = defaultServer
		}
		return t, nil
	}
	f, err := cliconfig.Load(path)
	if err != nil {
		return t, err
	}
	name := g.context
	if name == "" {
		name = os.Getenv("GENNAKER_CONTEXT")
	}
	var ctx *cliconfig.Context
	if name != "" {
		c, ok := f.Find(name)
		if !ok {
			return t, fmt.Errorf("no context named %q in %s: list them with `gennaker context`", name, path)
		}
		ctx = c
	}
	if t.server == "" {
		if ctx == nil {
			ctx, _ = f.Current()
		}
		if ctx != nil {
			t.server = ctx.Server
		} else {
			t.server = defaultServer
		}
	}
	if ctx == nil || cliconfig.Normalize(ctx.Server) != cliconfig.Normalize(t.server) {
		ctx, _ = f.ForServer(t.server)
	}
	if ctx != nil {
		t.context = ctx.Name
		if t.token == "" {
			t.token = ctx.Token
		}
		if t.ca == "" {
			t.ca = ctx.CA
		}
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
