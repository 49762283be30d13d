package local

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// isUpgrade tells whether a request asks to switch protocols (WebSocket).
func isUpgrade(h *fasthttp.RequestHeader) bool {
	return len(h.Peek("Upgrade")) > 0 && bytes.Contains(bytes.ToLower(h.Peek("Connection")), []byte("upgrade"))
}

// tunnel proxies a protocol upgrade: the request goes to the instance on a
// connection of its own, with the front door's X-Forwarded-* headers, and
// from then on bytes flow both ways, untouched, until either side closes.
// The instance's answer, 101 or not, goes to the client as it is; the
// request is counted with its status code when the tunnel ends.
func (door *frontDoor) tunnel(ctx *fasthttp.RequestCtx, host string, m *groupMetrics, start time.Time) {
	h := &ctx.Request.Header
	conn, upgrade := append([]byte(nil), h.Peek("Connection")...), append([]byte(nil), h.Peek("Upgrade")...)
	setForwarded(ctx)
	h.SetBytesV("Connection", conn)
	h.SetBytesV("Upgrade", upgrade)
	head := append([]byte(nil), h.Header()...)
	up, err := net.DialTimeout("tcp", host, dialTimeout)
	if err == nil {
		_ = up.SetWriteDeadline(time.Now().Add(door.ups.readIdle))
		_, err = up.Write(head)
		_ = up.SetWriteDeadline(time.Time{})
	}
	if err != nil {
		if up != nil {
			_ = up.Close()
		}
		door.answerFailure(ctx, host, err, m, start)
		return
	}
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(client net.Conn) {
		defer up.Close()
		br := bufio.NewReader(up)
		code := http.StatusBadGateway
		_ = up.SetReadDeadline(time.Now().Add(door.ups.readIdle))
		line, err := br.Peek(12)
		_ = up.SetReadDeadline(time.Time{})
		if err == nil && bytes.HasPrefix(line, []byte("HTTP/1.")) {
			if c, err := strconv.Atoi(string(line[9:12])); err == nil {
				code = c
			}
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(client, br)
			_ = client.Close() // ends the copy below
		}()
		_, _ = io.Copy(up, client)
		_ = up.Close() // ends the copy above
		wg.Wait()
		m.observe(code, time.Since(start))
	})
}
