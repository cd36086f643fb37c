// Package observe holds what operators watch: Prometheus metrics and the
// structured request log with request ids.
package observe

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus collectors, on a registry of their own.
type Metrics struct {
	registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	operations   *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec
	uploadBytes  prometheus.Counter
	uploadFiles  prometheus.Counter
	refusals     *prometheus.CounterVec

	mu       sync.Mutex
	opLabels map[string]bool
}

// maxOperationLabels caps the distinct operation names kept as labels:
// clients choose the names, and unbounded labels would exhaust memory.
const maxOperationLabels = 200

var operationName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// NewMetrics registers the collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediagraph_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediagraph_graphql_operations_total", Help: "GraphQL operations by operation name and type.",
		}, []string{"operation", "type"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mediagraph_graphql_operation_duration_seconds", Help: "GraphQL operation latency by operation name.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"operation"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mediagraph_upload_bytes_total", Help: "Bytes of files received in uploads.",
		}),
		uploadFiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mediagraph_upload_files_total", Help: "Files received in uploads.",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediagraph_refusals_total", Help: "Errors answered to clients, by extensions.code.",
		}, []string{"code"}),
		opLabels: map[string]bool{},
	}
	m.registry.MustRegister(m.httpRequests, m.operations, m.opDuration, m.uploadBytes, m.uploadFiles, m.refusals,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveUpload counts one received file.
func (m *Metrics) ObserveUpload(bytes int64) {
	m.uploadFiles.Inc()
	m.uploadBytes.Add(float64(bytes))
}

// ObserveOperation records one GraphQL operation and the error codes it answered.
func (m *Metrics) ObserveOperation(name, typ string, d time.Duration, codes []string) {
	label := m.operationLabel(name)
	m.operations.WithLabelValues(label, typ).Inc()
	m.opDuration.WithLabelValues(label).Observe(d.Seconds())
	for _, c := range codes {
		m.ObserveRefusal(c)
	}
}

// ObserveRefusal counts one error answered with the code.
func (m *Metrics) ObserveRefusal(code string) {
	if !operationName.MatchString(code) {
		code = "OTHER"
	}
	m.refusals.WithLabelValues(code).Inc()
}

func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !operationName.MatchString(name) {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.opLabels[name] {
		return name
	}
	if len(m.opLabels) >= maxOperationLabels {
		return "other"
	}
	m.opLabels[name] = true
	return name
}

// Route counts the route's requests by status code.
func (m *Metrics) Route(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := wrap(w)
		next.ServeHTTP(sw, r)
		m.httpRequests.WithLabelValues(route, strconv.Itoa(sw.status())).Inc()
	})
}
