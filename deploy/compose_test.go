package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// thirdParty is what the images the drive does not build listen on and which
// environment variables they read (from each image's documentation), so that
// a port or a variable in docker-compose.yaml that nothing uses fails.
var thirdParty = map[string]struct {
	ports []string
	env   []string
}{
	"mysql":                    {[]string{"3306"}, []string{"MYSQL_ROOT_PASSWORD", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE"}},
	"redis":                    {[]string{"6379"}, nil},
	"quay.io/coreos/etcd":      {[]string{"2379", "2380"}, nil},
	"apache/kafka":             {[]string{"9092", "9093"}, nil}, // KAFKA_* become server.properties keys: checked below
	"minio/minio":              {[]string{"9000", "9001"}, []string{"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}},
	"nacos/nacos-server":       {[]string{"8848", "9848"}, []string{"MODE"}},
	"curlimages/curl":          {nil, nil}, // one-shot jobs: their variables are read by their scripts (checked below)
	"apache/apisix":            {[]string{"9080", "9180", "9090", "9091"}, nil},
	"jaegertracing/all-in-one": {[]string{"16686", "4317", "4318", "14269"}, []string{"COLLECTOR_OTLP_ENABLED"}},
	"prom/prometheus":          {[]string{"9090"}, nil},
	"grafana/grafana":          {[]string{"3000"}, []string{"GF_SECURITY_ADMIN_PASSWORD"}},
	"docker.elastic.co/elasticsearch/elasticsearch": {[]string{"9200", "9300"}, []string{"discovery.type", "xpack.security.enabled", "ES_JAVA_OPTS"}},
	"docker.elastic.co/kibana/kibana":               {[]string{"5601"}, []string{"ELASTICSEARCH_HOSTS"}},
	"docker.elastic.co/beats/filebeat":              {nil, nil},
}

// builtPorts are what the non-skeleton images of deploy/Dockerfile listen on.
var builtPorts = map[string][]string{
	"web":   {"8080"},                 // deploy/web/nginx.conf
	"flink": {"8081", "6123", "6124"}, // Flink's REST, RPC and blob ports
}

// hostPaths are the bind mounts that come from the Docker engine's host,
// not from this repository: filebeat reads the containers' logs there.
var hostPaths = map[string]bool{"/var/lib/docker/containers": true, "/var/run/docker.sock": true}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  abs,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "docker-compose.yaml")}},
		Environment: types.Mapping{}, // the placeholders' defaults, not this machine's environment
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("clouddrive", true)
	})
	if err != nil {
		t.Fatalf("the Compose loader refuses docker-compose.yaml: %v", err)
	}
	return p
}

func imageRepo(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i]
	}
	return image
}

// dockerfileTargets are the stages of deploy/Dockerfile and the image paths
// its COPY lines fill from folders of the repository.
func dockerfileTargets(t *testing.T) (map[string]bool, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	targets, copies := map[string]bool{}, map[string]string{}
	stage := regexp.MustCompile(`(?im)^FROM\s+\S+\s+AS\s+(\S+)`)
	for _, m := range stage.FindAllStringSubmatch(string(b), -1) {
		targets[m[1]] = true
	}
	copyDir := regexp.MustCompile(`(?m)^COPY\s+(?:--chown=\S+\s+)?([\w./-]+/)\s+(/[\w./-]+/)\s*$`)
	for _, m := range copyDir.FindAllStringSubmatch(string(b), -1) {
		copies[m[2]] = m[1]
	}
	return targets, copies
}

// TestComposeLoadsAndEveryReferenceResolves loads docker-compose.yaml with the
// Compose specification's Go loader (compose-go) and resolves what each
// service refers to: images built from stages that exist, mounted files,
// commands' scripts, environment variables read by some config, ports some
// process listens on, healthchecks behind every service_healthy, restart
// policies, and host:port references between services.
func TestComposeLoadsAndEveryReferenceResolves(t *testing.T) {
	p := loadCompose(t)
	targets, copies := dockerfileTargets(t)

	// listens[service] are the ports its process listens on.
	listens := map[string]map[string]bool{}
	// A one-shot job (Nacos seed, route loader, Flink job submitter) runs a
	// script and exits: restart on-failure, no healthcheck; the rest run on.
	oneShot := map[string]bool{}
	for _, s := range p.Services {
		oneShot[s.Name] = s.Restart == types.RestartPolicyOnFailure && len(s.Command) > 0
	}

	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := p.Services[name]
		ports := map[string]bool{}
		listens[name] = ports
		var envReadBy func(k string) bool
		switch {
		case s.Build != nil:
			if filepath.Clean(s.Build.Context) != filepath.Clean(mustAbs(t, root)) || s.Build.Dockerfile != "deploy/Dockerfile" {
				t.Errorf("%s: builds %s/%s; every image comes from deploy/Dockerfile in the repository", name, s.Build.Context, s.Build.Dockerfile)
			}
			if !targets[s.Build.Target] {
				t.Errorf("%s: build target %q is not a stage of deploy/Dockerfile", name, s.Build.Target)
			}
			if s.Build.Target != "service" {
				for _, port := range builtPorts[s.Build.Target] {
					ports[port] = true
				}
				envReadBy = func(k string) bool { return false }
				if s.Build.Target == "flink" {
					envReadBy = flinkEnv(t)
				}
				break
			}
			svc := ""
			if v := s.Build.Args["SERVICE"]; v != nil {
				svc = *v
			}
			if svc != name || !isDriveService(svc) {
				t.Errorf("%s: SERVICE=%q; a drive service's compose name is its binary's (one of %v)", name, svc, driveServices)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, "app", svc, "cmd", svc)); err != nil {
				t.Errorf("%s: no binary app/%s/cmd/%s to build: %v", name, svc, svc, err)
				continue
			}
			conf := confFile(t, s)
			if conf == "" {
				continue
			}
			httpPort, grpcPort := listenPorts(t, svc, conf)
			for _, port := range []string{httpPort, grpcPort} {
				if port != "" {
					ports[port] = true
				}
			}
			msgs := bootstrap(t, svc)
			var keys [][]string
			leafKeys(nil, readYAML(t, conf), &keys)
			if nacos := filepath.Join(root, "deploy", "nacos", svc+".yaml"); fileExists(nacos) {
				leafKeys(nil, readYAML(t, nacos), &keys)
			} else {
				t.Errorf("%s: no deploy/nacos/%s.yaml for the Nacos seed (the service reads data id %s.yaml)", name, svc, svc)
			}
			for _, k := range keys {
				if !resolveKey(msgs, k) {
					t.Errorf("%s: config key %s is not a field of its configuration", name, strings.Join(k, "."))
				}
			}
			envReadBy = func(k string) bool {
				if rest, ok := strings.CutPrefix(k, "CLOUDDRIVE__"); ok {
					return resolveKey(msgs, strings.Split(strings.ToLower(rest), "__"))
				}
				return pkgConfigReads(t, k)
			}
			if s.HealthCheck == nil || len(s.HealthCheck.Test) < 3 || s.HealthCheck.Test[1] != "/app/probe" {
				t.Errorf("%s: a drive service's healthcheck runs /app/probe on its /readyz", name)
			} else if u, err := url.Parse(s.HealthCheck.Test[2]); err != nil || u.Port() != httpPort || !skeletonAnswers(t, u.Path) {
				t.Errorf("%s: healthcheck %s is not a route of its HTTP port %s", name, s.HealthCheck.Test[2], httpPort)
			} else if u.Path != "/readyz" {
				t.Errorf("%s: healthcheck on %s; readiness is /readyz", name, u.Path)
			}
		default:
			tp, ok := thirdParty[imageRepo(s.Image)]
			if !ok {
				t.Errorf("%s: image %s is not in this test's table of what images listen on and read", name, s.Image)
				continue
			}
			for _, port := range tp.ports {
				ports[port] = true
			}
			known := map[string]bool{}
			for _, k := range tp.env {
				known[k] = true
			}
			repo := imageRepo(s.Image)
			envReadBy = func(k string) bool {
				switch {
				case known[k]:
					return true
				case repo == "apache/kafka" && strings.HasPrefix(k, "KAFKA_"):
					return true // the image turns KAFKA_X_Y into x.y of server.properties
				case repo == "curlimages/curl" || repo == "mysql":
					return scriptsRead(t, s, k) // one-shot jobs' scripts, MySQL's initdb scripts
				case repo == "apache/apisix":
					return apisixConfigReads(t, k)
				}
				return false
			}
		}

		for k := range s.Environment {
			if !envReadBy(k) {
				t.Errorf("%s: environment variable %s is read by no config of the service", name, k)
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: volume %q is not declared", name, v.Source)
				}
				continue
			}
			if hostPaths[v.Source] {
				if name != "filebeat" {
					t.Errorf("%s: mounts the host's %s; only the log shipper may", name, v.Source)
				}
				continue
			}
			if !fileExists(v.Source) {
				t.Errorf("%s: mounted %s does not exist", name, v.Source)
			}
		}
		// A script a command runs must exist: in a mounted folder or in a
		// folder the Dockerfile copies into the image.
		for _, arg := range s.Command {
			if !strings.HasSuffix(arg, ".sh") || !strings.HasPrefix(arg, "/") {
				continue
			}
			if src := hostPathOf(s, arg, copies); src == "" || !fileExists(src) {
				t.Errorf("%s: command runs %s, which no mount or COPY provides", name, arg)
			}
		}
		if s.Restart == "" {
			t.Errorf("%s: no restart policy", name)
		}
		if !oneShot[name] && (s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0) {
			t.Errorf("%s: no healthcheck", name)
		}
	}

	for _, name := range names {
		s := p.Services[name]
		for _, port := range s.Ports {
			if !listens[name][fmtPort(port.Target)] {
				t.Errorf("%s: publishes %d, where it does not listen", name, port.Target)
			}
		}
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("%s: depends on unknown %s", name, dep)
				continue
			}
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || target.HealthCheck.Disable {
					t.Errorf("%s: waits for %s to be healthy, which has no healthcheck", name, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if !oneShot[dep] {
					t.Errorf("%s: waits for %s to complete, which is not a one-shot job", name, dep)
				}
			default:
				t.Errorf("%s: depends on %s with %q: a start that can race; wait for service_healthy", name, dep, d.Condition)
			}
		}
	}

	// host:port between services: in the environment, the mounted configs and
	// the gateway's upstreams, each service named must listen on that port.
	ref := regexp.MustCompile(`(?:^|[^\w.-])([a-z][a-z0-9-]*):(\d{2,5})\b`)
	check := func(where, text string) {
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			if _, ok := p.Services[m[1]]; ok && !listens[m[1]][m[2]] {
				t.Errorf("%s: refers to %s:%s, where %s does not listen", where, m[1], m[2], m[1])
			}
		}
	}
	for _, name := range names {
		s := p.Services[name]
		for k, v := range s.Environment {
			if v != nil {
				check(name+" "+k, *v)
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && !hostPaths[v.Source] {
				walkFiles(t, v.Source, func(path string, b []byte) { check(path, string(b)) })
			}
		}
	}
	walkFiles(t, filepath.Join(root, "apisix", "load.sh"), func(path string, b []byte) { check(path, string(b)) })

	for _, svc := range []string{"file", "storage"} {
		if s, ok := p.Services[svc]; !ok || s.GetScale() != 2 {
			t.Errorf("%s: runs %d replicas, want 2", svc, s.GetScale())
		}
	}
	for _, want := range append(append([]string(nil), driveServices...), "mysql", "redis", "kafka", "etcd", "nacos",
		"minio", "apisix", "flink-jobmanager", "flink-taskmanager", "flink-jobs", "jaeger", "prometheus", "grafana",
		"elasticsearch", "kibana", "filebeat", "web") {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("docker-compose.yaml has no %s", want)
		}
	}
	if _, ok := p.Services["cdcrelay"]; ok {
		t.Errorf("cdcrelay is for hosts without Flink; compose runs Flink CDC")
	}
}

// TestComposeVariablesHavePlaceholdersListedInREADME: every ${VAR} of
// docker-compose.yaml has a default (so `docker compose up` runs as is) and
// is named in the README's production section (so that none is left at its
// placeholder by oversight).
func TestComposeVariablesHavePlaceholdersListedInREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, prod, ok := strings.Cut(string(readme), "## Production")
	if !ok {
		t.Fatal("README.md has no \"## Production\" section")
	}
	if i := strings.Index(prod, "\n## "); i >= 0 {
		prod = prod[:i]
	}
	vars := regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(:?-[^}]*)?\}`).FindAllStringSubmatch(string(b), -1)
	if len(vars) == 0 {
		t.Fatal("no variables found: the pattern is wrong")
	}
	example, err := os.ReadFile(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range vars {
		if !regexp.MustCompile(`(?m)^` + m[1] + `=`).Match(example) {
			t.Errorf("${%s} is not in .env.example", m[1])
		}
		if m[2] == "" {
			t.Errorf("${%s} has no default: compose would run with it empty", m[1])
		}
		if !strings.Contains(prod, "`"+m[1]+"`") {
			t.Errorf("${%s} is not named in README.md's Production section", m[1])
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func fmtPort(p uint32) string { return strconv.FormatUint(uint64(p), 10) }

// confFile is the host file a drive service's `-conf` names, through its mounts.
func confFile(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	for i, arg := range s.Command {
		if arg == "-conf" && i+1 < len(s.Command) {
			src := hostPathOf(s, s.Command[i+1], nil)
			if src == "" || !fileExists(src) {
				t.Errorf("%s: -conf %s is in no mounted folder of the repository", s.Name, s.Command[i+1])
				return ""
			}
			return src
		}
	}
	t.Errorf("%s: no -conf: the service would run on its one-machine defaults", s.Name)
	return ""
}

// hostPathOf maps a path inside the container to the repository's file that
// a bind mount or a Dockerfile COPY puts there ("" when none).
func hostPathOf(s types.ServiceConfig, inside string, copies map[string]string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if inside == v.Target {
			return v.Source
		}
		if rest, ok := strings.CutPrefix(inside, strings.TrimSuffix(v.Target, "/")+"/"); ok {
			return filepath.Join(v.Source, rest)
		}
	}
	for dst, src := range copies {
		if rest, ok := strings.CutPrefix(inside, dst); ok {
			return filepath.Join(root, src, rest)
		}
	}
	return ""
}

// walkFiles calls fn with each regular file at or under path.
func walkFiles(t *testing.T, path string, fn func(string, []byte)) {
	t.Helper()
	err := filepath.Walk(path, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fn(p, b)
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// pkgConfigReads: the config loader reads a few variables besides
// CLOUDDRIVE__* (Nacos's address and namespace): the name must be in its source.
func pkgConfigReads(t *testing.T, name string) bool {
	t.Helper()
	found := false
	walkFiles(t, filepath.Join(root, "pkg", "config"), func(p string, b []byte) {
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && strings.Contains(string(b), `"`+name+`"`) {
			found = true
		}
	})
	return found
}

// scriptsRead: a one-shot job's variable is read by a shell script mounted
// into it ($NAME or ${NAME...}).
func scriptsRead(t *testing.T, s types.ServiceConfig, name string) bool {
	t.Helper()
	re := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b`)
	found := false
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			walkFiles(t, v.Source, func(p string, b []byte) {
				if strings.HasSuffix(p, ".sh") && re.Match(b) {
					found = true
				}
			})
		}
	}
	return found
}

// apisixConfigReads: APISIX substitutes ${{NAME}} in its config.yaml.
func apisixConfigReads(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "apisix", "config-etcd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), "${{"+name+"}}")
}

// flinkEnv: the job submitter's variables are read by flink/submit.sh;
// FLINK_PROPERTIES by the Flink image's entrypoint.
func flinkEnv(t *testing.T) func(string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "flink", "submit.sh"))
	if err != nil {
		t.Errorf("flink/submit.sh: %v", err)
	}
	return func(k string) bool {
		if k == "FLINK_PROPERTIES" {
			return true
		}
		return regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(k) + `\b`).Match(b)
	}
}
