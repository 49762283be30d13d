package local

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawIO does a TCP connection's reads and writes with raw system calls on
// its non-blocking socket, through the runtime's poller (syscall.RawConn):
// a read that finds nothing waits for the poller as net.Conn's does. What
// it saves is the scheduler's bookkeeping around each call: the runtime
// treats a network read or write as a system call that may block, and its
// monitor hands the processor to another thread when one lasts past a
// tick. On a front door pinned to one core that hand-off is a thread
// wake-up and a context switch for nothing: a non-blocking socket call
// never blocks.
type rawIO struct {
	net.Conn
	rc syscall.RawConn
}

// withRawIO wraps c when it is a socket; anything else is returned as is.
func withRawIO(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawIO{Conn: c, rc: rc}
}

func (c *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for the poller
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil: // closed, or past the deadline
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawIO) Write(p []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			// sendto with MSG_NOSIGNAL: a peer that closed gives EPIPE, not SIGPIPE.
			r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n), syscall.MSG_NOSIGNAL, 0, 0)
			switch e {
			case 0:
				n += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the socket's buffer is full: wait for the poller
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return n, c.opError("write", err)
	case errno != 0:
		return n, c.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// opError wraps err as net.Conn's methods do, so callers that look for
// net.ErrClosed, a timeout or ECONNRESET find them.
func (c *rawIO) opError(op string, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
