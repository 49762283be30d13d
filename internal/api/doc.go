// Package api is gennaker's REST interface: JSON over HTTP under /api/v1,
// an OpenAPI 3 document at /api/v1/openapi.json, server-sent events for live
// execution views, and Prometheus metrics at /metrics. The CLI and the web UI
// use only this API.
package api
