// Command {{ cookiecutter.project_slug }} is a gin service built for the smallest production-grade container image.
//
// It reads its configuration from the environment, serves /ping and /healthz, writes JSON logs to
// stdout and shuts down gracefully on SIGTERM or SIGINT. Run with the argument "healthcheck", the same
// binary probes a running server instead, so an image without a shell or curl can still have a HEALTHCHECK.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// Set at build time: go build -ldflags "-X main.version=1.2.3 -X main.commit=abc1234".
var (
	version = "dev"
	commit  = "unknown"
)

const (
	defaultPort = "{{ cookiecutter.port }}"
	// Kubernetes sends SIGKILL 30 s after SIGTERM by default; finish well before that.
	shutdownTimeout = 10 * time.Second
	// Docker's HEALTHCHECK --timeout is 3 s; give up before Docker does, so the probe reports why.
	healthcheckTimeout = 2 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its inputs passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch {
	case len(args) == 0:
		return serve(ctx, cfg, slog.New(slog.NewJSONHandler(stdout, nil)))
	case len(args) == 1 && args[0] == "healthcheck":
		return healthcheck(ctx, "http://127.0.0.1:"+cfg.port+"/healthz")
	default:
		return fmt.Errorf("unknown arguments %q: the only one accepted is \"healthcheck\"", args)
	}
}

// config is everything the environment can change.
type config struct {
	port           string   // PORT
	ginMode        string   // GIN_MODE: release unless set to debug or test
	trustedProxies []string // TRUSTED_PROXIES: comma-separated IPs or CIDRs whose X-Forwarded-For is believed
	limits         limits
}

// limits bound what one client can hold or send, so that slow or abusive clients cannot starve the others.
type limits struct {
	readHeaderTimeout time.Duration // READ_HEADER_TIMEOUT: a client that never finishes its headers is dropped
	readTimeout       time.Duration // READ_TIMEOUT: the whole request, body included
	writeTimeout      time.Duration // WRITE_TIMEOUT: the whole response
	idleTimeout       time.Duration // IDLE_TIMEOUT: a kept-alive connection waiting for its next request
	maxHeaderBytes    int64         // MAX_HEADER_BYTES: request line and headers together; more is answered 431
	maxBodyBytes      int64         // MAX_BODY_BYTES: a larger body is answered 413
}

// limitSettings are the environment variables that set the limits, with their defaults (seconds or bytes).
var limitSettings = []struct {
	name     string
	fallback int64
	set      func(*limits, int64)
}{
	{"READ_HEADER_TIMEOUT", 5, func(l *limits, n int64) { l.readHeaderTimeout = time.Duration(n) * time.Second }},
	{"READ_TIMEOUT", 15, func(l *limits, n int64) { l.readTimeout = time.Duration(n) * time.Second }},
	{"WRITE_TIMEOUT", 15, func(l *limits, n int64) { l.writeTimeout = time.Duration(n) * time.Second }},
	{"IDLE_TIMEOUT", 60, func(l *limits, n int64) { l.idleTimeout = time.Duration(n) * time.Second }},
	{"MAX_HEADER_BYTES", 32 << 10, func(l *limits, n int64) { l.maxHeaderBytes = n }},
	{"MAX_BODY_BYTES", 1 << 20, func(l *limits, n int64) { l.maxBodyBytes = n }},
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{port: getenv("PORT"), ginMode: getenv("GIN_MODE")}
	if cfg.port == "" {
		cfg.port = defaultPort
	}
	if cfg.ginMode == "" {
		cfg.ginMode = gin.ReleaseMode
	}
	switch cfg.ginMode {
	case gin.ReleaseMode, gin.DebugMode, gin.TestMode:
	default:
		return config{}, fmt.Errorf("GIN_MODE=%q: want %s, %s or %s", cfg.ginMode, gin.ReleaseMode, gin.DebugMode, gin.TestMode)
	}
	for _, proxy := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if proxy = strings.TrimSpace(proxy); proxy != "" {
			cfg.trustedProxies = append(cfg.trustedProxies, proxy)
		}
	}
	var problems []error
	for _, setting := range limitSettings {
		value, err := positiveNumber(getenv(setting.name), setting.fallback)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", setting.name, err))
		}
		setting.set(&cfg.limits, value)
	}
	if err := errors.Join(problems...); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// positiveNumber parses a whole number above zero; an empty value means the fallback.
func positiveNumber(value string, fallback int64) (int64, error) {
	if value == "" {
		return fallback, nil
	}
	number, err := strconv.ParseInt(value, 10, 64)
	if err != nil || number <= 0 {
		return fallback, fmt.Errorf("%q is not a whole number above 0", value)
	}
	return number, nil
}

// newRouter builds the HTTP routes; tests drive it through httptest.
func newRouter(cfg config, logger *slog.Logger) (*gin.Engine, error) {
	gin.SetMode(cfg.ginMode) // gin keeps its mode in a package variable: the one global this service sets
	router := gin.New()
	// With no list, gin would trust every proxy, and any client could forge its IP with X-Forwarded-For.
	if err := router.SetTrustedProxies(cfg.trustedProxies); err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	router.Use(requestLogger(logger), recoverer(logger), limitBody(cfg.limits.maxBodyBytes))

	router.GET("/ping", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "pong"})
	})
	router.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	return router, nil
}

// requestLogger writes one JSON line per request; health probes are left out so they do not drown the log.
func requestLogger(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.Request.URL.Path == "/healthz" && c.Writer.Status() == http.StatusOK {
			return
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

// limitBody answers 413 at once to a body announced larger than maxBytes, before reading any of it, and cuts
// off an unannounced (chunked) body at maxBytes, so that no client can make the service read or hold more.
func limitBody(maxBytes int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > maxBytes {
			c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBytes)
		c.Next()
	}
}

// recoverer turns a panic in a handler into a 500 and a JSON log line, instead of gin's plain-text dump.
func recoverer(logger *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, recovered any) {
		logger.ErrorContext(c.Request.Context(), "panic", slog.Any("error", recovered), slog.String("path", c.Request.URL.Path))
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}

// serve listens on the configured port until ctx is cancelled.
func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	listener, err := net.Listen("tcp", ":"+cfg.port)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serveOn(ctx, listener, cfg, logger)
}

// serveOn serves HTTP on listener, then drains in-flight requests for up to shutdownTimeout once ctx is done.
func serveOn(ctx context.Context, listener net.Listener, cfg config, logger *slog.Logger) error {
	router, err := newRouter(cfg, logger)
	if err != nil {
		listener.Close()
		return err
	}
	server := newServer(cfg.limits, router, logger)
	logger.Info("starting",
		slog.String("version", version),
		slog.String("commit", commit),
		slog.String("go", runtime.Version()),
		slog.String("address", listener.Addr().String()),
		slog.String("gin_mode", cfg.ginMode),
	)

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.String("timeout", shutdownTimeout.String()))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// newServer applies the limits to an HTTP server. A goroutine per connection is cheap, so a slow client costs
// the others nothing until a timeout drops it.
func newServer(l limits, handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: l.readHeaderTimeout,
		ReadTimeout:       l.readTimeout,
		WriteTimeout:      l.writeTimeout,
		IdleTimeout:       l.idleTimeout,
		MaxHeaderBytes:    int(l.maxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
}

// healthcheck asks a running server for url and fails unless it answers 200 in time.
func healthcheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, response.Status)
	}
	return nil
}
