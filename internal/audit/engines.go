package audit

import (
	"context"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/provenance"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/skillscan"
)

// Engines returns every engine an audit runs, in a fixed order. Add new
// engines (advisory, install provenance, skills) here.
func Engines() []Engine {
	return []Engine{postureEngine{}, provenance.Engine{}, advisory.Engine{}, skillscan.Engine{}}
}

type postureEngine struct{}

func (postureEngine) Name() string { return "posture" }

func (postureEngine) Run(_ context.Context, s *posture.Snapshot) ([]string, []finding.Finding, []report.RunError) {
	ran, fs := posture.Run(s)
	return ran, fs, nil
}
