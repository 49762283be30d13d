package postgres_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// jsonb keeps neither the key order nor the number forms of the JSON it is
// given (1e-07 comes back as 0.0000001): applying the same config again
// must still report it unchanged.
func TestConfigApplyUnchangedThroughJSONB(t *testing.T) {
	t.Parallel()
	s := openFresh(t)
	ctx := t.Context()
	tmpl := model.AnalysisTemplate{Name: "tiny", Spec: model.AnalysisSpec{
		Thresholds: model.ScoreThresholds{Pass: 1e-7, Marginal: 1e21},
	}}
	cfg := model.Config{AnalysisTemplates: []model.AnalysisTemplate{tmpl}}
	if _, err := s.ConfigApply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := s.ConfigApply(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"AnalysisTemplate/tiny"}; !slices.Equal(res.Unchanged, want) || len(res.Updated)+len(res.Created) != 0 {
		t.Fatalf("second apply of the same config = %+v, want unchanged %v", res, want)
	}
	got, err := s.AnalysisTemplateGet(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, tmpl) {
		t.Fatalf("AnalysisTemplateGet:\n got %+v\nwant %+v", *got, tmpl)
	}
}
