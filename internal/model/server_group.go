package model

import (
	"fmt"
	"time"
)

// ServerGroupStatus is the lifecycle of a server group as the engine knows it.
type ServerGroupStatus string

const (
	// ServerGroupCreating: recorded before the provider is asked to start it.
	ServerGroupCreating ServerGroupStatus = "creating"
	// ServerGroupUp: its instances run; Weight says how much traffic it takes.
	ServerGroupUp ServerGroupStatus = "up"
	// ServerGroupDisabled: running but out of traffic (red/black keeps these for rollback).
	ServerGroupDisabled ServerGroupStatus = "disabled"
	// ServerGroupDestroyed: its instances are stopped; kept as history.
	ServerGroupDestroyed ServerGroupStatus = "destroyed"
)

// ServerGroupRole says why a server group exists.
type ServerGroupRole string

const (
	// RoleProduction: a normal server group serving a version.
	RoleProduction ServerGroupRole = "production"
	// RoleCanary: the new version under test in a canary deploy.
	RoleCanary ServerGroupRole = "canary"
	// RoleBaseline: a fresh copy of the current version, compared with the canary.
	RoleBaseline ServerGroupRole = "baseline"
)

// ServerGroup is one immutable version of an application in an environment,
// with N instances, such as checkout-v003.
type ServerGroup struct {
	Name        string            `json:"name"`
	Application string            `json:"application"`
	Environment string            `json:"environment"`
	Sequence    int               `json:"sequence"`
	Version     string            `json:"version"`
	Role        ServerGroupRole   `json:"role"`
	Status      ServerGroupStatus `json:"status"`
	Instances   int               `json:"instances"`
	// Weight is the percentage of front-door traffic routed to it (0-100).
	Weight int `json:"weight"`
	// Env holds deploy-time environment variables added to the application's.
	Env map[string]string `json:"env,omitempty"`
	// ExecutionID is the execution that created it.
	ExecutionID string    `json:"executionId,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// LastGood marks the server group that last completed a deploy; rollback returns here.
	LastGood bool `json:"lastGood,omitempty"`
	// RolledBack marks a server group traffic was rolled back away from; rollback never returns to it.
	RolledBack bool `json:"rolledBack,omitempty"`
}

// ServerGroupName formats the name of an application's server group number seq.
func ServerGroupName(app string, seq int) string { return fmt.Sprintf("%s-v%03d", app, seq) }
