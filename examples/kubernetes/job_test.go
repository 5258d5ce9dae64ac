// Package kubernetes holds the Kubernetes example; its test checks the
// manifests' syntax and the fields the example depends on.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The manifests' fields (the subset of the Kubernetes API this example
// uses). Decoding is strict: a field the API does not have (a typo such as
// "completionsMode") is an error.
type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       yaml.Node
}

type metadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type pvcSpec struct {
	AccessModes []string  `yaml:"accessModes"`
	Resources   resources `yaml:"resources"`
}

type jobSpec struct {
	CompletionMode          string      `yaml:"completionMode"`
	Completions             *int        `yaml:"completions"`
	Parallelism             *int        `yaml:"parallelism"`
	BackoffLimit            *int        `yaml:"backoffLimit"`
	TTLSecondsAfterFinished *int        `yaml:"ttlSecondsAfterFinished"`
	Template                podTemplate `yaml:"template"`
}

type podTemplate struct {
	Metadata metadata `yaml:"metadata"`
	Spec     podSpec  `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	HostNetwork   *bool       `yaml:"hostNetwork"`
	Containers    []container `yaml:"containers"`
	Volumes       []volume    `yaml:"volumes"`
}

type container struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	ImagePullPolicy string          `yaml:"imagePullPolicy"`
	Command         []string        `yaml:"command"`
	Args            []string        `yaml:"args"`
	SecurityContext securityContext `yaml:"securityContext"`
	Resources       resources       `yaml:"resources"`
	VolumeMounts    []volumeMount   `yaml:"volumeMounts"`
}

type securityContext struct {
	Privileged *bool `yaml:"privileged"`
}

type resources struct {
	Requests map[string]string `yaml:"requests"`
	Limits   map[string]string `yaml:"limits"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

type volume struct {
	Name                  string `yaml:"name"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

func strict(n *yaml.Node, v any) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(n); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&b)
	dec.KnownFields(true)
	return dec.Decode(v)
}

func load(t *testing.T) (pvc pvcSpec, pvcName string, job jobSpec) {
	t.Helper()
	f, err := os.Open("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	kinds := map[string]int{}
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("job.yaml: %v", err)
		}
		kinds[o.Kind]++
		switch o.APIVersion + " " + o.Kind {
		case "v1 PersistentVolumeClaim":
			pvcName = o.Metadata.Name
			if err := strict(&o.Spec, &pvc); err != nil {
				t.Fatalf("job.yaml: PersistentVolumeClaim %s: %v", o.Metadata.Name, err)
			}
		case "batch/v1 Job":
			if err := strict(&o.Spec, &job); err != nil {
				t.Fatalf("job.yaml: Job %s: %v", o.Metadata.Name, err)
			}
		default:
			t.Fatalf("job.yaml: unexpected %s %s", o.APIVersion, o.Kind)
		}
	}
	if kinds["Job"] != 1 || kinds["PersistentVolumeClaim"] != 1 {
		t.Fatalf("job.yaml holds %v, want one Job and one PersistentVolumeClaim", kinds)
	}
	return pvc, pvcName, job
}

func TestIndexedJob(t *testing.T) {
	pvc, pvcName, job := load(t)
	if job.CompletionMode != "Indexed" {
		t.Errorf("completionMode %q, want Indexed", job.CompletionMode)
	}
	if job.Completions == nil || job.Parallelism == nil || *job.Completions != *job.Parallelism || *job.Completions < 2 {
		t.Fatalf("completions %v, parallelism %v: want equal, at least 2", job.Completions, job.Parallelism)
	}
	n := *job.Completions
	pod := job.Template.Spec
	if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
		t.Errorf("restartPolicy %q: a Job's pods must not restart Always", pod.RestartPolicy)
	}
	if pod.HostNetwork == nil || *pod.HostNetwork {
		t.Error("hostNetwork must be set, and false: the emulated VPC stays inside the pod's own network namespace")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Error("the container must be privileged (namespaces, veth, AF_PACKET)")
	}
	cmd := strings.Join(append(c.Command, c.Args...), " ")
	for _, want := range []string{"mirrorlab run", "JOB_COMPLETION_INDEX", "--json", "--junit"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("the command %q lacks %s", cmd, want)
		}
	}
	// the share: JOB_COMPLETION_INDEX counts from 0, --shard from 1, and
	// N is the Job's completions
	m := regexp.MustCompile(`--shard "?\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)"?`).FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("the command %q does not pass --shard $((JOB_COMPLETION_INDEX + 1))/N", cmd)
	}
	if shards, _ := strconv.Atoi(m[1]); shards != n {
		t.Errorf("--shard .../%d, but the Job has %d completions", shards, n)
	}
	// the reports go to the shared volume, one file per index
	if len(c.VolumeMounts) != 1 || len(pod.Volumes) != 1 || c.VolumeMounts[0].Name != pod.Volumes[0].Name {
		t.Fatalf("volume mounts %+v, volumes %+v", c.VolumeMounts, pod.Volumes)
	}
	if v := pod.Volumes[0].PersistentVolumeClaim; v == nil || v.ClaimName != pvcName {
		t.Errorf("the volume is not the claim %s", pvcName)
	}
	if !strings.Contains(cmd, c.VolumeMounts[0].MountPath+"/shard-$JOB_COMPLETION_INDEX.json") {
		t.Errorf("the JSON report is not written to the volume per index: %q", cmd)
	}
	if len(pvc.AccessModes) != 1 || pvc.AccessModes[0] != "ReadWriteMany" {
		t.Errorf("the results claim is %v: every pod writes to it at once, so ReadWriteMany", pvc.AccessModes)
	}
}

// TestJobCommandRuns runs the container's command with a stand-in
// mirrorlab that prints its arguments, as pod 2 of the Job would.
func TestJobCommandRuns(t *testing.T) {
	_, _, job := load(t)
	c := job.Template.Spec.Containers[0]
	if len(c.Command) != 3 || c.Command[0] != "/bin/sh" || c.Command[1] != "-c" {
		t.Fatalf("command %q, want /bin/sh -c SCRIPT", c.Command)
	}
	dir := t.TempDir()
	stub := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(dir, "mirrorlab"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(c.Command[0], c.Command[1], c.Command[2])
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "JOB_COMPLETION_INDEX=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{"run", "--library", "--shard", "3/4", "--json", "/results/shard-2.json", "--junit", "/results/shard-2.xml",
		"--html", "/results/shard-2.html", "--pcap-dir", "/results/pcap-2"}
	if !slices.Equal(got, want) {
		t.Fatalf("pod 2 runs mirrorlab %q, want %q", got, want)
	}
}
