package config

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// Document is one decoded config document and where its fields were written.
// Exactly one of Application, Environment, Pipeline, AnalysisTemplate, Team,
// Grant, Notification and OpenSLO is set.
type Document struct {
	File   string
	Line   int // where the document starts
	Column int
	Kind   string // one of kinds: model.KindApplication, KindEnvironment, ...
	Name   string

	Application *model.Application
	Environment *model.Environment
	Pipeline    *model.Pipeline
	// AnalysisTemplate's spec is the analysis config itself.
	AnalysisTemplate *model.AnalysisTemplate
	// Team and Grant say who may do what.
	Team  *model.Team
	Grant *model.Grant
	// Notification says whom to tell about deliveries.
	Notification *model.Notification
	// OpenSLO is an OpenSLO v1 document (Kind is one of openSLOKinds); the
	// loader resolves SLOs from them (openslo_resolve.go).
	OpenSLO *OpenSLODocument

	pos positions
}

// Object names the document in messages, such as `Pipeline "release"`.
func (d *Document) Object() string { return objectName(d.Kind, d.Name) }

func objectName(kind, name string) string {
	switch {
	case kind == "":
		return ""
	case name == "":
		return kind
	}
	return fmt.Sprintf("%s %q", kind, name)
}

// errorf returns a problem with the field at path, positioned where the field
// (or its nearest written parent) is.
func (d *Document) errorf(path, format string, args ...any) Error {
	p := d.pos.at(path)
	return Error{
		File: d.File, Line: p.Line, Column: p.Column,
		Object: d.Object(), Field: path,
		Message: fmt.Sprintf(format, args...),
	}
}
