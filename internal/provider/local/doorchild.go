package local

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// The front doors run in their own process, one per environment, started
// by the server (`gennaker frontdoor`, hidden) in a process group of its own, so
// that neither a crash nor a restart nor an upgrade of the server takes the
// environments' traffic down with it. The process owns the listening
// sockets and keeps serving the last routes it was given while no server
// talks to it; the server drives it over a unix socket (doorproto.go) and
// adopts it again when it restarts (doors.go).

// Environment variables of a front-door process.
const (
	// doorChildVar marks a process started as a front door, so that a
	// test binary standing in for gennaker knows to serve (MaybeServeFrontDoor).
	doorChildVar = "GENNAKER_FRONTDOOR_CHILD"
	// doorTokenVar carries the token a server must present (hello).
	doorTokenVar = "GENNAKER_FRONTDOOR_TOKEN"
	// doorInheritVar maps applications to the file descriptors of the
	// listening sockets a predecessor handed over (JSON: {"app": 3}).
	doorInheritVar = "GENNAKER_FRONTDOOR_INHERIT"
)

// doorDrainGrace is how long a stopping front-door process lets requests
// in flight finish.
const doorDrainGrace = 5 * time.Second

// FrontDoorMain runs a front-door process with the arguments after
// `gennaker frontdoor` and returns its exit code. It serves until it is
// told to stop (over its control socket, or SIGTERM); it ignores its
// parent's death and SIGHUP.
func FrontDoorMain(args []string) int {
	fs := flag.NewFlagSet("frontdoor", flag.ContinueOnError)
	socket := fs.String("socket", "", "control socket to listen on")
	env := fs.String("environment", "", "environment whose front doors this process serves")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "frontdoor", "environment", *env)
	token := os.Getenv(doorTokenVar)
	if *socket == "" || *env == "" || token == "" {
		log.Error("gennaker frontdoor is started by the server: it needs --socket, --environment and the token in " + doorTokenVar)
		return 2
	}
	_ = os.Unsetenv(doorTokenVar)
	inherited, err := inheritedListeners(os.Getenv(doorInheritVar))
	if err != nil {
		log.Error("cannot use the listening sockets handed over", "err", err)
		return 2
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	set := newDoorSet(*env, log)
	set.inherited = inherited
	if err := serveDoorSet(ctx, doorChildConfig{Socket: *socket, Environment: *env, Token: token, Logger: log}, set); err != nil {
		log.Error("front door process stopped", "err", err)
		return 1
	}
	return 0
}

// inheritedListeners opens the listening sockets named in spec (doorInheritVar).
func inheritedListeners(spec string) (map[string]net.Listener, error) {
	out := map[string]net.Listener{}
	if spec == "" {
		return out, nil
	}
	var fds map[string]int
	if err := json.Unmarshal([]byte(spec), &fds); err != nil {
		return nil, fmt.Errorf("%s: %w", doorInheritVar, err)
	}
	for app, fd := range fds {
		f := os.NewFile(uintptr(fd), "listener-"+app)
		ln, err := net.FileListener(f)
		f.Close() // FileListener made its own duplicate
		if err != nil {
			return nil, fmt.Errorf("listener of %s (fd %d): %w", app, fd, err)
		}
		out[app] = ln
	}
	return out, nil
}

// MaybeServeFrontDoor turns this process into a front-door process and
// exits when it was started as one. Test binaries that run a Provider call
// it first in TestMain: the provider starts front doors with its own
// executable, which is the test binary there.
func MaybeServeFrontDoor() {
	if os.Getenv(doorChildVar) != "1" || len(os.Args) < 2 || os.Args[1] != "frontdoor" {
		return
	}
	os.Exit(FrontDoorMain(os.Args[2:]))
}

type doorChildConfig struct {
	Socket, Environment, Token string
	Logger                     *slog.Logger
}

// serveDoors serves the control socket until ctx ends or a server asks it to stop.
func serveDoors(ctx context.Context, cfg doorChildConfig) error {
	return serveDoorSet(ctx, cfg, newDoorSet(cfg.Environment, cfg.Logger))
}

func serveDoorSet(ctx context.Context, cfg doorChildConfig, set *doorSet) error {
	_ = os.Remove(cfg.Socket) // a socket file left by a process that died
	old := syscall.Umask(0o077)
	ln, err := net.Listen("unix", cfg.Socket)
	syscall.Umask(old)
	if err != nil {
		return fmt.Errorf("listen on the control socket: %w", err)
	}
	if err := os.Chmod(cfg.Socket, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("restrict the control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // a successor may own the path by then
	cfg.Logger.Info("front door process ready", "pid", os.Getpid(), "socket", cfg.Socket, "protocol", doorProtocol)
	stop := make(chan struct{}, 1)
	c := &doorControl{cfg: cfg, set: set, stop: stop}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	select {
	case <-ctx.Done():
	case <-stop:
	}
	ln.Close()
	set.close(doorDrainGrace)
	cfg.Logger.Info("front door process stopped")
	return nil
}

// doorControl answers one server's requests on one connection.
type doorControl struct {
	cfg  doorChildConfig
	set  *doorSet
	stop chan<- struct{}
}

// serve answers requests until the connection ends. A dropped connection
// ends nothing else: the front doors keep serving.
func (c *doorControl) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 64<<10)
	bw := bufio.NewWriterSize(conn, 64<<10)
	trusted := false
	for {
		var req doorRequest
		if err := readDoorMessage(br, &req); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.cfg.Logger.Warn("control connection dropped", "err", err)
			}
			return
		}
		if req.Op == opHandover && trusted {
			if err := c.handover(conn.(*net.UnixConn), bw); err != nil {
				c.cfg.Logger.Error("handover failed", "err", err)
				return
			}
			continue
		}
		reply, stopAfter := c.answer(&req, &trusted)
		reply.Protocol = doorProtocol
		if err := writeDoorMessage(bw, reply); err != nil || bw.Flush() != nil {
			return
		}
		if stopAfter {
			select {
			case c.stop <- struct{}{}:
			default:
			}
			return
		}
		if !trusted {
			return
		}
	}
}

func (c *doorControl) answer(req *doorRequest, trusted *bool) (doorReply, bool) {
	if req.Op == opHello {
		if subtle.ConstantTimeCompare([]byte(req.Token), []byte(c.cfg.Token)) != 1 {
			return doorReply{Error: "wrong token"}, false
		}
		*trusted = true
		return doorReply{PID: os.Getpid(), Environment: c.cfg.Environment, Started: c.set.started, Doors: c.set.bound()}, false
	}
	if !*trusted {
		return doorReply{Error: "say hello with the token first"}, false
	}
	if req.Protocol != doorProtocol && !stableOp(req.Op) {
		return doorReply{Error: fmt.Sprintf("this front door process speaks protocol %d, the request %d: the server replaces the process", doorProtocol, req.Protocol)}, false
	}
	switch req.Op {
	case opRoutes:
		c.set.setEndpoints(req.Endpoints)
		bound, err := c.set.setRoutes(req.Application, req.Address, req.Routes, req.Sticky, req.TLS)
		if err != nil {
			return doorReply{Error: err.Error()}, false
		}
		c.cfg.Logger.Info("routes set", "application", req.Application, "addr", bound, "routes", req.Routes)
		return doorReply{Doors: map[string]string{req.Application: bound}}, false
	case opEndpoints:
		c.set.setEndpoints(req.Endpoints)
		return doorReply{}, false
	case opSnapshot:
		return doorReply{Counters: c.set.snapshot(req.Application)}, false
	case opSeconds:
		return doorReply{Seconds: c.set.seconds(req.Application, req.ServerGroup, req.From, req.To)}, false
	case opForget:
		c.set.forget(req.Application)
		c.cfg.Logger.Info("front door closed", "application", req.Application)
		return doorReply{}, false
	case opStop:
		c.cfg.Logger.Info("asked to stop")
		return doorReply{}, true
	}
	return doorReply{Error: fmt.Sprintf("unknown operation %q", req.Op)}, false
}

// handover sends the reply to opHandover with the listening sockets
// attached, in one message: the server reads it with ReadMsgUnix.
func (c *doorControl) handover(conn *net.UnixConn, bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return err
	}
	reply, files, err := c.set.handover()
	if err != nil {
		reply = doorReply{Error: err.Error()}
	}
	defer func() {
		for _, fd := range files {
			_ = syscall.Close(fd)
		}
	}()
	reply.Protocol = doorProtocol
	b, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	var rights []byte
	if len(files) > 0 {
		rights = syscall.UnixRights(files...)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(doorCallTimeout))
	if _, _, err := conn.WriteMsgUnix(append(b, '\n'), rights, nil); err != nil {
		return err
	}
	_ = conn.SetWriteDeadline(time.Time{})
	c.cfg.Logger.Info("listening sockets handed over to a successor", "applications", reply.Listeners)
	return nil
}
