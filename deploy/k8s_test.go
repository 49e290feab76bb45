package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var k8sDir = filepath.Join(root, "deploy", "k8s")

// strictDecoder is the API machinery's YAML decoder with unknown and
// duplicate fields as errors (what `kubectl apply --validate=strict` does).
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

// splitYAML splits a multi-document file, dropping empty documents.
func splitYAML(b []byte) [][]byte {
	var out [][]byte
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) != "" {
			out = append(out, []byte(doc))
		}
	}
	return out
}

// TestK8sManifestsDecodeStrictly decodes every manifest under deploy/k8s
// (not the kustomization files, which kustomize reads) with unknown fields
// as errors.
func TestK8sManifestsDecodeStrictly(t *testing.T) {
	dec := strictDecoder(t)
	n := 0
	err := filepath.Walk(k8sDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Ext(p) != ".yaml" ||
			filepath.Base(p) == "kustomization.yaml" || filepath.Base(filepath.Dir(p)) == "configs" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, doc := range splitYAML(b) {
			if _, _, err := dec.Decode(doc, nil, nil); err != nil {
				t.Errorf("%s, document %d: %v", p, i+1, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("decoded %d manifests; the walk missed deploy/k8s", n)
	}
}

// TestK8sOverlayBuildsAndProbesHitRealRoutes builds the production overlay
// with kustomize's own API, decodes what it makes strictly, and resolves
// each reference: probe paths and ports against the binaries' routes
// (pkg/skeleton) and configured ports, Services' target ports, ConfigMaps,
// Secrets and their keys, config keys against the services' configuration
// messages, the HPAs' targets, and resources on every container.
func TestK8sOverlayBuildsAndProbesHitRealRoutes(t *testing.T) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(k8sDir, "overlays", "production"))
	if err != nil {
		t.Fatalf("kustomize build deploy/k8s/overlays/production: %v", err)
	}
	dec := strictDecoder(t)
	deployments := map[string]*appsv1.Deployment{}
	services := map[string]*corev1.Service{}
	configMaps := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	var hpas []*autoscalingv2.HorizontalPodAutoscaler
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := dec.Decode(y, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", r.CurId(), err)
			continue
		}
		if ns := r.GetNamespace(); ns != "clouddrive" && r.GetKind() != "Namespace" {
			t.Errorf("%s: namespace %q, want clouddrive", r.CurId(), ns)
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			deployments[o.Name] = o
		case *corev1.Service:
			services[o.Name] = o
		case *corev1.ConfigMap:
			configMaps[o.Name] = o
		case *corev1.Secret:
			secrets[o.Name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, o)
		}
	}

	for _, svc := range []string{"user", "file", "storage", "share", "notify", "webdav", "cachesync", "web"} {
		if deployments[svc] == nil || services[svc] == nil {
			t.Errorf("%s: no Deployment or Service", svc)
		}
	}
	for _, dep := range []string{"mysql", "redis", "kafka", "etcd", "nacos", "minio", "jaeger"} {
		s := services[dep]
		if s == nil || s.Spec.Type != corev1.ServiceTypeExternalName || strings.HasSuffix(s.Spec.ExternalName, ".invalid") {
			t.Errorf("%s: want an ExternalName Service pointed by the overlay at a real host, got %+v", dep, s)
		}
	}

	for name, d := range deployments {
		pod := d.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", name, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		if !strings.HasPrefix(c.Image, "registry.example.com/clouddrive/"+name+":") {
			t.Errorf("%s: image %s not set by the overlay", name, c.Image)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: no cpu/memory requests and memory limit", name)
		}
		ports := map[string]int32{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		if s := services[name]; s != nil {
			for _, sp := range s.Spec.Ports {
				if _, ok := ports[sp.TargetPort.StrVal]; sp.TargetPort.Type != intstr.String || !ok {
					t.Errorf("service %s: port %s targets %s, no named port of the pod", name, sp.Name, sp.TargetPort.String())
				}
			}
		}

		// What the container really serves: a drive binary its config's
		// ports and pkg/skeleton's routes; the SPA nginx.conf's.
		var httpPort string
		answers := func(path string) bool { return skeletonAnswers(t, path) }
		if name == "web" {
			httpPort, answers = nginxServes(t)
		} else {
			conf := mountedConfig(t, name, pod, c, configMaps)
			if conf == "" {
				continue
			}
			var grpcPort string
			httpPort, grpcPort = listenPorts(t, name, conf)
			if g, ok := ports["grpc"]; ok && strconv.Itoa(int(g)) != grpcPort {
				t.Errorf("%s: container port grpc %d, the service listens on %s", name, g, grpcPort)
			}
			msgs := bootstrap(t, name)
			var keys [][]string
			leafKeys(nil, readYAML(t, conf), &keys)
			for _, k := range keys {
				if !resolveKey(msgs, k) {
					t.Errorf("%s: config key %s is not a field of its configuration", name, strings.Join(k, "."))
				}
			}
			for _, e := range c.Env {
				if rest, ok := strings.CutPrefix(e.Name, "CLOUDDRIVE__"); ok {
					if !resolveKey(msgs, strings.Split(strings.ToLower(rest), "__")) {
						t.Errorf("%s: env %s sets no field of its configuration", name, e.Name)
					}
				} else if !pkgConfigReads(t, e.Name) && !usedByLaterEnv(c.Env, e.Name) {
					t.Errorf("%s: env %s is read by nothing", name, e.Name)
				}
			}
		}
		if got := strconv.Itoa(int(ports["http"])); got != httpPort {
			t.Errorf("%s: container port http %d, the process listens on %s", name, ports["http"], httpPort)
		}
		probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
		for kind, p := range probes {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", name, kind)
				continue
			}
			if port := p.HTTPGet.Port; port.Type != intstr.String || port.StrVal != "http" {
				t.Errorf("%s: %s probe on port %s; probe the named http port", name, kind, port.String())
			}
			if !answers(p.HTTPGet.Path) {
				t.Errorf("%s: %s probe %s is not a route the container serves", name, kind, p.HTTPGet.Path)
			}
		}
		if name != "web" && (c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz") {
			t.Errorf("%s: liveness on /healthz and readiness on /readyz", name)
		}
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				s := secrets[ref.SecretKeyRef.Name]
				if _, ok := s.Data[ref.SecretKeyRef.Key]; s == nil || !ok {
					t.Errorf("%s: env %s reads secret %s key %s, which the overlay does not make", name, e.Name, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
				}
			}
		}
		for _, v := range pod.Volumes {
			if v.Secret != nil {
				s := secrets[v.Secret.SecretName]
				if s == nil {
					t.Errorf("%s: volume %s: no secret %s", name, v.Name, v.Secret.SecretName)
					continue
				}
				for _, it := range v.Secret.Items {
					if _, ok := s.Data[it.Key]; !ok {
						t.Errorf("%s: volume %s: secret %s has no key %s", name, v.Name, v.Secret.SecretName, it.Key)
					}
				}
			}
		}
	}

	scaled := map[string]bool{}
	for _, h := range hpas {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || deployments[h.Spec.ScaleTargetRef.Name] == nil {
			t.Errorf("HPA %s targets %s/%s, which is not built", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
		scaled[h.Spec.ScaleTargetRef.Name] = true
	}
	if !scaled["file"] || !scaled["storage"] {
		t.Errorf("HPAs scale %v; file and storage need one", scaled)
	}
}

// TestK8sConfigsAreComposes keeps one production configuration: the
// ConfigMaps' files are docker-compose's (deploy/configs), since the
// Service names are the compose service names.
func TestK8sConfigsAreComposes(t *testing.T) {
	for _, svc := range []string{"user", "file", "storage", "share", "notify", "webdav", "cachesync"} {
		a, err1 := os.ReadFile(filepath.Join(k8sDir, "base", "configs", svc+".yaml"))
		b, err2 := os.ReadFile(filepath.Join(root, "deploy", "configs", svc, "config.yaml"))
		if err1 != nil || err2 != nil {
			t.Fatalf("%v %v", err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("deploy/k8s/base/configs/%s.yaml differs from deploy/configs/%s/config.yaml: copy it", svc, svc)
		}
	}
}

// mountedConfig writes the ConfigMap file the container's -conf names to a
// temporary file and returns its path.
func mountedConfig(t *testing.T, name string, pod corev1.PodSpec, c corev1.Container, cms map[string]*corev1.ConfigMap) string {
	t.Helper()
	conf := ""
	for i, a := range c.Args {
		if a == "-conf" && i+1 < len(c.Args) {
			conf = c.Args[i+1]
		}
	}
	for _, m := range c.VolumeMounts {
		rest, ok := strings.CutPrefix(conf, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			cm := cms[v.ConfigMap.Name]
			if cm == nil {
				t.Errorf("%s: volume %s: no ConfigMap %s", name, v.Name, v.ConfigMap.Name)
				return ""
			}
			data, ok := cm.Data[rest]
			if !ok {
				t.Errorf("%s: ConfigMap %s has no %s for -conf %s", name, cm.Name, rest, conf)
				return ""
			}
			p := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Errorf("%s: -conf %q is on no ConfigMap mount", name, conf)
	return ""
}

// usedByLaterEnv: a variable the container only uses inside another's
// value ($(MYSQL_PASSWORD) in the database source).
func usedByLaterEnv(env []corev1.EnvVar, name string) bool {
	for _, e := range env {
		if strings.Contains(e.Value, "$("+name+")") {
			return true
		}
	}
	return false
}

// nginxServes reads deploy/web/nginx.conf: the port it listens on and
// whether an exact location answers a path.
func nginxServes(t *testing.T) (string, func(string) bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "web", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*listen\s+(\d+);`).FindSubmatch(b)
	if m == nil {
		t.Fatal("deploy/web/nginx.conf: no listen")
	}
	return string(m[1]), func(path string) bool {
		return regexp.MustCompile(`location\s+=\s+` + regexp.QuoteMeta(path) + `\s*\{[^}]*return\s+200`).Match(b)
	}
}
