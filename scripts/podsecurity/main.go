// Command podsecurity judges Kubernetes manifests with the Pod Security admission code itself, offline.
//
// It reads a multi-document YAML stream (files named as arguments, or standard input), decodes every
// workload strictly against the Kubernetes API types (an unknown or misspelt field is an error), and
// evaluates each pod template at restricted:latest with the checks the API server's admission plugin runs.
// Exit status: 0 when every pod template is allowed, 1 when one is forbidden or none is found, 2 when the
// input cannot be read or decoded.
//
//	go run . manifests.yaml
//	kubectl kustomize deploy/kubernetes | go run .
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// podTemplate is the part of a workload that admission judges.
type podTemplate struct {
	name string // Kind/name, for the report
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	templates, err := readTemplates(args, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if len(templates) == 0 {
		fmt.Fprintln(stderr, "error: no pod template found (no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob)")
		return 1
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	level := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	status := 0
	for _, template := range templates {
		result := policy.AggregateCheckResults(evaluator.EvaluatePod(level, template.meta, template.spec))
		if result.Allowed {
			fmt.Fprintf(stdout, "%s: allowed at %s\n", template.name, level)
			continue
		}
		status = 1
		fmt.Fprintf(stdout, "%s: forbidden at %s\n", template.name, level)
		for i, reason := range result.ForbiddenReasons {
			fmt.Fprintf(stdout, "  %s: %s\n", reason, result.ForbiddenDetails[i])
		}
	}
	return status
}

// readTemplates collects the pod templates of every document in the named files, or in stdin when none is named.
func readTemplates(paths []string, stdin io.Reader) ([]podTemplate, error) {
	if len(paths) == 0 {
		return templatesIn("stdin", stdin)
	}
	var all []podTemplate
	for _, path := range paths {
		file, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		templates, err := templatesIn(path, file)
		file.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, templates...)
	}
	return all, nil
}

func templatesIn(source string, input io.Reader) ([]podTemplate, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(input))
	var templates []podTemplate
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return templates, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if len(bytes.TrimSpace(document)) == 0 {
			continue
		}
		template, found, err := decode(document)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if found {
			templates = append(templates, template)
		}
	}
}

// workloads says, for each kind that has a pod template, how to decode it strictly and where its template is.
var workloads = map[string]func(document []byte) (podTemplate, error){
	"Pod": func(document []byte) (podTemplate, error) {
		var pod corev1.Pod
		err := yaml.UnmarshalStrict(document, &pod)
		return podTemplate{name: pod.Name, meta: &pod.ObjectMeta, spec: &pod.Spec}, err
	},
	"Deployment":  templateOf(func(o *appsv1.Deployment) (string, *corev1.PodTemplateSpec) { return o.Name, &o.Spec.Template }),
	"StatefulSet": templateOf(func(o *appsv1.StatefulSet) (string, *corev1.PodTemplateSpec) { return o.Name, &o.Spec.Template }),
	"DaemonSet":   templateOf(func(o *appsv1.DaemonSet) (string, *corev1.PodTemplateSpec) { return o.Name, &o.Spec.Template }),
	"ReplicaSet":  templateOf(func(o *appsv1.ReplicaSet) (string, *corev1.PodTemplateSpec) { return o.Name, &o.Spec.Template }),
	"Job":         templateOf(func(o *batchv1.Job) (string, *corev1.PodTemplateSpec) { return o.Name, &o.Spec.Template }),
	"CronJob": templateOf(func(o *batchv1.CronJob) (string, *corev1.PodTemplateSpec) {
		return o.Name, &o.Spec.JobTemplate.Spec.Template
	}),
}

// templateOf makes a workloads entry for a kind T whose pod template is found by template.
func templateOf[T any](template func(*T) (string, *corev1.PodTemplateSpec)) func([]byte) (podTemplate, error) {
	return func(document []byte) (podTemplate, error) {
		var object T
		err := yaml.UnmarshalStrict(document, &object)
		name, spec := template(&object)
		return podTemplate{name: name, meta: &spec.ObjectMeta, spec: &spec.Spec}, err
	}
}

// decode strictly decodes one document of a workload kind and returns its pod template; other kinds are skipped.
func decode(document []byte) (podTemplate, bool, error) {
	var typeMeta metav1.TypeMeta
	if err := yaml.Unmarshal(document, &typeMeta); err != nil {
		return podTemplate{}, false, err
	}
	decodeKind, found := workloads[typeMeta.Kind]
	if !found {
		return podTemplate{}, false, nil
	}
	template, err := decodeKind(document)
	if err != nil {
		return podTemplate{}, false, fmt.Errorf("%s: %w", typeMeta.Kind, err)
	}
	template.name = typeMeta.Kind + "/" + template.name
	return template, true, nil
}
