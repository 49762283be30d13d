package local

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// newFastServer serves door's listener.
func (door *frontDoor) newFastServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:                      door.serve,
		Name:                         "gennaker-front-door",
		StreamRequestBody:            true, // bodies are streamed to the instance as they arrive
		ReadTimeout:                  clientReadTimeout,
		IdleTimeout:                  2 * time.Minute,
		NoDefaultServerHeader:        true,
		NoDefaultDate:                true,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		Logger:                       fastLogger{door},
	}
}

// clientReadTimeout bounds how long a client may take to send a request's
// head (slowloris); bodies are streamed and bounded by the instance.
const clientReadTimeout = 30 * time.Second

type fastLogger struct{ door *frontDoor }

func (l fastLogger) Printf(format string, args ...any) {
	l.door.log.Warn(fmt.Sprintf(format, args...))
}

// serve routes one request: pick a server group, then one of its healthy
// instances, proxy, and count the outcome. No locks.
func (door *frontDoor) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	t := door.table.Load()
	rt, remember := t.chooseFast(&ctx.Request)
	if rt == nil {
		ctx.Error(fmt.Sprintf("503 service unavailable: front door %s/%s has no route with traffic; deploy a version or set weights", door.app, door.env), http.StatusServiceUnavailable)
		return
	}
	b := rt.ep.next()
	if b == nil {
		ctx.Error(fmt.Sprintf("503 service unavailable: server group %s has no healthy instance; see `gennaker logs` for why", rt.name), http.StatusServiceUnavailable)
		rt.m.observe(http.StatusServiceUnavailable, time.Since(start))
		return
	}
	if isUpgrade(&ctx.Request.Header) {
		door.tunnel(ctx, b.host, rt.m, start)
		return
	}
	closeClient := ctx.Request.Header.ConnectionClose()
	setForwarded(ctx) // drops Connection: the instance connection stays open
	if closeClient {
		defer ctx.SetConnectionClose()
	}
	if err := door.ups.get(b.host).Do(&ctx.Request, &ctx.Response); err != nil {
		door.answerFailure(ctx, b.host, err, rt.m, start)
		return
	}
	if err := finishAnswer(&ctx.Response); err != nil {
		door.answerFailure(ctx, b.host, err, rt.m, start)
		return
	}
	rt.m.observe(ctx.Response.StatusCode(), time.Since(start))
	if remember {
		t.rememberFast(&ctx.Response, rt)
	}
}

// answerFailure answers a request the instance did not answer: 504 when it
// stayed silent too long, 502 otherwise.
func (door *frontDoor) answerFailure(ctx *fasthttp.RequestCtx, host string, err error, m *groupMetrics, start time.Time) {
	code, what := http.StatusBadGateway, "did not answer"
	var ne net.Error
	if errors.Is(err, fasthttp.ErrTimeout) || (errors.As(err, &ne) && ne.Timeout()) {
		code, what = http.StatusGatewayTimeout, fmt.Sprintf("sent nothing for %s", door.ups.readIdle)
	}
	door.log.Warn("instance "+what, "instance", host, "err", err)
	ctx.Response.Reset()
	ctx.Error(fmt.Sprintf("%d %s: front door %s/%s: instance %s %s: %v; see `gennaker logs %s --env %s` for why", code, http.StatusText(code), door.app, door.env, host, what, err, door.app, door.env), code)
	m.observe(code, time.Since(start))
}

// setForwarded removes the request's hop-by-hop headers and sets the
// front door's X-Forwarded-*: the client's address appended to
// X-Forwarded-For, the Host it asked for, the scheme.
func setForwarded(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	delHopHeaders(h.Peek("Connection"), h.Del)
	for _, k := range forwardedHeaders {
		h.Del(k)
	}
	var buf [128]byte
	xff := append(buf[:0], h.Peek("X-Forwarded-For")...)
	if len(xff) > 0 {
		xff = append(xff, ", "...)
	}
	if ta, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		xff = ta.AddrPort().Addr().Unmap().AppendTo(xff)
	} else {
		xff = append(xff, ctx.RemoteIP().String()...)
	}
	h.SetBytesV("X-Forwarded-For", xff)
	h.SetBytesV("X-Forwarded-Host", h.Host())
	if ctx.IsTLS() {
		h.Set("X-Forwarded-Proto", "https")
		ctx.Request.URI().SetScheme("http") // the instance is asked in plain HTTP
	} else {
		h.Set("X-Forwarded-Proto", "http")
	}
}

// delHopHeaders deletes the hop-by-hop headers and those the Connection
// header conn names.
func delHopHeaders(conn []byte, del func(string)) {
	if len(conn) > 0 {
		for tok := range bytes.SplitSeq(conn, []byte(",")) {
			if tok = bytes.TrimSpace(tok); len(tok) > 0 {
				del(string(tok))
			}
		}
	}
	for _, k := range hopHeaders {
		del(k)
	}
}

// smallBody is the largest answer body read whole before answering; longer
// or unknown-length ones are streamed to the client as they come.
const smallBody = 64 << 10

// finishAnswer makes the instance's answer, which the client read into
// resp, the client's: a short body of known length is read whole (which
// releases the instance's connection, or closes it when the instance said
// so), a longer or unknown-length one stays a stream that fasthttp relays
// as it comes, with its trailers (they are read into resp's head at the
// end of the body, and written after it); the head loses its hop-by-hop
// headers, and the instance's Connection: close applies to its connection,
// not the client's. An error means nothing was answered.
func finishAnswer(resp *fasthttp.Response) error {
	cl := resp.Header.ContentLength()
	if resp.IsBodyStream() && cl >= 0 && cl <= smallBody {
		if n := len(resp.Body()); n != cl { // Body reads the stream and closes it
			return fmt.Errorf("the answer's body has %d of its %d bytes", n, cl)
		}
	} else if cl < 0 {
		resp.ImmediateHeaderFlush = true // the head goes out before the first chunk
	}
	conn := append([]byte(nil), resp.Header.Peek("Connection")...)
	resp.Header.ResetConnectionClose()
	delHopHeaders(conn, resp.Header.Del)
	return nil
}

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
