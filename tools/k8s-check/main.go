// k8s-check checks rendered Kubernetes manifests offline, as tools/check-deploy runs it:
//
//	k8s-check pss FILE...          every pod template against the "restricted" Pod
//	                               Security Standard (latest), with the evaluator of the
//	                               API server's PodSecurity admission plugin
//	k8s-check monitoring FILE...   ServiceMonitor and PrometheusRule objects decoded
//	                               strictly into the Prometheus Operator's Go types: an
//	                               unknown or mistyped field fails
//
// FILE holds YAML documents (kubectl kustomize's output). One line per object checked:
// "ok KIND/NAME" or "FAIL KIND/NAME: reasons"; the exit code is 1 if anything failed
// (or nothing was checked), 2 on a usage or read error.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// object is one YAML document: its kind and name, and its JSON for strict decoding.
type object struct {
	Kind string
	Name string
	JSON []byte
}

func readObjects(path string) ([]object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var objects []object
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		json, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if head.Kind == "" {
			continue
		}
		objects = append(objects, object{Kind: head.Kind, Name: head.Metadata.Name, JSON: json})
	}
	return objects, nil
}

// podTemplate returns the pod metadata and spec of a workload, or ok=false for a kind
// that has none. Decoding is strict: an unknown field is an error.
func podTemplate(o object) (meta *metav1.ObjectMeta, spec *corev1.PodSpec, ok bool, err error) {
	switch o.Kind {
	case "Pod":
		var pod corev1.Pod
		err = yaml.UnmarshalStrict(o.JSON, &pod)
		return &pod.ObjectMeta, &pod.Spec, true, err
	case "Deployment":
		var d appsv1.Deployment
		err = yaml.UnmarshalStrict(o.JSON, &d)
		return &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec, true, err
	case "StatefulSet":
		var s appsv1.StatefulSet
		err = yaml.UnmarshalStrict(o.JSON, &s)
		return &s.Spec.Template.ObjectMeta, &s.Spec.Template.Spec, true, err
	case "DaemonSet":
		var d appsv1.DaemonSet
		err = yaml.UnmarshalStrict(o.JSON, &d)
		return &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec, true, err
	case "ReplicaSet":
		var r appsv1.ReplicaSet
		err = yaml.UnmarshalStrict(o.JSON, &r)
		return &r.Spec.Template.ObjectMeta, &r.Spec.Template.Spec, true, err
	case "Job":
		var j batchv1.Job
		err = yaml.UnmarshalStrict(o.JSON, &j)
		return &j.Spec.Template.ObjectMeta, &j.Spec.Template.Spec, true, err
	case "CronJob":
		var c batchv1.CronJob
		err = yaml.UnmarshalStrict(o.JSON, &c)
		return &c.Spec.JobTemplate.Spec.Template.ObjectMeta, &c.Spec.JobTemplate.Spec.Template.Spec, true, err
	}
	return nil, nil, false, nil
}

func checkPSS(objects []object) (checked, failed int, err error) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return 0, 0, err
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, o := range objects {
		meta, spec, ok, err := podTemplate(o)
		if !ok {
			continue
		}
		checked++
		if err != nil {
			failed++
			fmt.Printf("FAIL %s/%s: %v\n", o.Kind, o.Name, err)
			continue
		}
		result := policy.AggregateCheckResults(evaluator.EvaluatePod(restricted, meta, spec))
		if !result.Allowed {
			failed++
			fmt.Printf("FAIL %s/%s: violates PodSecurity %q: %s\n", o.Kind, o.Name, "restricted:latest", result.ForbiddenDetail())
			continue
		}
		fmt.Printf("ok %s/%s: restricted\n", o.Kind, o.Name)
	}
	return checked, failed, nil
}

func checkMonitoring(objects []object) (checked, failed int) {
	for _, o := range objects {
		var err error
		switch o.Kind {
		case "ServiceMonitor":
			var sm monitoringv1.ServiceMonitor
			err = yaml.UnmarshalStrict(o.JSON, &sm)
			if err == nil && len(sm.Spec.Endpoints) == 0 {
				err = errors.New("no endpoints")
			}
		case "PrometheusRule":
			var rule monitoringv1.PrometheusRule
			err = yaml.UnmarshalStrict(o.JSON, &rule)
			if err == nil && len(rule.Spec.Groups) == 0 {
				err = errors.New("no rule groups")
			}
		default:
			continue
		}
		checked++
		if err != nil {
			failed++
			fmt.Printf("FAIL %s/%s: %v\n", o.Kind, o.Name, err)
			continue
		}
		fmt.Printf("ok %s/%s\n", o.Kind, o.Name)
	}
	return checked, failed
}

func main() {
	if len(os.Args) < 3 || (os.Args[1] != "pss" && os.Args[1] != "monitoring") {
		fmt.Fprintln(os.Stderr, "usage: k8s-check pss|monitoring FILE...")
		os.Exit(2)
	}
	var objects []object
	for _, path := range os.Args[2:] {
		more, err := readObjects(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8s-check:", err)
			os.Exit(2)
		}
		objects = append(objects, more...)
	}
	var checked, failed int
	if os.Args[1] == "pss" {
		var err error
		checked, failed, err = checkPSS(objects)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8s-check:", err)
			os.Exit(2)
		}
	} else {
		checked, failed = checkMonitoring(objects)
	}
	fmt.Printf("%s: %d checked, %d failed\n", os.Args[1], checked, failed)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}
