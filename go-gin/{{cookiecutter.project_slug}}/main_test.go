package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// testConfig is the configuration with every default, in gin's test mode.
func testConfig() config {
	cfg, err := loadConfig(mapEnv(map[string]string{"GIN_MODE": gin.TestMode}))
	if err != nil {
		panic(err)
	}
	return cfg
}

// newTestRouter returns the service's router and the buffer its JSON log goes to.
func newTestRouter(t *testing.T, cfg config) (*gin.Engine, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	router, err := newRouter(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("newRouter: %v", err)
	}
	return router, &logs
}

func get(router http.Handler, path string, header http.Header) *httptest.ResponseRecorder {
	request := httptest.NewRequest(http.MethodGet, path, nil)
	for name, values := range header {
		request.Header[name] = values
	}
	recorder := httptest.NewRecorder()
	router.ServeHTTP(recorder, request)
	return recorder
}

// logLines decodes every JSON log line written so far.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	scanner := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	for scanner.Scan() {
		var line map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", scanner.Text(), err)
		}
		lines = append(lines, line)
	}
	return lines
}

func TestPingAnswersPong(t *testing.T) {
	router, _ := newTestRouter(t, testConfig())
	response := get(router, "/ping", nil)
	if response.Code != http.StatusOK {
		t.Fatalf("status = %d, want %d", response.Code, http.StatusOK)
	}
	if got, want := response.Body.String(), `{"message":"pong"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestHealthzAnswersOK(t *testing.T) {
	router, _ := newTestRouter(t, testConfig())
	if response := get(router, "/healthz", nil); response.Code != http.StatusOK {
		t.Fatalf("status = %d, want %d", response.Code, http.StatusOK)
	}
}

func TestUnknownRouteIsNotFound(t *testing.T) {
	router, _ := newTestRouter(t, testConfig())
	if response := get(router, "/nope", nil); response.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want %d", response.Code, http.StatusNotFound)
	}
}

func TestRequestsAreLoggedAsJSON(t *testing.T) {
	router, logs := newTestRouter(t, testConfig())
	get(router, "/ping", nil)
	lines := logLines(t, logs)
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %s", len(lines), logs)
	}
	line := lines[0]
	if line["msg"] != "request" || line["method"] != "GET" || line["path"] != "/ping" || line["status"] != float64(200) {
		t.Errorf("log line = %v, want a request line for GET /ping with status 200", line)
	}
}

func TestHealthProbesAreNotLogged(t *testing.T) {
	router, logs := newTestRouter(t, testConfig())
	get(router, "/healthz", nil)
	if logs.Len() != 0 {
		t.Errorf("a health probe was logged: %s", logs)
	}
}

func TestPanicAnswers500AndIsLogged(t *testing.T) {
	router, logs := newTestRouter(t, testConfig())
	router.GET("/panic", func(*gin.Context) { panic("boom") })
	if response := get(router, "/panic", nil); response.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want %d", response.Code, http.StatusInternalServerError)
	}
	lines := logLines(t, logs)
	if !slices.ContainsFunc(lines, func(line map[string]any) bool { return line["msg"] == "panic" && line["error"] == "boom" }) {
		t.Errorf("no panic line in the log: %s", logs)
	}
}

func TestForwardedForIsIgnoredWithoutTrustedProxies(t *testing.T) {
	router, logs := newTestRouter(t, testConfig())
	get(router, "/ping", http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	if ip := logLines(t, logs)[0]["client_ip"]; ip != "192.0.2.1" { // httptest's RemoteAddr
		t.Errorf("client_ip = %v, want the connection's address 192.0.2.1", ip)
	}
}

func TestForwardedForIsBelievedFromTrustedProxies(t *testing.T) {
	cfg := testConfig()
	cfg.trustedProxies = []string{"192.0.2.0/24"}
	router, logs := newTestRouter(t, cfg)
	get(router, "/ping", http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	if ip := logLines(t, logs)[0]["client_ip"]; ip != "203.0.113.7" {
		t.Errorf("client_ip = %v, want the forwarded address 203.0.113.7", ip)
	}
}

func TestInvalidTrustedProxyIsAnError(t *testing.T) {
	cfg := testConfig()
	cfg.trustedProxies = []string{"not-an-ip"}
	if _, err := newRouter(cfg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("newRouter accepted TRUSTED_PROXIES=not-an-ip")
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want config
	}{
		{"defaults", nil, config{port: defaultPort, ginMode: gin.ReleaseMode}},
		{"port", map[string]string{"PORT": "9999"}, config{port: "9999", ginMode: gin.ReleaseMode}},
		{"debug mode", map[string]string{"GIN_MODE": "debug"}, config{port: defaultPort, ginMode: gin.DebugMode}},
		{
			"trusted proxies",
			map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1,"},
			config{port: defaultPort, ginMode: gin.ReleaseMode, trustedProxies: []string{"10.0.0.0/8", "192.168.1.1"}},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := loadConfig(mapEnv(test.env))
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if got.port != test.want.port || got.ginMode != test.want.ginMode || !slices.Equal(got.trustedProxies, test.want.trustedProxies) {
				t.Errorf("loadConfig = %+v, want %+v", got, test.want)
			}
		})
	}
}

func TestUnknownGinModeIsAnError(t *testing.T) {
	if _, err := loadConfig(mapEnv(map[string]string{"GIN_MODE": "production"})); err == nil {
		t.Fatal("loadConfig accepted GIN_MODE=production")
	}
}

func TestUnknownArgumentIsAnError(t *testing.T) {
	if err := run(t.Context(), []string{"serve"}, mapEnv(nil), &bytes.Buffer{}); err == nil {
		t.Fatal(`run accepted the argument "serve"`)
	}
}

func TestHealthcheckModePassesWhenServerIsHealthy(t *testing.T) {
	router, _ := newTestRouter(t, testConfig())
	server := httptest.NewServer(router)
	defer server.Close()
	if err := run(t.Context(), []string{"healthcheck"}, mapEnv(map[string]string{"PORT": portOf(t, server)}), &bytes.Buffer{}); err != nil {
		t.Fatalf("healthcheck failed against a healthy server: %v", err)
	}
}

func TestHealthcheckModeFailsWhenServerIsUnhealthy(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer server.Close()
	if err := run(t.Context(), []string{"healthcheck"}, mapEnv(map[string]string{"PORT": portOf(t, server)}), &bytes.Buffer{}); err == nil {
		t.Fatal("healthcheck passed against a server answering 503")
	}
}

func TestHealthcheckModeFailsWhenNothingListens(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(listener.Addr().String())
	listener.Close()
	if err := run(t.Context(), []string{"healthcheck"}, mapEnv(map[string]string{"PORT": port}), &bytes.Buffer{}); err == nil {
		t.Fatal("healthcheck passed with no server listening")
	}
}

func TestServerReportsVersionAndStopsWhenCancelled(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer // read only after serveOn has returned
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { stopped <- serveOn(ctx, listener, testConfig(), slog.New(slog.NewJSONHandler(&logs, nil))) }()

	response, err := http.Get("http://" + listener.Addr().String() + "/ping")
	if err != nil {
		t.Fatalf("GET /ping: %v", err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want %d", response.StatusCode, http.StatusOK)
	}

	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("serveOn returned %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server still running 3 s after cancellation")
	}
	if log := logs.String(); !strings.Contains(log, `"version":"`+version+`"`) || !strings.Contains(log, `"commit":"`+commit+`"`) {
		t.Errorf("start-up log does not report version and commit: %s", log)
	}
}

func mapEnv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

func portOf(t *testing.T, server *httptest.Server) string {
	t.Helper()
	address, err := url.Parse(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	return address.Port()
}

func TestLimitsHaveDocumentedDefaults(t *testing.T) {
	want := limits{
		readHeaderTimeout: 5 * time.Second,
		readTimeout:       15 * time.Second,
		writeTimeout:      15 * time.Second,
		idleTimeout:       60 * time.Second,
		maxHeaderBytes:    32 << 10,
		maxBodyBytes:      1 << 20,
	}
	if got := testConfig().limits; got != want {
		t.Errorf("limits = %+v, want %+v", got, want)
	}
}

func TestLimitsComeFromTheEnvironment(t *testing.T) {
	cfg, err := loadConfig(mapEnv(map[string]string{
		"READ_HEADER_TIMEOUT": "1", "READ_TIMEOUT": "2", "WRITE_TIMEOUT": "3", "IDLE_TIMEOUT": "4",
		"MAX_HEADER_BYTES": "4096", "MAX_BODY_BYTES": "10",
	}))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	want := limits{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 4096, 10}
	if cfg.limits != want {
		t.Errorf("limits = %+v, want %+v", cfg.limits, want)
	}
}

func TestLimitThatIsNotAPositiveNumberIsAnError(t *testing.T) {
	for _, value := range []string{"0", "-1", "5s", "1.5", "many"} {
		if _, err := loadConfig(mapEnv(map[string]string{"MAX_BODY_BYTES": value})); err == nil {
			t.Errorf("loadConfig accepted MAX_BODY_BYTES=%q", value)
		}
	}
}

func TestServerGetsEveryLimit(t *testing.T) {
	l := limits{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 4096, 10}
	server := newServer(l, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	got := limits{server.ReadHeaderTimeout, server.ReadTimeout, server.WriteTimeout, server.IdleTimeout, int64(server.MaxHeaderBytes), 10}
	if got != l {
		t.Errorf("server limits = %+v, want %+v", got, l)
	}
}

// unreadable is a request body that fails the test if the service reads it.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read")
	return 0, io.EOF
}

func TestBodyAnnouncedTooLargeIsRefusedUnread(t *testing.T) {
	router, _ := newTestRouter(t, testConfig())
	request := httptest.NewRequest(http.MethodGet, "/ping", io.NopCloser(unreadable{t}))
	request.ContentLength = 20 << 20
	recorder := httptest.NewRecorder()
	router.ServeHTTP(recorder, request)
	if recorder.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want %d", recorder.Code, http.StatusRequestEntityTooLarge)
	}
}

func TestUnannouncedBodyIsCutOffAtTheLimit(t *testing.T) {
	cfg := testConfig()
	cfg.limits.maxBodyBytes = 10
	router, _ := newTestRouter(t, cfg)
	var readErr error
	router.POST("/echo", func(c *gin.Context) { _, readErr = io.ReadAll(c.Request.Body) })
	request := httptest.NewRequest(http.MethodPost, "/echo", strings.NewReader(strings.Repeat("x", 11)))
	request.ContentLength = -1 // unknown, as with chunked encoding
	router.ServeHTTP(httptest.NewRecorder(), request)
	var tooLarge *http.MaxBytesError
	if !errors.As(readErr, &tooLarge) {
		t.Errorf("reading an 11-byte body under a 10-byte limit gave %v, want an *http.MaxBytesError", readErr)
	}
}
