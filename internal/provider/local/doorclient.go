package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// doorCallTimeout bounds one request to a front-door process when the
// caller's context does not.
const doorCallTimeout = 5 * time.Second

// doorProcess is the server's handle on one environment's front-door
// process: its identity and one control connection, used by one request
// at a time.
type doorProcess struct {
	env    string
	socket string
	token  string
	proc   *process // started by this server, or adopted

	mu       sync.Mutex // one request at a time; guards the fields below
	conn     net.Conn
	br       *bufio.Reader
	started  time.Time         // when the process started, as it says
	bound    map[string]string // address listened on by application
	stopping bool              // Shutdown is stopping it: do not start another
}

func (d *doorProcess) record() doorRecord {
	return doorRecord{Environment: d.env, PID: d.proc.pid, StartTime: d.proc.startTime, Token: d.token, Socket: d.socket, Protocol: doorProtocol}
}

// errDoorProtocol is returned by connect when the process speaks another
// protocol version (it was started by another build of gennaker).
var errDoorProtocol = errors.New("front door process speaks another protocol version")

// connectLocked dials the control socket and checks, with the token, that
// the process answering is the one recorded (same pid, same environment).
// Callers hold d.mu.
func (d *doorProcess) connectLocked(ctx context.Context) error {
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "unix", d.socket)
	if err != nil {
		return fmt.Errorf("front door process of %s: dial %s: %w", d.env, d.socket, err)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	reply, err := exchange(ctx, conn, br, doorRequest{Protocol: doorProtocol, Op: opHello, Token: d.token})
	if err != nil {
		conn.Close()
		return fmt.Errorf("front door process of %s: hello: %w", d.env, err)
	}
	if reply.PID != d.proc.pid || reply.Environment != d.env {
		conn.Close()
		return fmt.Errorf("front door socket %s is answered by pid %d for environment %q, not pid %d for %q: another process took it", d.socket, reply.PID, reply.Environment, d.proc.pid, d.env)
	}
	d.conn, d.br, d.started = conn, br, reply.Started
	if reply.Protocol != doorProtocol {
		// Connected and trusted, for the requests every version answers
		// (handover, stop); call refuses the others.
		return fmt.Errorf("%w: %d, this server %d", errDoorProtocol, reply.Protocol, doorProtocol)
	}
	d.bound = reply.Doors
	if d.bound == nil {
		d.bound = map[string]string{}
	}
	return nil
}

// exchange writes one request and reads its reply; a reply's error is returned as an error.
func exchange(ctx context.Context, conn net.Conn, br *bufio.Reader, req doorRequest) (doorReply, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(doorCallTimeout)
	}
	_ = conn.SetDeadline(deadline)
	if err := writeDoorMessage(conn, req); err != nil {
		return doorReply{}, err
	}
	var reply doorReply
	if err := readDoorMessage(br, &reply); err != nil {
		return doorReply{}, err
	}
	if reply.Error != "" {
		return reply, &doorError{msg: reply.Error}
	}
	return reply, nil
}

// doorError is a request the front-door process received and refused.
type doorError struct{ msg string }

func (e *doorError) Error() string { return e.msg }

// call sends the request build makes (built while no other request is in
// flight, so it reads the latest state) and returns the reply: the
// acknowledgement that the request took effect. A broken connection is
// dialled again once.
func (d *doorProcess) call(ctx context.Context, build func() doorRequest) (doorReply, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if d.conn == nil {
			if err := d.connectLocked(ctx); err != nil {
				return doorReply{}, err
			}
		}
		req := build()
		req.Protocol = doorProtocol
		reply, err := exchange(ctx, d.conn, d.br, req)
		var refused *doorError
		if err == nil || errors.As(err, &refused) {
			if err == nil && reply.Doors != nil {
				for app, addr := range reply.Doors {
					d.bound[app] = addr
				}
			}
			return reply, err
		}
		d.conn.Close()
		d.conn = nil
		if attempt > 0 || ctx.Err() != nil {
			return doorReply{}, fmt.Errorf("front door process of %s (pid %d): %w", d.env, d.proc.pid, err)
		}
	}
}

// addressOf is where app's front door listens ("" when it has none).
func (d *doorProcess) addressOf(app string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bound[app]
}

// apps lists the applications with a front door in this process.
func (d *doorProcess) apps() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.bound))
	for app := range d.bound {
		out = append(out, app)
	}
	return out
}

// disconnect closes the control connection; the process keeps serving.
func (d *doorProcess) disconnect() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
	}
}

// handover asks the process for its listening sockets, routes and healthy
// instances (opHandover), to start a successor with. It keeps serving.
func (d *doorProcess) handover(ctx context.Context) (doorReply, []*os.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	uc, ok := d.conn.(*net.UnixConn)
	if !ok {
		return doorReply{}, nil, fmt.Errorf("front door process of %s: not connected", d.env)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(doorCallTimeout)
	}
	_ = uc.SetDeadline(deadline)
	if err := writeDoorMessage(uc, doorRequest{Protocol: doorProtocol, Op: opHandover}); err != nil {
		return doorReply{}, nil, err
	}
	buf, oob := make([]byte, 64<<10), make([]byte, syscall.CmsgSpace(64*4))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return doorReply{}, nil, err
	}
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return doorReply{}, nil, err
	}
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			closeAll()
			return doorReply{}, nil, err
		}
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "front door listener"))
		}
	}
	line := buf[:n]
	for !bytes.HasSuffix(line, []byte{'\n'}) {
		if len(line) >= maxDoorMessage {
			closeAll()
			return doorReply{}, nil, errDoorMessageTooLarge
		}
		more := make([]byte, 64<<10)
		m, err := uc.Read(more)
		if err != nil {
			closeAll()
			return doorReply{}, nil, err
		}
		line = append(line, more[:m]...)
	}
	var reply doorReply
	if err := json.Unmarshal(line, &reply); err != nil {
		closeAll()
		return doorReply{}, nil, err
	}
	if reply.Error != "" || len(files) != len(reply.Listeners) {
		closeAll()
		return doorReply{}, nil, fmt.Errorf("front door process of %s refused the handover (%d sockets for %d listeners): %s", d.env, len(files), len(reply.Listeners), reply.Error)
	}
	return reply, files, nil
}

// stopNow asks the process to stop (opStop, which every version answers).
func (d *doorProcess) stopNow(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		if err := d.connectLocked(ctx); err != nil && !errors.Is(err, errDoorProtocol) {
			return err
		}
	}
	_, err := exchange(ctx, d.conn, d.br, doorRequest{Protocol: doorProtocol, Op: opStop})
	d.conn.Close()
	d.conn = nil
	return err
}
