// Command pod-security evaluates the pod templates of Kubernetes manifests against a Pod Security Standards
// level with the upstream evaluator (k8s.io/pod-security-admission), as the admission controller of a namespace
// labelled pod-security.kubernetes.io/enforce=<level> would: one line per workload, exit 1 if any is refused.
//
//	go run . -level restricted ../../deploy/k8s/*.yaml
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type workload struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// podOf answers the pod template of a Deployment or Job document, or nil for any other kind.
func podOf(kind string, document []byte) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	decode := func(into any) error { return yaml.NewYAMLOrJSONDecoder(bytes.NewReader(document), 4096).Decode(into) }
	switch kind {
	case "Deployment":
		var deployment appsv1.Deployment
		if err := decode(&deployment); err != nil {
			return nil, nil, err
		}
		return &deployment.Spec.Template.ObjectMeta, &deployment.Spec.Template.Spec, nil
	case "Job":
		var job batchv1.Job
		if err := decode(&job); err != nil {
			return nil, nil, err
		}
		return &job.Spec.Template.ObjectMeta, &job.Spec.Template.Spec, nil
	}
	return nil, nil, nil
}

func main() {
	levelName := flag.String("level", "restricted", "privileged, baseline or restricted")
	flag.Parse()
	level, err := api.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	refused := false
	for _, path := range flag.Args() {
		file, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		reader := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(file)))
		for {
			document, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				os.Exit(2)
			}
			var head workload
			if err := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(document), 4096).Decode(&head); err != nil || head.Kind == "" {
				continue
			}
			meta, spec, err := podOf(head.Kind, document)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				os.Exit(2)
			}
			if spec == nil {
				continue
			}
			results := evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: api.LatestVersion()}, meta, spec)
			allowed := policy.AggregateCheckResults(results)
			if allowed.Allowed {
				fmt.Printf("%s %s/%s: allowed at %s\n", path, head.Kind, head.Metadata.Name, level)
				continue
			}
			refused = true
			fmt.Printf("%s %s/%s: refused at %s: %s\n", path, head.Kind, head.Metadata.Name, level, allowed.ForbiddenDetail())
		}
	}
	if refused {
		os.Exit(1)
	}
}
