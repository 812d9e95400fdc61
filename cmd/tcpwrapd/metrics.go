package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tcpwrap/limits"
	"tcpwrap/superserver"
)

// metrics is the Prometheus side of the server: a superserver.Observer.
type metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	refusals  *prometheus.CounterVec
	active    *prometheus.GaugeVec
	sessions  *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	reloads   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcpwrapd_decisions_total",
			Help: "Access decisions, by service and verdict (granted, denied, delegated).",
		}, []string{"service", "verdict"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcpwrapd_limit_refusals_total",
			Help: "Connections refused by a limit, by service and reason.",
		}, []string{"service", "reason"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tcpwrapd_sessions_active",
			Help: "Sessions running now, by service.",
		}, []string{"service"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcpwrapd_sessions_total",
			Help: "Sessions ended, by service and kind (program, builtin, redirect, twist).",
		}, []string{"service", "kind"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcpwrapd_redirect_bytes_total",
			Help: "Bytes relayed by redirect services, by service and direction (in: from clients).",
		}, []string{"service", "direction"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcpwrapd_reloads_total",
			Help: "Configuration reloads, by result (applied, rejected).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.decisions, m.refusals, m.active, m.sessions, m.bytes, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// The superserver.Observer methods.

func (m *metrics) Decision(service, verdict string) {
	m.decisions.WithLabelValues(service, verdict).Inc()
}

func (m *metrics) Refusal(service string, r limits.Refusal) {
	m.refusals.WithLabelValues(service, r.Reason.String()).Inc()
}

func (m *metrics) SessionStart(service string) {
	m.active.WithLabelValues(service).Inc()
}

func (m *metrics) SessionEnd(e *superserver.SessionEnd) {
	m.active.WithLabelValues(e.Service).Dec()
	m.sessions.WithLabelValues(e.Service, e.Kind).Inc()
	if e.Kind == "redirect" {
		m.bytes.WithLabelValues(e.Service, "in").Add(float64(e.BytesIn))
		m.bytes.WithLabelValues(e.Service, "out").Add(float64(e.BytesOut))
	}
}

// serve serves /metrics on addr until ctx ends. The listener is opened
// before serve returns, so that a bad address stops the start.
func (m *metrics) serve(ctx context.Context, addr string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		srv.Shutdown(c)
	}, nil
}
