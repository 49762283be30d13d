package local

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// rawPair is a loopback TCP connection: a rawIO client and the plain
// server side.
func rawPair(t *testing.T) (client net.Conn, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	client = withRawIO(c)
	if _, ok := client.(*rawIO); !ok {
		t.Fatalf("a TCP connection was not wrapped (%T)", client)
	}
	t.Cleanup(func() { client.Close(); s.Close() })
	return client, s
}

func TestRawIOReadsWritesAndEnds(t *testing.T) {
	t.Parallel()
	c, s := rawPair(t)
	// Larger than the sockets' buffers: the write waits for the poller
	// while the peer drains it.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(s)
		got <- b
	}()
	if n, err := c.Write(big); err != nil || n != len(big) {
		t.Fatalf("write: %d, %v", n, err)
	}
	c.(*rawIO).Conn.(*net.TCPConn).CloseWrite()
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("the peer read %d bytes, want the %d written", len(b), len(big))
	}
	// A read waits for data, then sees the peer's end as io.EOF.
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.Write([]byte("hello"))
		s.Close()
	}()
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v; want hello and a clean end", b, err)
	}
}

func TestRawIOErrorsLookLikeNetConns(t *testing.T) {
	t.Parallel()
	c, s := rawPair(t)
	// Past the deadline: a timeout.
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	// The peer reset the connection: writes fail with ECONNRESET or EPIPE.
	s.(*net.TCPConn).SetLinger(0)
	s.Close()
	time.Sleep(20 * time.Millisecond)
	var werr error
	for range 10 {
		if _, werr = c.Write([]byte("x")); werr != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) {
		t.Fatalf("write to a reset connection: %v, want ECONNRESET or EPIPE", werr)
	}
	// Closed: net.ErrClosed.
	c.Close()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v, want net.ErrClosed", err)
	}
}
