package config_test

import (
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/config"
)

func ExampleParse() {
	src := `apiVersion: gennaker.dev/v1alpha1
kind: Pipeline
metadata:
  name: release
spec:
  application: checkout
  stages:
    - name: soak
      retires: 2
      wait:
        duration: tenn
`
	_, err := config.Parse("pipelines.yaml", []byte(src))
	fmt.Println(err)

	var errs *config.Errors
	if errors.As(err, &errs) {
		fmt.Println(len(errs.List), "problems; the first is in", errs.List[0].Field)
	}
	// Output:
	// pipelines.yaml:9:7: Pipeline "release": spec.stages[0]: unknown field "retires" in spec.stages[0]; did you mean "retries"?
	// pipelines.yaml:11:19: Pipeline "release": spec.stages[0].wait.duration: "tenn" is not a duration: write a number with a unit, such as 30s, 5m or 1h
	// 2 problems; the first is in spec.stages[0]
}
