package local

import "github.com/valyala/fasthttp"

// Sticky sessions: a front door with FrontDoor.Sticky keeps each client on
// the server group it was first sent to, for clients that keep state in an
// instance (a session in memory, a cart). The weights then split new
// clients, not requests.

// stickyCookieName is the cookie of app's front door in env. Browsers send
// cookies to every port of a host, so the name tells front doors apart.
func stickyCookieName(app, env string) string { return "gennaker-route." + env + "." + app }

// choose decides the route of one request from its X-Gennaker-Route header
// and, on a sticky door, its sticky cookie ("" when absent):
//
//   - a header naming "canary" or a routed group wins, and sets no cookie;
//   - a cookie naming a group routed with weight > 0 keeps the client there
//     and takes no weighted pick;
//   - otherwise the next weighted pick, and on a sticky door remember is
//     true: the answer sets the cookie to the group picked (replacing a
//     cookie naming a group that is gone or at weight 0).
//
// rt is nil when no route has traffic.
func (t *routeTable) choose(header, cookie string) (rt *route, remember bool) {
	if rt := t.byHeader(header); rt != nil {
		return rt, false
	}
	if t.cookie == "" {
		return t.weighted(), false
	}
	if cookie != "" {
		if rt := t.named(cookie); rt != nil && rt.weight > 0 {
			return rt, false
		}
	}
	rt = t.weighted()
	return rt, rt != nil
}

// chooseFast is choose for a request fasthttp has read.
func (t *routeTable) chooseFast(req *fasthttp.Request) (*route, bool) {
	var cookie string
	if t.cookie != "" {
		cookie = b2s(req.Header.Cookie(t.cookie))
	}
	return t.choose(b2s(req.Header.Peek(RouteHeader)), cookie)
}

// rememberFast adds the sticky cookie for rt to an answer fasthttp will send.
func (t *routeTable) rememberFast(resp *fasthttp.Response, rt *route) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(t.cookie)
	c.SetValue(rt.name)
	c.SetPath("/")
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteLaxMode)
	resp.Header.SetCookie(c)
}
