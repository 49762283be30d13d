package model

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ServiceSpec is an application's stable Service on Kubernetes: the name
// and ports its in-cluster clients dial (microservices-demo's frontend dials
// cartservice:7070, for instance). Unset, the Service is named after the
// application with one port, 80 named http, to the container's spec.port.
type ServiceSpec struct {
	// Name of the stable Service (default: the application's name).
	Name  string        `json:"name,omitempty"`
	Ports []ServicePort `json:"ports,omitempty"`
}

// ServicePort is one port of the stable Service, as in a Kubernetes Service.
type ServicePort struct {
	// Name is required when there are several ports (Kubernetes' rule).
	Name string `json:"name,omitempty"`
	Port int    `json:"port"`
	// TargetPort is the container's port: a number, or the name of a
	// container port; default Port.
	TargetPort PortRef `json:"targetPort,omitempty"`
	// Protocol is TCP (default), UDP or SCTP.
	Protocol string `json:"protocol,omitempty"`
	// AppProtocol tells meshes and gateways what the port speaks, such as
	// grpc, http, kubernetes.io/h2c.
	AppProtocol string `json:"appProtocol,omitempty"`
}

// PortRef is a port by number or by name, as a Service's targetPort.
type PortRef struct {
	Number int
	Name   string
}

// IsZero reports whether the reference is unset.
func (p PortRef) IsZero() bool { return p.Number == 0 && p.Name == "" }

func (p PortRef) String() string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(p.Number)
}

// MarshalJSON writes a number or a string.
func (p PortRef) MarshalJSON() ([]byte, error) {
	if p.Name != "" {
		return json.Marshal(p.Name)
	}
	return json.Marshal(p.Number)
}

// UnmarshalJSON reads a number or a string ("8080" is the number 8080).
func (p *PortRef) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*p = PortRef{Number: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("targetPort %s: give a port number or the name of a container port", b)
	}
	if n, err := strconv.Atoi(s); err == nil {
		*p = PortRef{Number: n}
		return nil
	}
	*p = PortRef{Name: s}
	return nil
}

// StableServiceName is the name of the application's stable Service.
func (a Application) StableServiceName() string {
	if a.Service != nil && a.Service.Name != "" {
		return a.Service.Name
	}
	return a.Name
}
