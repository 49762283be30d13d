package local

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The control channel between the server and a front-door process (see
// doorchild.go) is a unix socket carrying JSON lines: one request, then its
// reply, in turn. Every message names the protocol version; a reply is the
// acknowledgement that the request took effect.
//
// doorProtocol changes whenever a message changes meaning. A server that
// finds a front-door process of another version (an upgrade) has it hand
// its listening sockets over to a process of its own (doors.go,
// upgradeDoor). hello, handover and stop, and the fields they use, never
// change, so any two versions can do that.
var doorProtocol = protocolOf(doorProtocolBuild)

// doorProtocolBuild overrides the protocol version at build time (-ldflags
// -X), so that the upgrade test can build a gennaker that speaks another.
var doorProtocolBuild string

func protocolOf(build string) int {
	if n, err := strconv.Atoi(build); err == nil && n > 0 {
		return n
	}
	return 2 // 2: opRoutes carries TLS
}

// maxDoorMessage bounds one line either way: a reply of 15 minutes of
// per-second samples of a few server groups fits with room to spare.
const maxDoorMessage = 16 << 20

// doorOp names what a request asks of the front-door process.
type doorOp string

const (
	// opHello proves the caller knows the token and asks who answers.
	opHello doorOp = "hello"
	// opRoutes sets one application's address and route table (with the
	// healthy instances of every server group of the environment).
	opRoutes doorOp = "routes"
	// opEndpoints replaces the healthy instances of server groups.
	opEndpoints doorOp = "endpoints"
	// opSnapshot reads one application's cumulative counters per server group.
	opSnapshot doorOp = "snapshot"
	// opSeconds reads one application's per-second samples in [From, To).
	opSeconds doorOp = "seconds"
	// opStop makes the process stop serving and exit.
	opStop doorOp = "stop"
	// opForget closes one application's front door (it stops listening)
	// and forgets its routes and counters: the application was deleted.
	opForget doorOp = "forget"
	// opHandover asks for duplicates of the listening sockets (passed over
	// the socket as SCM_RIGHTS with the reply) and the routes and healthy
	// instances they serve, for a successor process. The process keeps
	// serving until it is told to stop.
	opHandover doorOp = "handover"
)

// stableOp reports whether op is one of the requests every protocol
// version answers the same way.
func stableOp(op doorOp) bool { return op == opHello || op == opHandover || op == opStop }

// doorRequest is one line from the server.
type doorRequest struct {
	Protocol int    `json:"protocol"`
	Op       doorOp `json:"op"`
	Token    string `json:"token,omitempty"` // opHello

	Application string       `json:"application,omitempty"`
	ServerGroup string       `json:"serverGroup,omitempty"` // opSeconds: "" for all
	Address     string       `json:"address,omitempty"`     // opRoutes
	Routes      []Route      `json:"routes,omitempty"`      // opRoutes
	Sticky      bool         `json:"sticky,omitempty"`      // opRoutes
	TLS         *TLSFiles    `json:"tls,omitempty"`         // opRoutes
	Endpoints   doorBackends `json:"endpoints,omitempty"`
	From        time.Time    `json:"from,omitzero"` // opSeconds
	To          time.Time    `json:"to,omitzero"`   // opSeconds
}

// doorBackends is the healthy instances (127.0.0.1:port) by server group.
type doorBackends map[string][]string

// doorReply is one line from the front-door process.
type doorReply struct {
	Protocol int    `json:"protocol"`
	Error    string `json:"error,omitempty"`

	// opHello: who answers.
	PID         int       `json:"pid,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Started     time.Time `json:"started,omitzero"`
	// Doors is the bound address by application (opHello, opRoutes).
	Doors map[string]string `json:"doors,omitempty"`

	Counters map[string]groupReading `json:"counters,omitempty"` // opSnapshot
	Seconds  map[string][]Second     `json:"seconds,omitempty"`  // opSeconds

	// opHandover: the applications whose listening sockets come with the
	// reply, in order; the addresses they were configured with; their route
	// tables; the healthy instances of every server group.
	Listeners []string           `json:"listeners,omitempty"`
	Addresses map[string]string  `json:"addresses,omitempty"`
	Routes    map[string][]Route `json:"routes,omitempty"`
	Endpoints doorBackends       `json:"endpoints,omitempty"`
	// Sticky are the applications whose front door keeps clients on their
	// server group (FrontDoor.Sticky); an older process sends none.
	Sticky map[string]bool `json:"sticky,omitempty"`
	// TLS are the certificate files of the applications served over TLS.
	TLS map[string]TLSFiles `json:"tls,omitempty"`
}

// groupReading is one server group's counters with its answers by class
// (index status/100, 0 for anything odd), for Prometheus.
type groupReading struct {
	Counters Counters  `json:"counters"`
	Classes  [6]uint64 `json:"classes"`
}

// errDoorMessageTooLarge is returned for a line over maxDoorMessage.
var errDoorMessageTooLarge = fmt.Errorf("front door control message is larger than %d bytes", maxDoorMessage)

// writeDoorMessage writes v as one JSON line.
func writeDoorMessage(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) >= maxDoorMessage {
		return errDoorMessageTooLarge
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// readDoorMessage reads one JSON line into v, refusing lines over maxDoorMessage.
func readDoorMessage(r *bufio.Reader, v any) error {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) >= maxDoorMessage {
			return errDoorMessageTooLarge
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return json.Unmarshal(line, v)
}
