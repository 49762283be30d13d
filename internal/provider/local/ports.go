package local

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// allocPort picks a port in [PortMin, PortMax] that no instance holds and
// that is free right now. Callers hold p.mu.
func (p *Provider) allocPort() (int, error) {
	used := map[int]bool{}
	for _, g := range p.groups {
		for _, in := range g.instances {
			used[in.port] = true
		}
	}
	for _, rec := range p.orphans {
		for _, in := range rec.Instances {
			used[in.Port] = true
		}
	}
	n := p.cfg.PortMax - p.cfg.PortMin + 1
	start := rand.IntN(n)
	for i := range n {
		port := p.cfg.PortMin + (start+i)%n
		if !used[port] && portFree(port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port in %d-%d: widen PortMin/PortMax or stop server groups", p.cfg.PortMin, p.cfg.PortMax)
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
